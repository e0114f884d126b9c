/* Formatting for people (the browser's locale). Server figures are never re-rounded: rates and growth come as the
 * API rounded them (one decimal) and are formatted from their decimal text, money from its 2-place string. */
import { config } from "./config.js";

const numberFormat = new Intl.NumberFormat(undefined);
// A string argument is formatted as the exact decimal it spells (Intl.NumberFormat v3): no binary rounding either.
const decimalFormat = new Intl.NumberFormat(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 20 });
const moneyFormats = {};

export function moneyFormat(currency, whole) {
  const key = `${currency}:${whole}`;
  moneyFormats[key] ||= new Intl.NumberFormat(undefined, {
    style: "currency", currency, ...(whole ? { maximumFractionDigits: 0 } : {}),
  });
  return moneyFormats[key];
}

const absent = (value) => value === null || value === undefined;

export const fmt = {
  count: (value) => (absent(value) ? "–" : numberFormat.format(value)),
  number: (value) => numberFormat.format(value),
  decimal: (value) => (absent(value) ? "–" : decimalFormat.format(String(value))),
  percent: (value) => (absent(value) ? "–" : `${decimalFormat.format(String(value))} %`),
  hours: (value) => (absent(value) ? "–" : `${decimalFormat.format(String(value))} h`),
  money: (value, currency = config.currency) => (absent(value) ? "–" : moneyFormat(currency, false).format(String(value))),
};

export function dateTimeFormat(timeZone, options) {
  return new Intl.DateTimeFormat(undefined, { timeZone, ...options });
}

/* An ISO timestamp as a short local date and time in the business timezone ("–" for null). */
export function when(iso, timeZone) {
  if (!iso) return "–";
  return dateTimeFormat(timeZone, { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" })
    .format(new Date(iso));
}

export function bucketLabel(iso, interval, timeZone) {
  const date = new Date(iso);
  if (interval === "hour") return dateTimeFormat(timeZone, { hour: "2-digit", minute: "2-digit" }).format(date);
  if (interval === "month") return dateTimeFormat(timeZone, { month: "short", year: "numeric" }).format(date);
  const label = dateTimeFormat(timeZone, { weekday: interval === "day" ? "short" : undefined, day: "numeric", month: "short" })
    .format(date);
  return interval === "week" ? `wk ${label}` : label;
}

export const capitalise = (text) => text.charAt(0).toUpperCase() + text.slice(1).replace(/_/g, " ");
