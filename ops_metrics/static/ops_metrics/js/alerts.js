/* The firing-alert banner: the rules of /api/v1/ops/alerts in state "firing", refreshed with the figures. Nothing
 * is shown when none fires; a refusal (the user may not see alerts) hides it, a passing failure keeps the last list. */
import { config } from "./config.js";
import { HttpError, getJson } from "./api.js";
import { el, byId } from "./dom.js";
import { fmt, when } from "./format.js";

function item(rule, timeZone) {
  const value = rule.last_value === null ? "no value" : fmt.decimal(rule.last_value);
  return el("li", { dataset: { rule: String(rule.id) } },
    el("strong", {}, rule.name),
    ` – ${rule.figure} (${rule.period}) = ${value}, threshold ${rule.comparator} ${fmt.decimal(rule.threshold)}`,
    rule.state_since ? `, firing since ${when(rule.state_since, timeZone)}` : "");
}

export function renderAlerts(rules, timeZone) {
  const section = byId("alerts");
  const firing = rules.filter((rule) => rule.state === "firing");
  section.dataset.firing = String(firing.length);
  if (!firing.length) {
    section.hidden = true;
    byId("alerts-list").replaceChildren();
    return;
  }
  byId("alerts-heading").textContent = firing.length === 1 ? "1 alert firing" : `${firing.length} alerts firing`;
  byId("alerts-list").replaceChildren(...firing.map((rule) => item(rule, timeZone)));
  section.hidden = false;
}

/* One look at the alerts; never throws (the figures' own errors are shown by main.js). */
export async function refreshAlerts(timeZone) {
  try {
    const { body } = await getJson("alerts", config.urls.alerts);
    renderAlerts(body.results, timeZone);
  } catch (error) {
    if (error instanceof HttpError && [401, 403, 404].includes(error.status)) renderAlerts([], timeZone);
    else if (!(error instanceof HttpError)) throw error;
  }
}
