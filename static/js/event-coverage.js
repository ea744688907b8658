/* The coverage map: districts coloured by the share of their villages with verified outreach
   in the chosen window (there are no town polygons, so the map stops at districts). */
(function () {
  "use strict";
  var box = document.getElementById("coverage-map");
  var script = document.currentScript || document.querySelector("script[data-geo]");
  if (!box || !window.echarts) return;
  var data = JSON.parse(document.getElementById("coverage-data").textContent);
  fetch(script.getAttribute("data-geo"))
    .then(function (response) { return response.json(); })
    .then(function (geo) {
      echarts.registerMap("ningbo", geo);
      var chart = echarts.init(box, null, { renderer: "canvas" });
      chart.setOption({
        tooltip: { trigger: "item", formatter: function (p) { return p.name + ":" + (p.value == null || isNaN(p.value) ? "—" : p.value + "%"); } },
        visualMap: { min: 0, max: 100, left: 8, bottom: 8, text: ["100%", "0%"], calculable: false,
          inRange: { color: ["#fbeae8", "#f4c27a", "#1a7f4b"] }, itemHeight: 90 },
        series: [{ type: "map", map: "ningbo", roam: false, data: data, layoutCenter: ["55%", "50%"], layoutSize: "118%",
          label: { show: true, fontSize: 10, color: "#1c2430" },
          emphasis: { label: { show: true } }, itemStyle: { borderColor: "#fff" } }]
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
})();
