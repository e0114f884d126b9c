/* The ops dashboard page: every figure comes from the two JSON endpoints (docs/api.md, response, time series), asked with the
 * session cookie and the last ETag (If-None-Match: a 304 leaves the page as it is). Elements for revenue are
 * built only when the API returns revenue, so a reader's page never holds one. */
(function () {
  "use strict";

  const root = document.getElementById("main");
  const METRICS_URL = root.dataset.metricsUrl;
  const TIMESERIES_URL = root.dataset.timeseriesUrl;
  const LOGIN_URL = root.dataset.loginUrl;
  const REFRESH_MS = Number(root.dataset.refreshSeconds || 60) * 1000;
  const PERIODS = ["today", "week", "month", "all"];
  const PRIORITIES = ["critical", "high", "medium", "low"];
  const COLORS = { current: "#1d4ed8", previous: "#64748b", second: "#b45309", secondPrevious: "#a8a29e" };

  const numberFormat = new Intl.NumberFormat(undefined);
  const percentFormat = new Intl.NumberFormat(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const moneyFormats = {};
  const moneyFormat = (currency, whole) => (moneyFormats[`${currency}:${whole}`] ||= new Intl.NumberFormat(undefined, {
    style: "currency", currency, ...(whole ? { maximumFractionDigits: 0 } : {}),
  }));
  const SERIES_LABELS = { complaints_created: "Created", complaints_resolved: "Resolved" };

  /* What the page shows and what it last received, per request URL. */
  const state = {
    query: readQuery(),
    etags: {},        // url -> ETag
    bodies: {},       // url -> last 200 body
    metrics: null,
    series: null,
    generatedAt: null,
    lastStatus: {},   // "metrics" / "timeseries" -> last HTTP status (0: network error)
    renders: 0,
    timer: null,
    retryInMs: null,  // set by a 429: the next refresh waits for Retry-After
    inFlight: null,
  };
  const charts = {};

  /* ---------- the query: period or custom range, kept in the address bar ---------- */

  function readQuery() {
    const params = new URLSearchParams(window.location.search);
    if (params.get("start") && params.get("end")) return { start: params.get("start"), end: params.get("end") };
    const period = params.get("period");
    return { period: PERIODS.includes(period) ? period : "week" };
  }

  function queryParams(query) {
    return query.period ? { period: query.period } : { start: query.start, end: query.end };
  }

  function urlWith(base, params) {
    const search = new URLSearchParams(params).toString();
    return search ? `${base}?${search}` : base;
  }

  function metricsUrl() { return urlWith(METRICS_URL, queryParams(state.query)); }

  function timeseriesUrl(extra) {
    const params = { ...queryParams(state.query), ...extra };
    // The API refuses compare=true for "all" (there is no previous window).
    if (state.query.period !== "all") params.compare = "true";
    return urlWith(TIMESERIES_URL, params);
  }

  function setQuery(query) {
    state.query = query;
    window.history.replaceState(null, "", urlWith(window.location.pathname, queryParams(query)));
    syncControls();
    return refresh();
  }

  function syncControls() {
    document.querySelectorAll("input[name=period]").forEach((input) => {
      input.checked = input.value === state.query.period;
    });
    if (state.query.start) {
      document.getElementById("range-start").value = state.query.start;
      document.getElementById("range-end").value = state.query.end;
    }
  }

  /* ---------- fetching, with the ETag and the error paths ---------- */

  class HttpError extends Error {
    constructor(status, response, body) {
      super(`HTTP ${status}`);
      this.status = status;
      this.response = response;
      this.body = body;
    }
  }

  async function getJson(kind, url) {
    const headers = { Accept: "application/json" };
    if (state.etags[url]) headers["If-None-Match"] = state.etags[url];
    let response;
    try {
      // no-store: the conditional request is ours, so a 304 reaches the page rather than the browser cache.
      response = await fetch(url, { headers, credentials: "same-origin", cache: "no-store" });
    } catch (error) {
      state.lastStatus[kind] = 0;
      throw new HttpError(0, null, null);
    }
    state.lastStatus[kind] = response.status;
    if (response.status === 304 && state.bodies[url]) return { body: state.bodies[url], changed: false };
    if (!response.ok) {
      let body = null;
      try { body = await response.json(); } catch (error) { /* not JSON: an HTML error page or nothing */ }
      throw new HttpError(response.status, response, body);
    }
    const body = await response.json();
    const etag = response.headers.get("ETag");
    if (etag) state.etags[url] = etag;
    state.bodies[url] = body;
    return { body, changed: true };
  }

  async function refresh() {
    const query = state.query;
    const started = Promise.all([getJson("metrics", metricsUrl()), getJson("timeseries", timeseriesUrl({}))]);
    state.inFlight = started.then(([metrics, series]) => {
      if (query !== state.query) return;  // the user switched while this was on its way
      clearBanner();
      if (metrics.changed || series.changed || state.metrics !== metrics.body || state.series !== series.body) {
        state.metrics = metrics.body;
        state.series = series.body;
        render();
        announce(`Figures updated for ${describeWindow()}.`);
      }
      state.generatedAt = new Date(metrics.body.generated_at);
      tick();
    }).catch(handleError).finally(() => {
      root.dataset.metricsStatus = String(state.lastStatus.metrics ?? "");
      root.dataset.timeseriesStatus = String(state.lastStatus.timeseries ?? "");
      schedule(state.retryInMs ?? REFRESH_MS);
      state.retryInMs = null;
    });
    return state.inFlight;
  }

  function schedule(delayMs) {
    window.clearTimeout(state.timer);
    state.timer = window.setTimeout(refresh, delayMs);
  }

  function handleError(error) {
    if (!(error instanceof HttpError)) {
      showBanner("error", "The page could not show the figures (" + error.message + "). Retrying in a minute.");
      throw error;
    }
    const status = error.status;
    if (status === 401) {
      const next = window.location.pathname + window.location.search;
      window.location.assign(`${LOGIN_URL}?next=${encodeURIComponent(next)}`);
      return;
    }
    if (status === 403) {
      clearFigures();
      showBanner("error", "You no longer have permission to view the ops metrics (ops.read or ops.admin). " +
        "Ask an administrator, or log in as another user.");
      return;
    }
    if (status === 429) {
      const seconds = Math.max(1, parseInt(error.response.headers.get("Retry-After") || "60", 10) || 60);
      state.retryInMs = seconds * 1000;
      showBanner("notice", `Too many requests: the server asks to wait. Retrying in ${seconds} s.`);
      return;
    }
    if (status === 400) {
      const errors = error.body && error.body.errors ? error.body.errors : {};
      const text = Object.entries(errors).map(([name, messages]) => `${name}: ${[].concat(messages).join(" ")}`);
      showBanner("error", "The server refused this window. " + (text.join("; ") || ""));
      return;
    }
    const what = status === 0 ? "The server cannot be reached (network down?)" : `The server failed (HTTP ${status})`;
    const kept = state.metrics ? " The figures below are the last ones received." : "";
    showBanner("error", `${what}.${kept} Retrying in ${Math.round(REFRESH_MS / 1000)} s.`);
  }

  /* ---------- status line ---------- */

  function showBanner(kind, text) {
    const banner = document.getElementById("banner");
    banner.className = `banner banner-${kind}`;
    banner.dataset.kind = kind;
    banner.textContent = "";
    const message = document.createElement("span");
    message.textContent = text;
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "link";
    retry.textContent = "Retry now";
    retry.addEventListener("click", () => refresh());
    banner.append(message, " ", retry);
    banner.hidden = false;
  }

  function clearBanner() {
    const banner = document.getElementById("banner");
    banner.hidden = true;
    banner.textContent = "";
    delete banner.dataset.kind;
  }

  function announce(text) { document.getElementById("status").textContent = text; }

  function tick() {
    const element = document.getElementById("updated");
    if (!state.generatedAt) return;
    const seconds = Math.max(0, Math.round((Date.now() - state.generatedAt.getTime()) / 1000));
    element.textContent = seconds < 90 ? `updated ${seconds} s ago` : `updated ${Math.round(seconds / 60)} min ago`;
    element.title = state.generatedAt.toISOString();
  }

  /* ---------- formatting ---------- */

  const fmt = {
    count: (value) => (value === null || value === undefined ? "–" : numberFormat.format(value)),
    percent: (value) => (value === null || value === undefined ? "–" : `${percentFormat.format(value)} %`),
    money: (value, currency) => (value === null || value === undefined ? "–" : moneyFormat(currency, false).format(Number(value))),
  };

  function dateTimeFormat(options) {
    return new Intl.DateTimeFormat(undefined, { timeZone: state.metrics.timezone, ...options });
  }

  function describeWindow() {
    const m = state.metrics;
    if (!m) return "";
    const day = dateTimeFormat({ day: "numeric", month: "short", year: "numeric" });
    const start = m.window.start ? day.format(new Date(m.window.start)) : "the first record";
    return `${start} – ${dateTimeFormat({ day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" })
      .format(new Date(m.window.end))} (${m.period === "custom" ? "custom range" : m.period})`;
  }

  function bucketLabel(iso, interval) {
    const date = new Date(iso);
    if (interval === "hour") return dateTimeFormat({ hour: "2-digit", minute: "2-digit" }).format(date);
    if (interval === "month") return dateTimeFormat({ month: "short", year: "numeric" }).format(date);
    const label = dateTimeFormat({ weekday: interval === "day" ? "short" : undefined, day: "numeric", month: "short" })
      .format(date);
    return interval === "week" ? `wk ${label}` : label;
  }

  function growthRate(current, previous) {
    if (!previous) return null;
    return Math.round(((current - previous) / previous) * 1000) / 10;
  }

  /* ---------- rendering ---------- */

  function el(tag, attributes, ...children) {
    const element = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([name, value]) => {
      if (value === undefined || value === null) return;
      if (name === "dataset") Object.assign(element.dataset, value);
      else if (name === "className") element.className = value;
      else element.setAttribute(name, value);
    });
    element.append(...children.filter((child) => child !== null && child !== undefined));
    return element;
  }

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
      `${percentFormat.format(Math.abs(rate))} %`,
      el("span", { className: "growth-note" }, " vs comparison"));
  }

  function card(key, label, value, text, rate, goodWhen, note) {
    return el("article", { className: "card", id: `card-${key}`, dataset: { card: key, value: String(value) } },
      el("h3", { className: "card-label" }, label),
      el("p", { className: "card-value" }, text),
      note ? el("p", { className: "growth growth-none" }, note) : growthElement(rate, goodWhen));
  }

  function seriesSum(body, name) {
    const values = body && body.series ? body.series[name] : null;
    return values ? values.reduce((sum, value) => sum + Number(value || 0), 0) : null;
  }

  function renderCards() {
    const m = state.metrics;
    const s = state.series;
    const cards = [];
    cards.push(card("bookings", "Bookings", m.bookings.total, fmt.count(m.bookings.total),
      m.bookings.growth_rate, "up"));
    // Complaints have no growth field in the metrics payload: the time series with compare=true carries the
    // same count for both windows (docs/api.md, time series: a count series sums to the metrics figure).
    const complaintsPrevious = s && s.previous ? seriesSum(s.previous, "complaints_created") : null;
    cards.push(card("complaints", "Complaints", m.complaints.total, fmt.count(m.complaints.total),
      complaintsPrevious === null ? null : growthRate(m.complaints.total, complaintsPrevious), "down"));
    cards.push(card("unresolved", "Unresolved", m.complaints.unresolved, fmt.count(m.complaints.unresolved),
      null, null, "created in the window, still open"));
    cards.push(card("sla-compliance", "SLA compliance", m.sla.compliance_rate, fmt.percent(m.sla.compliance_rate),
      null, null, "of complaints resolved in the window"));
    cards.push(card("at-risk", "At risk", m.sla.at_risk, fmt.count(m.sla.at_risk), null, null, "now"));
    cards.push(card("breached", "Breached", m.sla.breached, fmt.count(m.sla.breached), null, null, "now"));
    if (m.revenue) {
      cards.push(card("revenue", "Revenue", m.revenue.total, fmt.money(m.revenue.total, m.revenue.currency),
        m.revenue.growth_rate, "up"));
      cards.push(card("average-order-value", "Average order value", m.revenue.average_order_value,
        fmt.money(m.revenue.average_order_value, m.revenue.currency), null, null, "revenue ÷ revenue bookings"));
    }
    const container = document.getElementById("cards");
    container.replaceChildren(...cards);
    container.setAttribute("aria-busy", "false");
  }

  function renderTables() {
    const m = state.metrics;
    const slaRows = PRIORITIES.filter((p) => m.sla.by_priority[p]).map((priority) => {
      const row = m.sla.by_priority[priority];
      return el("tr", { dataset: { priority } },
        el("th", { scope: "row" }, priority[0].toUpperCase() + priority.slice(1)),
        el("td", { className: "num" }, fmt.count(row.at_risk)),
        el("td", { className: "num" }, fmt.count(row.breached)));
    });
    document.querySelector("#sla-table tbody").replaceChildren(...slaRows);

    const workload = m.realtime ? m.realtime.staff_workload : [];
    const rows = workload.map((row) => el("tr", { dataset: { staffId: String(row.staff_id) } },
      el("th", { scope: "row" }, row.name),
      el("td", { className: "num" }, fmt.count(row.bookings)),
      el("td", { className: "num" }, fmt.count(row.complaints)),
      el("td", { className: "num" }, fmt.count(row.total))));
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: "4" }, "No active staff.")));
    document.querySelector("#workload-table tbody").replaceChildren(...rows);
  }

  /* One chart per entry, built only when the API returned its first series (revenue: admins only). */
  const CHARTS = [
    { key: "bookings", title: "Bookings created", metrics: ["bookings_created"], kind: "count" },
    { key: "revenue", title: "Revenue", metrics: ["revenue"], kind: "money" },
    { key: "complaints", title: "Complaints created and resolved",
      metrics: ["complaints_created", "complaints_resolved"], kind: "count" },
    { key: "sla", title: "SLA compliance (%)", metrics: ["sla_compliance_rate"], kind: "percent" },
  ];

  function renderCharts() {
    const s = state.series;
    const container = document.getElementById("charts");
    const wanted = CHARTS.filter((chart) => s.series[chart.metrics[0]] !== undefined);
    Object.keys(charts).forEach((key) => {
      if (!wanted.some((chart) => chart.key === key)) {
        charts[key].chart.destroy();
        charts[key].figure.remove();
        delete charts[key];
      }
    });
    wanted.forEach((spec) => {
      const labels = s.buckets.map((bucket) => bucketLabel(bucket, s.interval));
      const datasets = [];
      spec.metrics.forEach((metric, index) => {
        const name = SERIES_LABELS[metric] || metric.replace(/_/g, " ");
        const toNumber = (value) => (value === null ? null : Number(value));
        datasets.push({
          label: spec.metrics.length > 1 ? name : "This window", data: s.series[metric].map(toNumber),
          borderColor: index ? COLORS.second : COLORS.current, backgroundColor: index ? COLORS.second : COLORS.current,
          borderWidth: 2, pointRadius: s.buckets.length > 40 ? 0 : 2, tension: 0.2, spanGaps: false,
        });
        if (s.previous && s.previous.series[metric]) {
          datasets.push({
            label: spec.metrics.length > 1 ? `${name}, comparison` : "Comparison window",
            data: s.previous.series[metric].map(toNumber),
            borderColor: index ? COLORS.secondPrevious : COLORS.previous,
            backgroundColor: index ? COLORS.secondPrevious : COLORS.previous,
            borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0, tension: 0.2,
          });
        }
      });
      const currency = state.metrics.revenue ? state.metrics.revenue.currency : "USD";
      const tickFormat = spec.kind === "money" ? (v) => moneyFormat(currency, true).format(v)
        : (v) => numberFormat.format(v);
      const summary = `${spec.title}: ${s.buckets.length} ${s.interval} buckets` +
        (s.previous ? ", with the comparison window dashed" : "");
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
      entry.figure.dataset.points = String(s.buckets.length);
      entry.csv.href = timeseriesUrl({ metrics: spec.metrics.join(","), format: "csv" });
      entry.csv.setAttribute("aria-label", `Download ${spec.title} as CSV`);
    });
  }

  function render() {
    const m = state.metrics;
    document.getElementById("timezone").textContent = m.timezone;
    let label = describeWindow();
    if (state.query.start && m.period !== "custom") {
      // An API without custom ranges on /metrics answers its default period: say which window the cards show.
      label += " – the cards show this window; the charts show the custom range";
    }
    document.getElementById("window-label").textContent = label;
    renderCards();
    renderTables();
    renderCharts();
    state.renders += 1;
    root.dataset.renders = String(state.renders);
    root.dataset.period = m.period;
  }

  function clearFigures() {
    state.metrics = null;
    state.series = null;
    document.getElementById("cards").replaceChildren();
    document.querySelectorAll("#sla-table tbody, #workload-table tbody").forEach((body) => body.replaceChildren());
    Object.keys(charts).forEach((key) => { charts[key].chart.destroy(); charts[key].figure.remove(); delete charts[key]; });
  }

  /* ---------- controls ---------- */

  document.querySelectorAll("input[name=period]").forEach((input) => {
    input.addEventListener("change", () => { if (input.checked) setQuery({ period: input.value }); });
  });
  document.getElementById("range-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const start = document.getElementById("range-start").value;
    const end = document.getElementById("range-end").value;
    if (!start || !end || start >= end) {
      showBanner("error", "Choose a start date before the end date.");
      return;
    }
    setQuery({ start, end });
  });
  document.getElementById("refresh-now").addEventListener("click", () => refresh());

  window.opsDashboard = { refresh, setQuery, state, charts };
  syncControls();
  window.setInterval(tick, 1000);
  refresh();
})();
