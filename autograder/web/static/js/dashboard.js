// Draws the assignment dashboard's charts from the JSON embedded in the page (Chart.js, vendored).
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var blue = "#3b5bdb", green = "#2b8a3e", red = "#e03131";
  Chart.defaults.font.family = "system-ui, sans-serif";
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;

  function bar(id, labels, values, options) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    return new Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: [{ data: values, backgroundColor: options.colors || blue, borderRadius: 4 }] },
      options: {
        indexAxis: options.horizontal ? "y" : "x",
        plugins: { legend: { display: false }, tooltip: { callbacks: options.tooltip ? { label: options.tooltip } : {} } },
        scales: options.scales || {}
      }
    });
  }
  function rateColors(rates) {
    return rates.map(function (r) { return r.percent >= 80 ? green : r.percent >= 50 ? "#f08c00" : red; });
  }
  function percentTooltip(rates) {
    return function (ctx) { var r = rates[ctx.dataIndex]; return r.passed + " of " + r.total + " students (" + r.percent.toFixed(0) + "%)"; };
  }
  var percentAxis = { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } };

  bar("chart-histogram", data.histogram.labels, data.histogram.counts, {
    scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "students" } },
              x: { title: { display: true, text: "best score" } } }
  });
  bar("chart-functions", data.functions.map(function (r) { return r.label; }),
      data.functions.map(function (r) { return r.percent; }),
      { horizontal: true, colors: rateColors(data.functions), scales: { x: percentAxis }, tooltip: percentTooltip(data.functions) });
  var checksBox = document.getElementById("checks-box");
  if (checksBox) { checksBox.style.height = Math.max(240, 22 * data.checks.length + 40) + "px"; }
  bar("chart-checks", data.checks.map(function (r) { return r.label; }),
      data.checks.map(function (r) { return r.percent; }),
      { horizontal: true, colors: rateColors(data.checks), scales: { x: percentAxis }, tooltip: percentTooltip(data.checks) });
  var perDay = document.getElementById("chart-timeline");
  if (perDay) {
    new Chart(perDay, {
      type: "line",
      data: { labels: data.per_day.labels, datasets: [{ data: data.per_day.counts, borderColor: blue,
              backgroundColor: "rgba(59,91,219,.15)", fill: true, tension: .25, pointRadius: 3 }] },
      options: { plugins: { legend: { display: false } },
                 scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "submissions" } } } }
    });
  }
})();
