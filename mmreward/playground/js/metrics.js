// Prometheus text format, read into {name: [{labels, value}]}; rates come from two readings.

const LINE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

export function parseMetrics(text) {
  const out = {};
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels = {};
    for (const [, key, value] of (m[2] || "").matchAll(LABEL)) labels[key] = value;
    (out[m[1]] ||= []).push({ labels, value: Number(m[3]) });
  }
  return out;
}

// Scoring traffic only: the page's own polling and its static files ("unmatched") would drown it.
const QUIET = new Set(["/metrics", "/readyz", "/healthz", "/", "unmatched"]);

function sum(samples, keep = () => true) {
  return (samples || []).filter((s) => keep(s.labels)).reduce((a, s) => a + s.value, 0);
}

export function totals(parsed) {
  const scoring = (l) => !QUIET.has(l.route);
  return {
    requests: sum(parsed.mmreward_requests_total, scoring),
    latencySum: sum(parsed.mmreward_request_seconds_sum, scoring),
    latencyCount: sum(parsed.mmreward_request_seconds_count, scoring),
    items: sum(parsed.mmreward_items_total),
    cacheHits: sum(parsed.mmreward_cache_hits_total),
  };
}

// Between two readings (or since start when there is one): rate, mean latency, cache hit rate.
export function rates(now, before, seconds) {
  const base = before || { requests: 0, latencySum: 0, latencyCount: 0, items: 0, cacheHits: 0 };
  const requests = now.requests - base.requests;
  const count = now.latencyCount - base.latencyCount;
  const items = now.items - base.items;
  return {
    perSecond: before && seconds > 0 ? requests / seconds : null,
    latencyMs: count > 0 ? ((now.latencySum - base.latencySum) / count) * 1000 : null,
    hitRate: items > 0 ? (now.cacheHits - base.cacheHits) / items : null,
  };
}
