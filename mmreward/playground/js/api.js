// The only way the page talks to the server: the public HTTP API, with the key the user gave.

const KEY_STORE = "mmreward.apiKey";

export class ApiError extends Error {
  constructor(status, message, retryAfter = null, body = null) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
    this.body = body;
  }
}

export function apiKey() {
  return sessionStorage.getItem(KEY_STORE) || "";
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY_STORE, key);
  else sessionStorage.removeItem(KEY_STORE);
}

// FastAPI answers {"detail": "..."} or, for a malformed body, a list of {loc, msg}.
function describe(status, body) {
  const detail = body && body.detail;
  if (status === 401) return "This server needs an API key: enter it at the top of the page.";
  if (Array.isArray(detail)) {
    return detail.map((d) => `${(d.loc || []).slice(1).join(".") || "body"}: ${d.msg}`).join("; ");
  }
  if (typeof detail === "string") return detail;
  return `the server answered ${status}`;
}

export async function api(path, { method = "GET", body, text = false, signal } = {}) {
  const headers = {};
  const key = apiKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "The server could not be reached.");
  }
  if (text && response.ok) return response.text();
  let parsed = null;
  try {
    parsed = await response.json();
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const retry = Number(response.headers.get("Retry-After"));
    throw new ApiError(response.status, describe(response.status, parsed), retry || null, parsed);
  }
  return parsed;
}

// Verifiers and recipes, fetched once per key: the selects offer what this server has.
let catalog = null;

export function loadCatalog(force = false) {
  if (!catalog || force) {
    catalog = Promise.all([api("v1/verifiers"), api("v1/reward")]).then(([v, r]) => ({
      verifiers: v.verifiers,
      recipes: r.recipes,
    }));
    catalog.catch(() => {
      catalog = null;
    });
  }
  return catalog;
}

// Score items with "verifier:<name>" or "recipe:<name>"; one shape back: {reward, verdict, result}.
export async function score(scorer, items, signal) {
  const [kind, name] = splitScorer(scorer);
  if (kind === "recipe") {
    const body = await api(`v1/reward/${encodeURIComponent(name)}`, {
      method: "POST",
      body: { items },
      signal,
    });
    return body.results;
  }
  const body = await api("v1/verify", {
    method: "POST",
    body: { items: items.map((it) => ({ ...it, verifier: name })) },
    signal,
  });
  return body.results;
}

export function splitScorer(scorer) {
  const at = scorer.indexOf(":");
  return [scorer.slice(0, at), scorer.slice(at + 1)];
}
