// Behaviour shared by every page, as a static file so the Content-Security-Policy can forbid
// inline script. Templates opt in with data attributes instead of on*="" handlers:
//   <form data-confirm="确定…?">      asks before submitting
//   <select data-autosubmit>          submits its form when changed
//   <button data-copy="#selector">    copies that element's text ([data-copied] note shows)
//   <button data-remove-row>          empties the table row it sits in
//   [data-updated] in a swapped part  updates the page's [data-updated-at] label
//   [data-picker="/pick/kind"]        a searchable picker (the `picker` macro): typing asks
//                                     the server for matches; choosing one sets the hidden
//                                     code field and announces it as the form's input
//   [data-picker-multi="field"]       one that collects several (the `multi_picker` macro):
//                                     each choice becomes a removable chip with its own field
(function () {
  var pickerTimer = null;

  function pickerChosen(search) {
    var box = search.closest("[data-picker]");
    var code = box.querySelector("[data-picker-code]");
    var value = search.value.trim();
    var chosen = "";
    if (value) {
      var option = Array.prototype.find.call(search.list.options, function (o) {
        return o.value === value;
      });
      if (!option) return false;
      chosen = option.dataset.code;
    }
    if (box.dataset.pickerMulti !== undefined) {
      if (chosen) addChip(box, chosen, value);
      search.value = "";
      return true;
    }
    if (code.value !== chosen) {
      code.value = chosen;
      code.dispatchEvent(new Event("input", { bubbles: true }));
      code.dispatchEvent(new Event("change", { bubbles: true }));
    }
    return true;
  }

  function addChip(box, code, label) {
    var chips = box.querySelector("[data-picker-chips]");
    var taken = Array.prototype.some.call(chips.querySelectorAll("input"), function (input) {
      return input.value === code;
    });
    if (taken) return;
    var item = document.createElement("li");
    var field = document.createElement("input");
    field.type = "hidden";
    field.name = box.dataset.pickerMulti;
    field.value = code;
    var remove = document.createElement("button");
    remove.type = "button";
    remove.setAttribute("data-picker-remove", "");
    remove.setAttribute("aria-label", box.dataset.removeLabel + " " + label);
    remove.textContent = "×";
    item.append(field, document.createTextNode(label + " "), remove);
    chips.append(item);
  }

  // Capture phase: the picker's typing must not reach the form's own input triggers (htmx).
  document.addEventListener("input", function (event) {
    var search = event.target.closest && event.target.closest("[data-picker-search]");
    if (!search) return;
    event.stopPropagation();
    if (pickerChosen(search)) return;
    clearTimeout(pickerTimer);
    pickerTimer = setTimeout(function () {
      var url = search.closest("[data-picker]").dataset.picker;
      url += (url.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(search.value);
      fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) { search.list.innerHTML = html; });
    }, 250);
  }, true);

  document.addEventListener("change", function (event) {
    var search = event.target.closest && event.target.closest("[data-picker-search]");
    if (search) {
      event.stopPropagation();
      pickerChosen(search);
    }
  }, true);

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  }, true);

  document.addEventListener("change", function (event) {
    var field = event.target.closest("[data-autosubmit]");
    if (field && field.form) field.form.submit();
  });

  document.addEventListener("click", function (event) {
    var chip = event.target.closest("[data-picker-remove]");
    if (chip) chip.closest("li").remove();
    var remove = event.target.closest("[data-remove-row]");
    if (remove) {
      var row = remove.closest("tr");
      if (row) row.replaceChildren();
      return;
    }
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var text = document.querySelector(button.dataset.copy).innerText;
    var done = function () {
      var note = document.querySelector("[data-copied]");
      if (note) note.hidden = false;
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
      return;
    }
    var area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
    done();
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var stamp = event.detail.target.querySelector("[data-updated]");
    var label = document.querySelector("[data-updated-at]");
    if (stamp && label) label.textContent = stamp.dataset.updated;
  });
})();
