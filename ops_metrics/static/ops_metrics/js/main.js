/* The ops dashboard page (docs/api.md, dashboard page): wires the modules together. Every figure comes from the JSON
 * endpoints, asked with the session cookie, the last ETag and the page's window and staff filter; refreshed every
 * config.refreshSeconds. Elements for amounts are built only when the API returns them. */
import { config } from "./config.js";
import { HttpError, getJson, lastStatus, urlWith } from "./api.js";
import { byId, announce } from "./dom.js";
import { dateTimeFormat } from "./format.js";
import { readQuery, queryParams, writeAddress } from "./query.js";
import { showBanner, clearBanner, tick } from "./banner.js";
import { renderCards } from "./cards.js";
import { renderSla, renderWorkload, clearTables } from "./tables.js";
import { charts, renderCharts, clearCharts } from "./charts.js";
import { openRecords, setupRecords, recordsPanel } from "./records.js";
import {
  staffState, staffTableUrl, staffOptionsUrl, learnStaff, renderStaffOptions, setupStaffFilter, renderStaffTable,
  setupStaffTable,
} from "./staff.js";
import { refreshAlerts } from "./alerts.js";

const root = byId("main");
const REFRESH_MS = config.refreshSeconds * 1000;
const state = {
  query: readQuery(), metrics: null, series: null, staff: null, generatedAt: null,
  renders: 0, staffRenders: 0, timer: null, retryInMs: null, inFlight: null,
};

function metricsUrl() { return urlWith(config.urls.metrics, queryParams(state.query)); }

function timeseriesUrl(extra) {
  const params = { ...queryParams(state.query), ...extra };
  // The API refuses compare=true for "all" (there is no previous window).
  if (state.query.period !== "all") params.compare = "true";
  return urlWith(config.urls.timeseries, params);
}

function setQuery(query) {
  state.query = { staff: [], ...query };
  writeAddress(state.query);
  syncControls();
  return refresh();
}

function syncControls() {
  document.querySelectorAll("input[name=period]").forEach((input) => {
    input.checked = input.value === state.query.period;
  });
  if (state.query.start) {
    byId("range-start").value = state.query.start;
    byId("range-end").value = state.query.end;
  }
  renderStaffOptions(state.query.staff);
}

const staffNames = (keys) => keys.map((key) => staffState.known.get(key) || key).join(", ");

/* The staff the filter offers: the per-staff rows when unfiltered; with a filter, one unfiltered look (today). */
async function learnStaffOptions(staffBody) {
  if (!state.query.staff.length) learnStaff(staffBody.rows);
  else if (!staffState.known.size) learnStaff((await getJson("staff", staffOptionsUrl())).body.rows);
  renderStaffOptions(state.query.staff);
}

function refresh() {
  const query = state.query;
  const figures = Promise.all([
    getJson("metrics", metricsUrl()), getJson("timeseries", timeseriesUrl({})), getJson("staff", staffTableUrl(query)),
  ]);
  state.inFlight = figures.then(async ([metrics, series, staff]) => {
    if (query !== state.query) return;  // the user switched while this was on its way
    clearBanner();
    if (metrics.changed || series.changed || staff.changed || state.metrics !== metrics.body
        || state.series !== series.body || state.staff !== staff.body) {
      state.metrics = metrics.body;
      state.series = series.body;
      state.staff = staff.body;
      render();
      announce(`Figures updated for ${describeWindow()}.`);
    }
    state.generatedAt = new Date(metrics.body.generated_at);
    tick(state.generatedAt);
    await learnStaffOptions(staff.body);
  }).catch(handleError)
    .finally(() => {
      root.dataset.metricsStatus = String(lastStatus.metrics ?? "");
      root.dataset.timeseriesStatus = String(lastStatus.timeseries ?? "");
      root.dataset.staffStatus = String(lastStatus.staff ?? "");
      schedule(state.retryInMs ?? REFRESH_MS);
      state.retryInMs = null;
    })
    .then(() => (state.metrics ? refreshAlerts(state.metrics.timezone) : null));
  return state.inFlight;
}

function schedule(delayMs) {
  window.clearTimeout(state.timer);
  state.timer = window.setTimeout(refresh, delayMs);
}

function handleError(error) {
  if (!(error instanceof HttpError)) {
    showBanner("error", `The page could not show the figures (${error.message}). Retrying in a minute.`, refresh);
    throw error;
  }
  const status = error.status;
  if (status === 401) {
    const next = window.location.pathname + window.location.search;
    window.location.assign(`${config.urls.login}?next=${encodeURIComponent(next)}`);
    return;
  }
  if (status === 403) {
    clearFigures();
    showBanner("error", "You no longer have permission to view the ops metrics (ops.read or ops.admin). "
      + "Ask an administrator, or log in as another user.", refresh);
    return;
  }
  if (status === 429) {
    const seconds = Math.max(1, parseInt(error.response.headers.get("Retry-After") || "60", 10) || 60);
    state.retryInMs = seconds * 1000;
    showBanner("notice", `Too many requests: the server asks to wait. Retrying in ${seconds} s.`, refresh);
    return;
  }
  if (status === 400) {
    const errors = error.body && error.body.errors ? error.body.errors : {};
    const text = Object.entries(errors).map(([name, messages]) => `${name}: ${[].concat(messages).join(" ")}`);
    showBanner("error", `The server refused this window. ${text.join("; ")}`, refresh);
    return;
  }
  const what = status === 0 ? "The server cannot be reached (network down?)" : `The server failed (HTTP ${status})`;
  const kept = state.metrics ? " The figures below are the last ones received." : "";
  showBanner("error", `${what}.${kept} Retrying in ${Math.round(REFRESH_MS / 1000)} s.`, refresh);
}

function describeWindow() {
  const m = state.metrics;
  if (!m) return "";
  const day = dateTimeFormat(m.timezone, { day: "numeric", month: "short", year: "numeric" });
  const start = m.window.start ? day.format(new Date(m.window.start)) : "the first record";
  const end = dateTimeFormat(m.timezone, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" })
    .format(new Date(m.window.end));
  const staff = state.query.staff.length ? `, staff: ${staffNames(state.query.staff)}` : "";
  return `${start} – ${end} (${m.period === "custom" ? "custom range" : m.period}${staff})`;
}

function render() {
  const m = state.metrics;
  byId("timezone").textContent = m.timezone;
  byId("window-label").textContent = describeWindow();
  renderCards(m, state.series);
  renderSla(m);
  renderWorkload(m);
  renderStaffTable(state.staff);
  renderCharts(state.series, m.timezone, (metrics) => timeseriesUrl({ metrics: metrics.join(","), format: "csv" }));
  state.renders += 1;
  root.dataset.renders = String(state.renders);
  root.dataset.period = m.period;
  root.dataset.staff = state.query.staff.join(",");
}

function clearFigures() {
  state.metrics = null;
  state.series = null;
  state.staff = null;
  byId("cards").replaceChildren();
  clearTables();
  clearCharts();
}

/* A header click of the per-staff table: that table only, sorted by the server. */
function sortStaff() {
  return getJson("staff", staffTableUrl(state.query)).then(({ body }) => {
    state.staff = body;
    renderStaffTable(body);
    state.staffRenders += 1;
    root.dataset.staffRenders = String(state.staffRenders);
  }).catch(handleError);
}

/* ---------- controls ---------- */

document.querySelectorAll("input[name=period]").forEach((input) => {
  input.addEventListener("change", () => { if (input.checked) setQuery({ period: input.value, staff: state.query.staff }); });
});
byId("range-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const start = byId("range-start").value;
  const end = byId("range-end").value;
  if (!start || !end || start >= end) {
    showBanner("error", "Choose a start date before the end date.");
    return;
  }
  setQuery({ start, end, staff: state.query.staff });
});
byId("refresh-now").addEventListener("click", () => refresh());
setupStaffFilter((staff) => setQuery({ ...state.query, staff }));
setupStaffTable(sortStaff);
setupRecords(handleError);
root.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-figure]");
  if (!button || !state.metrics) return;
  openRecords(button, { query: state.query, timeZone: state.metrics.timezone, staffNames });
});

window.opsDashboard = { refresh, setQuery, state, charts, records: recordsPanel };
syncControls();
window.setInterval(() => tick(state.generatedAt), 1000);
refresh();
