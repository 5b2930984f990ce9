// Usage insights (admin_center/insights/views.py): draws each chart with Chart.js from the
// figures the page hands over in <script type="application/json" id="insights-data">, the same
// figures its tables print. No inline script or style: the CSP allows neither.
(function () {
  "use strict";

  const source = document.getElementById("insights-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  const Chart = window.Chart;
  const data = JSON.parse(source.textContent);
  // The admin center's colours (static/ciam/admin.css); each has at least 3:1 contrast
  // with the white card, as WCAG 1.4.11 asks of a chart's parts.
  const tones = { accent: "#0f62d6", ok: "#16794c", danger: "#c2261b", warn: "#9a5b00" };
  const series = ["#0f62d6", "#9a5b00", "#6b3fa0", "#00788a", "#b3407a", "#16794c", "#5b6470", "#c2261b", "#3b6e00"];

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#3d4550";

  function colours(chart, dataset, index) {
    if (dataset.tone !== "series") {
      return tones[dataset.tone] || tones.accent;
    }
    if (chart.datasets.length > 1) {
      return series[index % series.length];
    }
    return dataset.data.map((_value, bar) => series[bar % series.length]);
  }

  for (const chart of data.charts) {
    const canvas = document.querySelector(`canvas[data-chart="${chart.id}"]`);
    if (!canvas) {
      continue;
    }
    const line = chart.kind === "line";
    const datasets = chart.datasets.map((dataset, index) => {
      const colour = colours(chart, dataset, index);
      return {
        label: dataset.label,
        data: dataset.data,
        backgroundColor: colour,
        borderColor: colour,
        borderWidth: line ? 2 : 0,
        pointRadius: line ? 2 : 0,
        cubicInterpolationMode: "monotone",
        maxBarThickness: 36,
      };
    });
    const value = { beginAtZero: true, stacked: chart.stacked, ticks: { precision: 0 } };
    const category = { stacked: chart.stacked, grid: { display: false } };
    new Chart(canvas, {
      type: chart.kind,
      data: { labels: chart.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        indexAxis: chart.horizontal ? "y" : "x",
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { display: chart.datasets.length > 1, position: "bottom" },
        },
        scales: chart.horizontal ? { x: value, y: category } : { x: category, y: value },
      },
    });
    canvas.dataset.drawn = "true";
  }
})();
