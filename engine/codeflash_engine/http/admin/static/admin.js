// The dashboard's charts (Chart.js, served by the engine). Data comes from JSON blocks in the page.
"use strict";
(function () {
  if (typeof Chart === "undefined") return;
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = "system-ui, sans-serif";

  const palette = ["#2563eb", "#16a34a", "#dc2626", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#475569", "#ea580c"];

  function data(id) {
    const block = document.getElementById(id);
    return block ? JSON.parse(block.textContent) : null;
  }

  function bar(canvas, labels, datasets, options) {
    return new Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: Object.assign({ plugins: { legend: { display: datasets.length > 1 } }, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } }, options || {}),
    });
  }

  const overview = data("overview-data");
  if (overview) {
    const usd = { callbacks: { label: (ctx) => "$" + Number(ctx.parsed.y).toFixed(4) } };
    const charts = {
      requests: (c) => bar(c, overview.days, [{ label: "requests", data: overview.requests, backgroundColor: palette[0] }]),
      calls: (c) => bar(c, overview.days, [
        { label: "ok", data: overview.calls, backgroundColor: palette[1] },
        { label: "failed", data: overview.failed, backgroundColor: palette[2] },
      ]),
      cost: (c) => bar(c, overview.days, [{ label: "USD", data: overview.cost, backgroundColor: palette[3] }], { plugins: { legend: { display: false }, tooltip: usd } }),
      models: (c) => new Chart(c, {
        type: "doughnut",
        data: { labels: overview.models, datasets: [{ data: overview.model_cost, backgroundColor: overview.models.map((_, i) => palette[i % palette.length]) }] },
        options: { plugins: { legend: { position: "bottom" } } },
      }),
    };
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const draw = charts[canvas.dataset.chart];
      if (draw) draw(canvas);
    });
  }

  const trace = data("trace-data");
  const timeline = document.getElementById("chart-timeline");
  if (trace && timeline) {
    timeline.parentElement.style.height = Math.max(160, 28 * trace.labels.length + 60) + "px";
    const colour = { ok: palette[1], error: palette[2], cancelled: "#9ca3af" };
    new Chart(timeline, {
      type: "bar",
      data: {
        labels: trace.labels,
        datasets: [{ label: "call", data: trace.spans, backgroundColor: trace.outcomes.map((o) => colour[o] || palette[8]), borderSkipped: false }],
      },
      options: {
        indexAxis: "y",
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (ctx) => ctx.raw[0].toFixed(3) + " s to " + ctx.raw[1].toFixed(3) + " s (" + trace.outcomes[ctx.dataIndex] + ")" } },
        },
        scales: { x: { beginAtZero: true, title: { display: true, text: "seconds from the trace's first call" } } },
      },
    });
  }
})();
