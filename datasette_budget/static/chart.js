// Draws every [data-budget-chart] element from the JSON spec block it names.
// ast: true makes vega-embed evaluate Vega expressions with the interpreter it
// bundles (vega-interpreter), so no eval is needed and the embed page works
// under a Content-Security-Policy without 'unsafe-eval'.
(function () {
  "use strict";
  function draw(el) {
    var block = document.getElementById(el.getAttribute("data-budget-chart"));
    if (!block) return;
    var spec = JSON.parse(block.textContent);
    window
      .vegaEmbed(el, spec, {
        renderer: "svg",
        actions: false,
        ast: true,
        defaultStyle: false,
        tooltip: { disableDefaultStyle: true },
      })
      .then(function () {
        el.setAttribute("data-rendered", "true");
      })
      .catch(function (error) {
        el.textContent = "图表无法显示：" + error.message;
        el.setAttribute("data-rendered", "error");
      });
  }
  function start() {
    var els = document.querySelectorAll("[data-budget-chart]");
    for (var i = 0; i < els.length; i++) draw(els[i]);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
