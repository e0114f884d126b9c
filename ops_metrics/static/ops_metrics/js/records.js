/* The records behind a count: a modal <dialog> listing /records?figure=… for the page's window and staff filter (or one
 * staff member's row), a page at a time through the API's next/previous links, with a CSV link of the whole list.
 * Escape closes it (the dialog's own cancel), focus returns to the count that opened it. Amount columns are built
 * only for ops.admin and only when the rows carry them (the API withholds them from readers). */
import { config } from "./config.js";
import { HttpError, getJson, urlWith } from "./api.js";
import { el, byId } from "./dom.js";
import { fmt, when, capitalise } from "./format.js";
import { queryParams } from "./query.js";

const BOOKING_COLUMNS = [
  ["reference", "Reference"], ["customer_name", "Customer"], ["status", "Status"], ["payment_status", "Payment"],
  ["assigned_staff", "Staff"], ["scheduled_for", "Scheduled"], ["created_at", "Created"],
];
const AMOUNT_COLUMN = ["total_amount", "Amount"];
const COMPLAINT_COLUMNS = [
  ["subject", "Subject"], ["priority", "Priority"], ["status", "Status"], ["assigned_to", "Staff"],
  ["booking_reference", "Booking"], ["created_at", "Created"], ["first_response_at", "First response"],
  ["resolved_at", "Resolved"], ["sla_state", "SLA"],
];
const TIMES = new Set(["scheduled_for", "created_at", "first_response_at", "resolved_at"]);
const WORDS = { at_risk: "at risk", breached: "breached" };

/* What a figure's rows are, in words (the panel's title). */
export function describeFigure(figure) {
  const parts = figure.split(".");
  const [group] = parts;
  if (figure === "bookings.total") return "Bookings created in the window";
  if (figure === "complaints.total") return "Complaints created in the window";
  if (figure === "complaints.unresolved") return "Unresolved complaints created in the window";
  if (figure === "sla.resolved") return "Complaints resolved in the window, with their SLA state";
  if (figure === "sla.at_risk" || figure === "sla.breached") return `Complaints ${WORDS[parts[1]]} now`;
  if (group === "sla") return `${capitalise(parts[2])} complaints ${WORDS[parts[3]]} now`;
  if (figure === "realtime.staff_workload.bookings") return "Open bookings now";
  if (figure === "realtime.staff_workload.complaints") return "Unresolved complaints now";
  if (group === "realtime") return `${capitalise(parts[1])} now`;
  if (parts[1] === "by_status") return `${capitalise(group)} created in the window, status ${parts[2].replace(/_/g, " ")}`;
  if (parts[1] === "by_priority") return `Complaints created in the window, priority ${parts[2]}`;
  return capitalise(figure);
}

const isBookings = (figure) => figure.startsWith("bookings.") || figure.startsWith("revenue.")
  || figure === "realtime.active_bookings" || figure === "realtime.pending_bookings"
  || figure === "realtime.staff_workload.bookings";

const panel = {
  opener: null, openerSelector: null, figure: null, offset: 0, body: null, loads: 0,
  pageSize: config.recordsPageSize, getQuery: null, onError: null,
};

function columnsFor(figure, rows) {
  if (!isBookings(figure)) return COMPLAINT_COLUMNS;
  const amounts = config.admin && rows.some((row) => AMOUNT_COLUMN[0] in row);
  return amounts ? [...BOOKING_COLUMNS, AMOUNT_COLUMN] : BOOKING_COLUMNS;
}

function cellText(name, value) {
  if (value === null || value === undefined || value === "") return "–";
  if (TIMES.has(name) || name.endsWith("_due_at")) return when(value, panel.timeZone);
  if (name === "assigned_staff" || name === "assigned_to") return value.name;
  if (name === "total_amount") return fmt.money(value);
  if (name === "sla_state") return value === "at_risk" ? "at risk" : value;
  if (name === "status" || name === "payment_status") return value.replace(/_/g, " ");
  return String(value);
}

function render(body) {
  const columns = columnsFor(panel.figure, body.results);
  const table = byId("records-table");
  table.tHead.replaceChildren(el("tr", {}, ...columns.map(([name, title]) => el("th", {
    scope: "col", className: name === "total_amount" ? "num" : undefined }, title))));
  const rows = body.results.map((row) => el("tr", { dataset: { id: String(row.id) } },
    ...columns.map(([name]) => el("td", { className: name === "total_amount" ? "num" : undefined, dataset: { column: name } },
      cellText(name, row[name])))));
  if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: String(columns.length) }, "No records.")));
  table.tBodies[0].replaceChildren(...rows);
  const end = when(body.window.end, panel.timeZone);
  byId("records-window").textContent = body.window.start
    ? `${when(body.window.start, panel.timeZone)} – ${end}` : `Up to ${end}`;
  const first = body.results.length ? panel.offset + 1 : 0;
  const last = panel.offset + body.results.length;
  byId("records-position").textContent = `Rows ${fmt.count(first)}–${fmt.count(last)} of ${fmt.count(body.count)}`;
  byId("records-previous").disabled = !body.previous;
  byId("records-next").disabled = !body.next;
  const dialog = byId("records");
  dialog.dataset.count = String(body.count);
  dialog.dataset.rows = String(body.results.length);
  dialog.dataset.offset = String(panel.offset);
  panel.loads += 1;
  dialog.dataset.loads = String(panel.loads);
  dialog.setAttribute("aria-busy", "false");
}

async function load(url, direction) {
  const dialog = byId("records");
  dialog.setAttribute("aria-busy", "true");
  try {
    const { body } = await getJson("records", url);
    if (direction === "next") panel.offset += panel.body.results.length;
    if (direction === "previous") panel.offset = Math.max(0, panel.offset - body.results.length);
    panel.body = body;
    render(body);
  } catch (error) {
    dialog.setAttribute("aria-busy", "false");
    const text = error instanceof HttpError && error.status === 403
      ? "You may not see these records."
      : `The records could not be loaded (${error instanceof HttpError ? (error.status || "no network") : error.message}).`;
    byId("records-position").textContent = text;
    if (error instanceof HttpError && error.status === 401) panel.onError(error);
  }
}

/* Open the panel for a [data-figure] button (see dom.figureButton). */
export function openRecords(button, { query, timeZone, staffNames }) {
  const figure = button.dataset.figure;
  const staff = button.dataset.staff !== undefined ? [button.dataset.staff] : query.staff;
  const who = button.dataset.staff !== undefined ? button.dataset.who
    : (query.staff.length ? staffNames(query.staff) : "");
  panel.opener = button;
  panel.openerSelector = `[data-figure="${CSS.escape(figure)}"]` +
    (button.dataset.staff !== undefined ? `[data-staff="${CSS.escape(button.dataset.staff)}"]` : ":not([data-staff])");
  panel.figure = figure;
  panel.offset = 0;
  panel.body = null;
  panel.timeZone = timeZone;
  const params = { ...queryParams(query, staff), figure };
  byId("records-title").textContent = describeFigure(figure) + (who ? ` – ${who}` : "");
  byId("records-window").textContent = "";
  byId("records-csv").href = urlWith(config.urls.records, { ...params, format: "csv" });
  byId("records-position").textContent = "Loading…";
  byId("records-table").tHead.replaceChildren();
  byId("records-table").tBodies[0].replaceChildren();
  const dialog = byId("records");
  dialog.dataset.figure = figure;
  if (!dialog.open) dialog.showModal();
  byId("records-close").focus();
  return load(urlWith(config.urls.records, { ...params, page_size: panel.pageSize }));
}

export function setupRecords(onError) {
  panel.onError = onError;
  const dialog = byId("records");
  byId("records-close").addEventListener("click", () => dialog.close());
  byId("records-next").addEventListener("click", () => panel.body && panel.body.next && load(panel.body.next, "next"));
  byId("records-previous").addEventListener("click", () => panel.body && panel.body.previous
    && load(panel.body.previous, "previous"));
  // A click on the backdrop (outside the dialog's box) closes it too.
  dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); });
  dialog.addEventListener("close", () => {
    // The figures may have been redrawn meanwhile (auto-refresh): focus the same count's new button then.
    const target = panel.opener && panel.opener.isConnected ? panel.opener : document.querySelector(panel.openerSelector);
    if (target) target.focus();
  });
}

export const recordsPanel = panel;
