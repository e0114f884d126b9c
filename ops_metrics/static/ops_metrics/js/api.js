/* Fetching the JSON endpoints with the session cookie and the last ETag (If-None-Match: a 304 returns the body
 * kept from the 200 it confirms), and the errors as HttpError (status 0: no network). */
export class HttpError extends Error {
  constructor(status, response, body) {
    super(`HTTP ${status}`);
    this.status = status;
    this.response = response;
    this.body = body;
  }
}

const etags = new Map();   // url -> ETag
const bodies = new Map();  // url -> last 200 body
export const lastStatus = {};  // kind ("metrics", "timeseries", "staff", "records", "alerts") -> last HTTP status

/* base?params, leaving out empty values. */
export function urlWith(base, params) {
  const search = new URLSearchParams();
  Object.entries(params).forEach(([name, value]) => {
    if (value !== undefined && value !== null && value !== "") search.set(name, value);
  });
  const text = search.toString();
  return text ? `${base}?${text}` : base;
}

export async function getJson(kind, url) {
  const headers = { Accept: "application/json" };
  if (etags.has(url) && bodies.has(url)) headers["If-None-Match"] = etags.get(url);
  let response;
  try {
    // no-store: the conditional request is ours, so a 304 reaches the page rather than the browser's cache.
    response = await fetch(url, { headers, credentials: "same-origin", cache: "no-store" });
  } catch (error) {
    lastStatus[kind] = 0;
    throw new HttpError(0, null, null);
  }
  lastStatus[kind] = response.status;
  if (response.status === 304 && bodies.has(url)) return { body: bodies.get(url), changed: false };
  if (!response.ok) {
    let body = null;
    try { body = await response.json(); } catch (error) { /* not JSON: an HTML error page or nothing */ }
    throw new HttpError(response.status, response, body);
  }
  const body = await response.json();
  const etag = response.headers.get("ETag");
  if (etag) {
    etags.set(url, etag);
    bodies.set(url, body);
  }
  return { body, changed: true };
}
