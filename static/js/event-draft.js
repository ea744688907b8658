/* Event form glue: keep a draft in localStorage (a dropped network loses nothing), show only the
   figures that matter for the chosen type, pick a place from the search results, and stop a
   second submit. The draft is cleared on the page that confirms the event was saved. */
(function () {
  "use strict";
  var saved = document.querySelector("[data-clear-draft]");
  if (saved) {
    try { localStorage.removeItem(saved.getAttribute("data-clear-draft")); } catch (e) { /* private mode */ }
  }
  var form = document.querySelector("form[data-draft-form]");
  if (!form) return;
  var key = form.getAttribute("data-draft-key");
  var SKIP = { _csrf_token: 1, token: 1, photos: 1, q: 1, confirm_duplicate: 1 };

  function collect() {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || el.type === "file") return;
      if (el.type === "checkbox" || el.type === "radio") {
        if (!el.checked) return;
        (data[el.name] = data[el.name] || []).push(el.value);
      } else {
        data[el.name] = el.value;
      }
    });
    data.token = form.elements.token.value;
    return data;
  }

  function restore(data) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || !(el.name in data)) return;
      var value = data[el.name];
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = Array.isArray(value) && value.indexOf(el.value) >= 0;
      } else {
        el.value = value;
      }
    });
    // The same token: photos already uploaded with the lost submit stay with this draft.
    if (data.token) form.elements.token.value = data.token;
    showPlace(form.elements.place_code.value, form.elements.place_name.value);
  }

  function save() {
    try { localStorage.setItem(key, JSON.stringify(collect())); } catch (e) { /* full or private */ }
  }

  // Figures per type: hide those that do not matter, set a max hint on the others.
  function applyType() {
    var chosen = form.querySelector("input[name=type_id]:checked");
    var figures = chosen ? JSON.parse(chosen.getAttribute("data-figures") || "{}") : null;
    form.querySelectorAll("[data-figure]").forEach(function (box) {
      var name = box.getAttribute("data-figure");
      var spec = figures && figures[name];
      var show = !figures || !!spec || box.classList.contains("invalid");
      box.hidden = !show;
      var input = box.querySelector("input");
      if (spec && spec.max) input.setAttribute("max", spec.max); else input.removeAttribute("max");
    });
  }

  // Place picking.
  var search = form.querySelector("[data-place-search]");
  var chosenBox = form.querySelector("[data-place-chosen]");
  var results = document.getElementById("place-results");
  function showPlace(code, name) {
    form.elements.place_code.value = code || "";
    form.elements.place_name.value = name || "";
    form.querySelector("[data-place-label]").textContent = name || "";
    chosenBox.hidden = !code;
    search.hidden = !!code;
    if (code) results.innerHTML = "";
  }
  results.addEventListener("click", function (event) {
    var option = event.target.closest("[data-place-option]");
    if (!option) return;
    showPlace(option.getAttribute("data-place-option"), option.getAttribute("data-name"));
    save();
  });
  form.querySelector("[data-place-change]").addEventListener("click", function () {
    showPlace("", "");
    search.value = "";
    search.focus();
  });

  // Restore a draft on a fresh form (a rejected form already shows what was typed).
  if (form.hasAttribute("data-fresh")) {
    var stored = null;
    try { stored = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { stored = null; }
    if (stored) {
      restore(stored);
      form.querySelector("[data-draft-restored]").hidden = false;
    }
  } else {
    save();
  }
  form.querySelector("[data-draft-discard]").addEventListener("click", function () {
    try { localStorage.removeItem(key); } catch (e) { /* ignore */ }
    location.reload();
  });

  form.addEventListener("input", save);
  form.addEventListener("change", function (event) {
    if (event.target.name === "type_id") applyType();
    save();
  });
  applyType();

  // One submit only: the button is disabled until the page is left; the server also refuses a
  // second event with the same token.
  form.addEventListener("submit", function (event) {
    if (form.getAttribute("data-submitting")) { event.preventDefault(); return; }
    save();
    form.setAttribute("data-submitting", "1");
    var button = form.querySelector("[data-submit]");
    button.disabled = true;
    button.textContent = button.getAttribute("data-busy-text");
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    form.removeAttribute("data-submitting");
    form.querySelector("[data-submit]").disabled = false;
  });
})();
