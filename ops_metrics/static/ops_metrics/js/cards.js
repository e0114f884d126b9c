/* The KPI cards: each count opens its records; growth as the API rounded it (bookings, revenue); complaints show the
 * comparison window's count from the time series (/metrics has no complaints growth, and the page computes no rate). */
import { el, figureButton, byId } from "./dom.js";
import { fmt } from "./format.js";

function growthElement(rate, goodWhen) {
  if (rate === null || rate === undefined) {
    return el("p", { className: "growth growth-none", dataset: { growth: "null" } }, "no comparison");
  }
  const direction = rate > 0 ? "up" : rate < 0 ? "down" : "flat";
  const arrow = { up: "▲", down: "▼", flat: "▶" }[direction];
  const tone = direction === "flat" || !goodWhen ? "neutral" : (direction === goodWhen ? "good" : "bad");
  const words = { up: "up", down: "down", flat: "unchanged" }[direction];
  return el("p", { className: `growth growth-${tone}`, dataset: { growth: String(rate) } },
    el("span", { "aria-hidden": "true" }, `${arrow} `),
    el("span", { className: "visually-hidden" }, `${words} `),
    `${fmt.decimal(Math.abs(rate))} %`,
    el("span", { className: "growth-note" }, " vs comparison"));
}

function card({ key, label, value, text, figure, rate, goodWhen, note }) {
  const shown = figure
    ? figureButton({ figure, text, label, id: `card-${key}-open` })
    : text;
  return el("article", { className: "card", id: `card-${key}`, dataset: { card: key, value: String(value) } },
    el("h3", { className: "card-label" }, label),
    el("p", { className: "card-value" }, shown),
    note !== undefined ? el("p", { className: "growth growth-none" }, note) : growthElement(rate, goodWhen));
}

function seriesSum(body, name) {
  const values = body && body.series ? body.series[name] : null;
  return values ? values.reduce((sum, value) => sum + Number(value || 0), 0) : null;
}

export function renderCards(metrics, series) {
  const m = metrics;
  const complaintsPrevious = series && series.previous ? seriesSum(series.previous, "complaints_created") : null;
  const cards = [
    card({ key: "bookings", label: "Bookings", value: m.bookings.total, text: fmt.count(m.bookings.total),
      figure: "bookings.total", rate: m.bookings.growth_rate, goodWhen: "up" }),
    card({ key: "complaints", label: "Complaints", value: m.complaints.total, text: fmt.count(m.complaints.total),
      figure: "complaints.total",
      note: complaintsPrevious === null ? "no comparison" : `${fmt.count(complaintsPrevious)} in the comparison window` }),
    card({ key: "unresolved", label: "Unresolved", value: m.complaints.unresolved,
      text: fmt.count(m.complaints.unresolved), figure: "complaints.unresolved",
      note: "created in the window, still open" }),
    card({ key: "sla-compliance", label: "SLA compliance", value: m.sla.compliance_rate,
      text: fmt.percent(m.sla.compliance_rate), figure: "sla.resolved",
      note: "of complaints resolved in the window" }),
    card({ key: "at-risk", label: "At risk", value: m.sla.at_risk, text: fmt.count(m.sla.at_risk),
      figure: "sla.at_risk", note: "now" }),
    card({ key: "breached", label: "Breached", value: m.sla.breached, text: fmt.count(m.sla.breached),
      figure: "sla.breached", note: "now" }),
  ];
  // Amount cards exist only when the API sent amounts (ops.admin): a reader's page never holds one.
  if (m.revenue) {
    cards.push(card({ key: "revenue", label: "Revenue", value: m.revenue.total,
      text: fmt.money(m.revenue.total, m.revenue.currency), figure: "revenue.total",
      rate: m.revenue.growth_rate, goodWhen: "up" }));
    cards.push(card({ key: "average-order-value", label: "Average order value", value: m.revenue.average_order_value,
      text: fmt.money(m.revenue.average_order_value, m.revenue.currency), note: "revenue ÷ revenue bookings" }));
  }
  const container = byId("cards");
  container.replaceChildren(...cards);
  container.setAttribute("aria-busy", "false");
}
