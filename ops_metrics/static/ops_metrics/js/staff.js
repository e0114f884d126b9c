/* The staff filter (a multi-select of checkboxes, "Unassigned" = none) and the per-staff table from /staff.
 * The table is sorted by the server (`ordering=`: nulls last, ties by name); clicking a header asks again. */
import { config } from "./config.js";
import { urlWith } from "./api.js";
import { el, figureButton, byId } from "./dom.js";
import { fmt } from "./format.js";
import { UNASSIGNED, canonicalStaff, queryParams } from "./query.js";

const COLUMNS = [
  { field: "staff", title: "Staff member" },
  { field: "bookings", title: "Bookings", figure: "bookings.total" },
  { field: "bookings_completed", title: "Completed", figure: "bookings.by_status.completed" },
  { field: "complaints", title: "Complaints", figure: "complaints.total" },
  { field: "complaints_resolved", title: "Resolved", figure: "sla.resolved" },
  { field: "compliance_rate", title: "SLA compliance", kind: "percent" },
  { field: "avg_response_hours", title: "Avg response", kind: "hours" },
  { field: "avg_resolution_hours", title: "Avg resolution", kind: "hours" },
  { field: "at_risk", title: "At risk", figure: "sla.at_risk" },
  { field: "breached", title: "Breached", figure: "sla.breached" },
  { field: "open_bookings", title: "Open bookings", figure: "realtime.staff_workload.bookings" },
  { field: "open_complaints", title: "Open complaints", figure: "realtime.staff_workload.complaints" },
  // Built only when the API sent it (ops.admin): never a reader's column.
  { field: "revenue", title: "Revenue", kind: "money", figure: "revenue.total", amount: true },
];
const DEFAULT_ORDERING = "staff";

export const staffState = { ordering: DEFAULT_ORDERING, known: new Map(), rows: [] };

export function staffTableUrl(query) {
  return urlWith(config.urls.staff, { ...queryParams(query), ordering: staffState.ordering });
}

/* The unfiltered list of staff the filter offers (used only while the page has a filter: see main.js). */
export function staffOptionsUrl() {
  return urlWith(config.urls.staff, { period: "today" });
}

const nameOf = (row) => (row.staff ? row.staff.name : "Unassigned");
const keyOf = (row) => (row.staff ? String(row.staff.id) : UNASSIGNED);

/* ---------- the filter ---------- */

export function learnStaff(rows) {
  rows.forEach((row) => staffState.known.set(keyOf(row), nameOf(row)));
}

export function renderStaffOptions(selected) {
  const options = new Map(staffState.known);
  selected.forEach((key) => { if (!options.has(key)) options.set(key, key === UNASSIGNED ? "Unassigned" : `Staff #${key}`); });
  const keys = [...options.keys()].sort((a, b) => {
    if (a === UNASSIGNED || b === UNASSIGNED) return a === UNASSIGNED ? 1 : -1;
    return options.get(a).localeCompare(options.get(b));
  });
  const container = byId("staff-options");
  const focused = document.activeElement && container.contains(document.activeElement) ? document.activeElement.value : null;
  container.replaceChildren(...keys.map((key) => el("label", { className: "staff-option" },
    el("input", { type: "checkbox", name: "staff", value: key, checked: selected.includes(key) }),
    ` ${options.get(key)}`)));
  if (focused) container.querySelector(`input[value="${CSS.escape(focused)}"]`)?.focus();
  byId("staff-summary").textContent = selected.length
    ? selected.map((key) => options.get(key)).join(", ")
    : "everyone";
  byId("staff-filter").dataset.selected = selected.join(",");
}

export function setupStaffFilter(onChange) {
  byId("staff-options").addEventListener("change", () => {
    const chosen = [...byId("staff-options").querySelectorAll("input[name=staff]:checked")].map((input) => input.value);
    onChange(canonicalStaff(chosen));
  });
  byId("staff-everyone").addEventListener("click", () => onChange([]));
}

/* ---------- the per-staff table ---------- */

function header(column, visible) {
  const active = staffState.ordering.replace(/^-/, "") === column.field;
  const descending = staffState.ordering.startsWith("-");
  const sort = active ? (descending ? "descending" : "ascending") : undefined;
  const arrow = active ? (descending ? " ▼" : " ▲") : "";
  return el("th", { scope: "col", className: column.field === "staff" ? undefined : "num", "aria-sort": sort,
    hidden: !visible },
  el("button", { type: "button", className: "sort", dataset: { ordering: column.field } },
    column.title, el("span", { "aria-hidden": "true" }, arrow)));
}

function cell(column, row) {
  const value = row[column.field];
  if (column.field === "staff") return el("th", { scope: "row" }, nameOf(row));
  const text = column.kind === "percent" ? fmt.percent(value) : column.kind === "hours" ? fmt.hours(value)
    : column.kind === "money" ? fmt.money(value) : fmt.count(value);
  const shown = column.figure && value !== null
    ? figureButton({ figure: column.figure, text, label: `${nameOf(row)}, ${column.title.toLowerCase()}`,
      staff: keyOf(row), who: nameOf(row) })
    : text;
  return el("td", { className: "num", dataset: { field: column.field } }, shown);
}

export function renderStaffTable(body) {
  staffState.rows = body.rows;
  const columns = COLUMNS.filter((column) => !column.amount
    || (!(body.redacted || []).includes(column.field) && body.rows.some((row) => column.field in row)));
  const table = byId("staff-table");
  table.tHead.replaceChildren(el("tr", {}, ...columns.map((column) => header(column, true))));
  const rows = body.rows.map((row) => el("tr", { dataset: { staff: keyOf(row) } },
    ...columns.map((column) => cell(column, row))));
  if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: String(columns.length) }, "No staff in this selection.")));
  table.tBodies[0].replaceChildren(...rows);
  table.dataset.ordering = staffState.ordering;
}

/* A header click: the next ordering (numbers start descending, names ascending; a second click reverses). */
export function setupStaffTable(onSort) {
  byId("staff-table").tHead.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-ordering]");
    if (!button) return;
    const field = button.dataset.ordering;
    const current = staffState.ordering;
    if (current === field) staffState.ordering = `-${field}`;
    else if (current === `-${field}`) staffState.ordering = field;
    else staffState.ordering = field === "staff" ? field : `-${field}`;
    onSort().then(() => byId("staff-table").querySelector(`button[data-ordering="${field}"]`)?.focus());
  });
}
