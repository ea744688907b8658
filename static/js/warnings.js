// Warning board: a live feed over server-sent events (EventSource reconnects by itself and
// sends Last-Event-ID, so the server replays what was missed). New rows are put on top and
// flashed; a beep (Web Audio, no file) when the duty desk turned sound on. The figures page's
// trend chart is drawn here too.
(function () {
  var STORE = "warnings-board-";

  function toggle(name, fallback) {
    var box = document.querySelector('[data-toggle="' + name + '"]');
    if (!box) return function () { return fallback; };
    var kept = localStorage.getItem(STORE + name);
    if (kept !== null) box.checked = kept === "1";
    box.addEventListener("change", function () { localStorage.setItem(STORE + name, box.checked ? "1" : "0"); });
    return function () { return box.checked; };
  }

  var audio = null;
  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.15;
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(); osc.stop(audio.currentTime + 0.35);
    } catch (e) { /* no sound available */ }
  }

  function bump(name, by) {
    var el = document.querySelector('[data-count="' + name + '"]');
    if (!el || !el.firstChild || el.querySelector("a")) return;
    var n = parseInt(el.textContent.replace(/,/g, ""), 10) || 0;
    el.textContent = String(Math.max(0, n + by));
  }

  function live(bar) {
    var state = bar.querySelector("[data-live-state]");
    var labels = bar.querySelector(".live-labels").dataset;
    var sound = toggle("sound", false), flash = toggle("flash", true);
    var source = new EventSource(bar.dataset.stream);
    function show(kind) { state.dataset.liveState = kind; state.textContent = kind === "live" ? labels.labelLive : labels.labelLost; }
    source.onopen = function () { show("live"); };
    source.onerror = function () { show("lost"); };
    function put(event, isNew) {
      var body = document.getElementById("warning-tbody");
      if (!body) return;
      var holder = document.createElement("tbody");
      holder.innerHTML = event.data.trim();
      var row = holder.firstElementChild;
      if (!row) return;
      var old = document.getElementById(row.id);
      if (old) isNew = false;  // a replayed event for a row already shown: no second alert
      if (old) {
        if (old.dataset.status === "new" && row.dataset.status !== "new") bump("new", -1);
        old.replaceWith(row);
      } else {
        var empty = body.querySelector("td.empty");
        if (empty) empty.parentElement.remove();
        body.insertBefore(row, body.firstChild);
        if (row.dataset.status === "new") { bump("new", 1); bump("open", 1); }
      }
      if (window.htmx) htmx.process(row);
      if (isNew && flash()) row.classList.add("flash-new");
      if (isNew && sound()) beep();
      if (isNew) document.title = "(" + labels.labelNew + ") " + document.title.replace(/^\(.*?\) /, "");
    }
    source.addEventListener("new", function (e) { put(e, true); });
    source.addEventListener("rerouted", function (e) { put(e, true); });
    source.addEventListener("updated", function (e) { put(e, false); });
    source.addEventListener("escalated", function (e) { put(e, false); });
    source.addEventListener("remove", function (e) {
      var row = document.getElementById("w-" + e.data);
      if (row) row.remove();
    });
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) document.title = document.title.replace(/^\(.*?\) /, "");
    });
  }

  function trend(el) {
    if (!window.echarts) return;
    var rows = JSON.parse(document.getElementById("warning-trend-data").textContent);
    var names = JSON.parse(el.dataset.labels);
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 64, top: 36, bottom: 28 },
      xAxis: { type: "category", data: rows.map(function (r) { return r[0].slice(5); }) },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", splitLine: { show: false } }],
      series: [
        { name: names.warnings, type: "bar", data: rows.map(function (r) { return r[1]; }), color: "#9db7e0" },
        { name: names.dissuaded, type: "line", data: rows.map(function (r) { return r[2]; }), color: "#1a7f4b", symbolSize: 4 },
        { name: names.stopped, type: "line", yAxisIndex: 1, data: rows.map(function (r) { return r[3]; }), color: "#a86500", lineStyle: { type: "dashed" }, symbolSize: 4 },
      ],
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var bar = document.querySelector("[data-warning-board]");
    if (bar && window.EventSource) live(bar);
    var chart = document.getElementById("warning-trend");
    if (chart) trend(chart);
  });
})();
