// The command-centre wall: a Beijing-time clock, and an hourly reload (a wall screen runs for
// days: the reload picks up new code and frees memory). Part refreshes are htmx's, and the
// "updated at" label is kept by app.js.
(function () {
  var days = ["日", "一", "二", "三", "四", "五", "六"];
  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function tick() {
    var now = new Date(Date.now() + (new Date().getTimezoneOffset() + 480) * 60000);
    var clock = document.querySelector("[data-clock]");
    var date = document.querySelector("[data-date]");
    if (clock) clock.textContent = pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" + pad(now.getSeconds());
    if (date) date.textContent = now.getFullYear() + "年" + (now.getMonth() + 1) + "月" + now.getDate() + "日 星期" + days[now.getDay()];
  }
  tick();
  setInterval(tick, 1000);
  setTimeout(function () { location.reload(); }, 3600 * 1000);
})();
