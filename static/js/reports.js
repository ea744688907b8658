/* The weekly anti-fraud map: district choropleth, type shares, occupations and 12-week trends.
   Data comes from <script type="application/json" id="bulletin-data"> (no inline code). */
(function () {
  "use strict";
  var source = document.getElementById("bulletin-data");
  var script = document.currentScript || document.querySelector("script[data-geo]");
  if (!source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var charts = [];
  var palette = ["#1f5fbf", "#c0392b", "#a86500", "#1a7f4b", "#7a4fbf", "#0f8a9d", "#d35f8d", "#5d6b7e", "#8c9f2b", "#b9770e", "#34495e", "#16a085"];

  function init(id) {
    var box = document.getElementById(id);
    if (!box) return null;
    var chart = echarts.init(box, null, { renderer: "canvas" });
    charts.push(chart);
    return chart;
  }

  var map = document.getElementById("bulletin-map");
  if (map && script) {
    fetch(script.getAttribute("data-geo"))
      .then(function (response) { return response.json(); })
      .then(function (geo) {
        echarts.registerMap("ningbo", geo);
        var chart = init("bulletin-map");
        var top = data.districts.reduce(function (m, d) { return Math.max(m, d.value || 0); }, 0);
        chart.setOption({
          animation: false,
          tooltip: { trigger: "item", formatter: function (p) { return p.name + ":" + (isNaN(p.value) ? 0 : p.value) + " 起"; } },
          visualMap: { min: 0, max: Math.max(top, 1), left: 4, bottom: 4, text: [String(Math.max(top, 1)), "0"], calculable: false,
            inRange: { color: ["#fdf3e1", "#f4a259", "#c0392b"] }, itemHeight: 80 },
          series: [{ type: "map", map: "ningbo", roam: false, data: data.districts, layoutCenter: ["45%", "50%"], layoutSize: "95%",
            label: { show: true, fontSize: 10, color: "#1c2430" }, itemStyle: { borderColor: "#fff" } }]
        });
      });
  }

  var types = init("chart-types");
  if (types) {
    // On a phone the outside labels would be cut off: a legend below the ring instead.
    var narrow = document.getElementById("chart-types").clientWidth < 480;
    types.setOption({
      animation: false, color: palette,
      tooltip: { trigger: "item", formatter: "{b}:{c} 起({d}%)" },
      legend: narrow ? { bottom: 0, type: "scroll" } : undefined,
      series: [{ type: "pie", radius: narrow ? ["30%", "55%"] : ["35%", "65%"], center: ["50%", narrow ? "45%" : "50%"],
        data: data.types, label: { show: !narrow, formatter: "{b} {d}%" } }]
    });
  }

  var jobs = init("chart-occupations");
  if (jobs) {
    jobs.setOption({
      animation: false, color: ["#1f5fbf"], grid: { left: 80, right: 24, top: 10, bottom: 24 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: data.occupations.map(function (o) { return o.name; }) },
      series: [{ type: "bar", data: data.occupations.map(function (o) { return o.value; }), label: { show: true, position: "right" } }]
    });
  }

  var trend = init("chart-trend");
  if (trend) {
    trend.setOption({
      animation: false, color: palette,
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 40, right: 16, top: 40, bottom: 30 },
      xAxis: { type: "category", data: data.weeks.map(function (w) { return w.slice(5); }) },
      yAxis: { type: "value", minInterval: 1 },
      series: data.trend.map(function (a) { return { name: a.name, type: "line", data: a.data, symbolSize: 4 }; })
    });
  }

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  window.addEventListener("beforeprint", function () { charts.forEach(function (c) { c.resize(); }); });
})();
