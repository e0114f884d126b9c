/* What the page shows: a period or a custom range, and a staff filter; kept in the address (?period=week&staff=3,none). */
import { config } from "./config.js";
import { urlWith } from "./api.js";

export const UNASSIGNED = "none";

/* Staff filter values in the API's canonical order: ids ascending, then `none`. */
export function canonicalStaff(values) {
  const unique = [...new Set(values.map(String))];
  const ids = unique.filter((v) => /^[0-9]+$/.test(v)).sort((a, b) => Number(a) - Number(b));
  return unique.includes(UNASSIGNED) ? [...ids, UNASSIGNED] : ids;
}

export function readQuery() {
  const params = new URLSearchParams(window.location.search);
  const staff = canonicalStaff((params.get("staff") || "").split(",").map((v) => v.trim()).filter(Boolean));
  if (params.get("start") && params.get("end")) return { start: params.get("start"), end: params.get("end"), staff };
  const period = params.get("period");
  return { period: config.periods.includes(period) ? period : config.defaultPeriod, staff };
}

export function windowParams(query) {
  return query.period ? { period: query.period } : { start: query.start, end: query.end };
}

/* The window and the staff filter: what every request of the page carries. */
export function queryParams(query, staff = query.staff) {
  return { ...windowParams(query), staff: staff.length ? staff.join(",") : undefined };
}

export function writeAddress(query) {
  window.history.replaceState(null, "", urlWith(window.location.pathname, queryParams(query)));
}
