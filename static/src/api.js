// The console's one way to ask its server for data from a script: every
// request is same-origin, asks for JSON, and every refusal becomes one
// error shape, ApiError, read from the API's JSON error body
// ({"error":{code,message,field,...},"details":[...],"requestId"}). A
// network failure or an answer that is not the API's JSON gets the same
// shape with a code saying so, so a caller shows error.message and never
// parses a response itself.
//
// URLs are built with path() and query(), which encode every value: no
// name typed by a user is ever concatenated into a URL.

// ApiError is a refused or failed request: status is the HTTP status (0
// when the server did not answer); code, message and field come from the
// API's error (field names the input at fault, when one is); details
// lists every error of a request refused for several reasons; the rest
// of the API's error (such as breaks) is in extra.
export class ApiError extends Error {
  constructor(status, error, details, requestId) {
    super(error.message);
    this.name = "ApiError";
    this.status = status;
    this.code = error.code;
    this.field = error.field || "";
    this.details = details || [];
    this.requestId = requestId || "";
    const { code, message, field, ...extra } = error;
    this.extra = extra;
  }
}

// path joins segments into an absolute path, each segment encoded
// (path("apps", name, "events", event) is /apps/<name>/events/<event>).
export function path(...segments) {
  return "/" + segments.map((s) => encodeURIComponent(String(s))).join("/");
}

// query is a path with its query parameters encoded (empty, null or
// undefined values are left out).
export function query(p, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? p + "?" + s : p;
}

// errorOf builds the ApiError of an answer that is not a success.
async function errorOf(r) {
  const body = await r.json().catch(() => null);
  if (body && body.error && body.error.message) return new ApiError(r.status, body.error, body.details, body.requestId);
  const message = r.status === 401 ? "You are signed out: sign in again, then retry."
    : `The server answered ${r.status} ${r.statusText || ""}`.trim() + ".";
  return new ApiError(r.status, { code: "http_" + r.status, message });
}

// request sends one request and returns the answer's JSON ({} when it
// has none), or throws ApiError. Options: method (default GET, or POST
// with a body), json (a value sent as JSON), form (a URLSearchParams or
// FormData sent as is), redirect (fetch's; "manual" leaves a redirect
// unfollowed, answered as status 0 with code "redirect").
export async function request(url, { method, json, form, redirect } = {}) {
  const headers = { Accept: "application/json" };
  let body;
  if (json !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(json); }
  else if (form !== undefined) body = form;
  let r;
  try {
    r = await fetch(url, { method: method || (body === undefined ? "GET" : "POST"), headers, body, credentials: "same-origin", redirect });
  } catch (err) {
    throw new ApiError(0, { code: "network", message: `The server did not answer (${err.message}); check the connection and retry.` });
  }
  if (r.type === "opaqueredirect") throw new ApiError(0, { code: "redirect", message: "The server redirected the request." });
  if (!r.ok) throw await errorOf(r);
  const text = await r.text();
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    // A followed redirect lands on a page, not JSON: the request itself
    // succeeded (the console's forms answer a redirect when done).
    if (r.redirected) return {};
    throw new ApiError(r.status, { code: "not_json", message: `The server's answer to ${url} was not JSON.` });
  }
}

// getJSON reads url.
export const getJSON = (url, opts) => request(url, { ...opts, method: "GET" });

// postJSON sends value as JSON to url.
export const postJSON = (url, value) => request(url, { method: "POST", json: value });
