// The reports' charts: each canvas names the JSON element that holds its data
// (rendered by the page with json_script; no inline script, see the CSP).
// The charts are decorative: the same figures are in the table beneath.
(function () {
  "use strict";
  // Colours with at least 3:1 contrast against the white page, told apart by hue and lightness.
  var COLOURS = ["#0b5cad", "#b3411b", "#1d7a3a", "#6a3d9a", "#7a5b00", "#3d4a5a"];

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof window.Chart === "undefined") return;
    var spec = JSON.parse(source.textContent);
    var datasets = spec.datasets.map(function (dataset, index) {
      var colour = COLOURS[index % COLOURS.length];
      return {
        label: dataset.label,
        data: dataset.data,
        backgroundColor: colour,
        borderColor: colour,
        borderWidth: spec.kind === "line" ? 2 : 0,
        spanGaps: true
      };
    });
    var locale = document.documentElement.lang || "en";
    new window.Chart(canvas, {
      type: spec.kind,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        locale: locale,
        plugins: { legend: { position: "bottom" } },
        scales: {
          x: { stacked: spec.stacked },
          y: {
            stacked: spec.stacked,
            beginAtZero: true,
            max: spec.percent ? 100 : undefined,
            ticks: spec.whole ? { precision: 0 } : {},
            title: { display: true, text: spec.axis }
          }
        }
      }
    });
  }

  function drawAll() {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
