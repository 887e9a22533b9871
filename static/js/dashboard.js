/* The dashboards' charts (Chart.js, vendored in static/vendor/chartjs) and print button. Each chart's
   data sits in a <script type="application/json"> the page wrote (no inline script: CSP); the table
   beside each chart holds the same figures for those who cannot see it. */
(function () {
  "use strict";

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || !window.Chart) { return; }
    var data = JSON.parse(source.textContent);
    if (!data.labels || !data.labels.length) { return; }
    var percent = data.kind === "percent";
    var horizontal = data.labels.length > 6;
    var valueAxis = { beginAtZero: true };
    if (percent) { valueAxis.max = 100; valueAxis.ticks = { callback: function (v) { return v + "%"; } }; }
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{ label: data.title, data: data.values, backgroundColor: "#b71c1c" }]
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: false }, title: { display: true, text: data.title } },
        scales: horizontal ? { x: valueAxis } : { y: valueAxis }
      }
    });
    canvas.setAttribute("data-drawn", "true");
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
    document.querySelectorAll("button[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
