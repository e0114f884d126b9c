/* SLA by priority and the staff workload (from /metrics): every count opens its records. */
import { el, figureButton, byId } from "./dom.js";
import { fmt, capitalise } from "./format.js";

const PRIORITIES = ["critical", "high", "medium", "low"];

export function renderSla(metrics) {
  const rows = PRIORITIES.filter((p) => metrics.sla.by_priority[p]).map((priority) => {
    const row = metrics.sla.by_priority[priority];
    const cell = (state, words) => el("td", { className: "num" }, figureButton({
      figure: `sla.by_priority.${priority}.${state}`, text: fmt.count(row[state]),
      label: `${capitalise(priority)} ${words}`,
    }));
    return el("tr", { dataset: { priority } },
      el("th", { scope: "row" }, capitalise(priority)), cell("at_risk", "at risk"), cell("breached", "breached"));
  });
  byId("sla-table").tBodies[0].replaceChildren(...rows);
}

export function renderWorkload(metrics) {
  const workload = metrics.realtime ? metrics.realtime.staff_workload : [];
  const rows = workload.map((row) => {
    const cell = (column, words) => el("td", { className: "num" }, figureButton({
      figure: `realtime.staff_workload.${column}`, text: fmt.count(row[column]), label: `${row.name}, ${words}`,
      staff: String(row.staff_id), who: row.name,
    }));
    return el("tr", { dataset: { staffId: String(row.staff_id) } },
      el("th", { scope: "row" }, row.name),
      cell("bookings", "open bookings"), cell("complaints", "unresolved complaints"),
      el("td", { className: "num" }, fmt.count(row.total)));
  });
  if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: "4" }, "No active staff in this selection.")));
  byId("workload-table").tBodies[0].replaceChildren(...rows);
}

export function clearTables() {
  ["sla-table", "workload-table", "staff-table"].forEach((id) => byId(id).tBodies[0].replaceChildren());
}
