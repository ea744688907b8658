// Trend charts on contest pages: each [data-trend] holds its snapshots as JSON; ECharts draws
// rank (inverted: 1 on top) and score. Runs on load and after htmx swaps a chart in.
(function () {
  function draw(root) {
    if (!window.echarts || root.dataset.drawn) return;
    root.dataset.drawn = "1";
    var points = JSON.parse(root.dataset.points);
    var el = root.querySelector(".chart");
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: [root.dataset.labelRank, root.dataset.labelScore], top: 0 },
      grid: { left: 44, right: 44, top: 36, bottom: 28 },
      xAxis: { type: "category", data: points.map(function (p) { return p.day.slice(5); }) },
      yAxis: [
        { type: "value", name: root.dataset.labelRank, inverse: true, minInterval: 1, min: 1 },
        { type: "value", name: root.dataset.labelScore, min: 0, max: 100, splitLine: { show: false } },
      ],
      series: [
        { name: root.dataset.labelRank, type: "line", data: points.map(function (p) { return p.rank; }),
          symbolSize: 7, lineStyle: { width: 3 }, color: "#1f5fbf" },
        { name: root.dataset.labelScore, type: "line", yAxisIndex: 1, data: points.map(function (p) { return p.score; }),
          symbolSize: 5, lineStyle: { type: "dashed" }, color: "#a86500" },
      ],
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function drawAll() { document.querySelectorAll("[data-trend]").forEach(draw); }
  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
})();
