/* Charts of the time series (Chart.js, vendored, loaded before the modules), with the comparison window dashed.
 * A chart is built only when the API returned its first series (revenue: admins only). */
import { el, byId } from "./dom.js";
import { bucketLabel, moneyFormat, fmt } from "./format.js";
import { config } from "./config.js";

const COLORS = { current: "#1d4ed8", previous: "#64748b", second: "#b45309", secondPrevious: "#a8a29e" };
const SERIES_LABELS = { complaints_created: "Created", complaints_resolved: "Resolved" };
const CHARTS = [
  { key: "bookings", title: "Bookings created", metrics: ["bookings_created"], kind: "count" },
  { key: "revenue", title: "Revenue", metrics: ["revenue"], kind: "money" },
  { key: "complaints", title: "Complaints created and resolved",
    metrics: ["complaints_created", "complaints_resolved"], kind: "count" },
  { key: "sla", title: "SLA compliance (%)", metrics: ["sla_compliance_rate"], kind: "percent" },
];

export const charts = {};

function datasetsOf(spec, series) {
  const datasets = [];
  const toNumber = (value) => (value === null ? null : Number(value));
  spec.metrics.forEach((metric, index) => {
    const name = SERIES_LABELS[metric] || metric.replace(/_/g, " ");
    datasets.push({
      label: spec.metrics.length > 1 ? name : "This window", data: series.series[metric].map(toNumber),
      borderColor: index ? COLORS.second : COLORS.current, backgroundColor: index ? COLORS.second : COLORS.current,
      borderWidth: 2, pointRadius: series.buckets.length > 40 ? 0 : 2, tension: 0.2, spanGaps: false,
    });
    if (series.previous && series.previous.series[metric]) {
      datasets.push({
        label: spec.metrics.length > 1 ? `${name}, comparison` : "Comparison window",
        data: series.previous.series[metric].map(toNumber),
        borderColor: index ? COLORS.secondPrevious : COLORS.previous,
        backgroundColor: index ? COLORS.secondPrevious : COLORS.previous,
        borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0, tension: 0.2,
      });
    }
  });
  return datasets;
}

/* csvUrl(metrics) gives the CSV link of a chart (the page's window and staff filter). */
export function renderCharts(series, timeZone, csvUrl) {
  const container = byId("charts");
  const wanted = CHARTS.filter((chart) => series.series[chart.metrics[0]] !== undefined);
  Object.keys(charts).forEach((key) => {
    if (!wanted.some((chart) => chart.key === key)) removeChart(key);
  });
  wanted.forEach((spec) => {
    const labels = series.buckets.map((bucket) => bucketLabel(bucket, series.interval, timeZone));
    const datasets = datasetsOf(spec, series);
    const tickFormat = spec.kind === "money" ? (v) => moneyFormat(config.currency, true).format(v) : (v) => fmt.number(v);
    const summary = `${spec.title}: ${series.buckets.length} ${series.interval} buckets` +
      (series.previous ? ", with the comparison window dashed" : "");
    let entry = charts[spec.key];
    if (!entry) {
      const canvas = el("canvas", { role: "img", id: `chart-${spec.key}-canvas` });
      const csv = el("a", { className: "csv", href: "#", download: "" }, "CSV");
      const figure = el("figure", { className: "chart panel", id: `chart-${spec.key}`, dataset: { chart: spec.key } },
        el("figcaption", {}, el("h3", {}, spec.title), csv),
        el("div", { className: "chart-box" }, canvas));
      container.append(figure);
      const chart = new window.Chart(canvas, {
        type: "line",
        data: { labels, datasets },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false, normalized: true,
          interaction: { mode: "index", intersect: false },
          scales: {
            y: { beginAtZero: true, ticks: { callback: tickFormat }, suggestedMax: spec.kind === "percent" ? 100 : undefined },
            x: { ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 12 } },
          },
          plugins: { legend: { position: "bottom", labels: { usePointStyle: true, pointStyle: "line" } } },
        },
      });
      entry = charts[spec.key] = { chart, figure, canvas, csv };
    } else {
      entry.chart.data.labels = labels;
      entry.chart.data.datasets = datasets;
      entry.chart.options.scales.y.ticks.callback = tickFormat;
      entry.chart.update();
    }
    entry.canvas.setAttribute("aria-label", summary);
    entry.figure.dataset.points = String(series.buckets.length);
    entry.csv.href = csvUrl(spec.metrics);
    entry.csv.setAttribute("aria-label", `Download ${spec.title} as CSV`);
  });
}

function removeChart(key) {
  charts[key].chart.destroy();
  charts[key].figure.remove();
  delete charts[key];
}

export function clearCharts() { Object.keys(charts).forEach(removeChart); }
