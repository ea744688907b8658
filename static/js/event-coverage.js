/* The coverage map: districts coloured by the share of their villages with verified outreach
   in the chosen window (there are no town polygons, so the map stops at districts). */
(function () {
  "use strict";
  var box = document.getElementById("coverage-map");
  var script = document.currentScript || document.querySelector("script[data-geo]");
  if (!box || !window.echarts) return;
  var data = JSON.parse(document.getElementById("coverage-data").textContent);
  // Scale the colours to the best district so differences show even when coverage is low.
  var best = data.reduce(function (m, d) { return Math.max(m, d.value || 0); }, 0);
  var top = Math.min(100, Math.max(10, Math.ceil(best / 10) * 10));
  var option = {
    tooltip: { trigger: "item", formatter: function (p) { return p.name + ":" + (p.value == null || isNaN(p.value) ? "—" : p.value + "%"); } },
    visualMap: { min: 0, max: top, left: 8, bottom: 8, text: [top + "%", "0%"], calculable: false,
      inRange: { color: ["#fbeae8", "#f4c27a", "#1a7f4b"] }, itemHeight: 90 },
    series: [{ type: "map", map: "ningbo", roam: false, data: data, layoutCenter: ["50%", "50%"], layoutSize: "100%",
      label: { show: true, fontSize: 10, color: "#1c2430" },
      emphasis: { label: { show: true } }, itemStyle: { borderColor: "#fff" } }]
  };
  var chart = null;
  // ECharts lays the map out in the box's current size and throws on a zero-sized box (while
  // the page is still being laid out, or resized for a screenshot or a rotation), so it draws
  // and resizes only when the box has a size.
  function draw() {
    if (!box.clientWidth || !box.clientHeight) return;
    if (chart) { chart.resize(); return; }
    chart = echarts.init(box, null, { renderer: "canvas" });
    chart.setOption(option);
  }
  fetch(script.getAttribute("data-geo"))
    .then(function (response) { return response.json(); })
    .then(function (geo) {
      echarts.registerMap("ningbo", geo);
      draw();
      if (window.ResizeObserver) new ResizeObserver(draw).observe(box);
      else window.addEventListener("resize", draw);
    });
})();
