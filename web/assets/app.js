// Tongdu console: what scripts add to pages that work without them. Charts are drawn
// from the JSON in a [data-chart] element (the same figures are in a table beside it);
// htmx swaps pages and forms in place. Loaded with defer, after the page is parsed.
(function () {
  "use strict";

  // The charts library is large (1 MB): it is fetched only when a page has a chart, and
  // once. A page swapped in by htmx runs no head scripts, so this is how it arrives.
  var loading = null;
  function withCharts(then) {
    if (window.echarts) { then(); return; }
    if (!loading) {
      loading = new Promise(function (resolve) {
        var s = document.createElement("script");
        s.src = "/assets/vendor/echarts.min.js";
        s.onload = resolve;
        document.head.appendChild(s);
      });
    }
    loading.then(then);
  }

  function drawCharts(root) {
    if (!root.querySelector("[data-chart]")) { return; }
    withCharts(function () { draw(root); });
  }

  function draw(root) {
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) { return; }
      var option;
      try { option = JSON.parse(el.dataset.chart); } catch (e) { return; }
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(option);
      el.dataset.drawn = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSettle", function (e) { drawCharts(e.target); });
  window.tongdu = { drawCharts: drawCharts };
})();
