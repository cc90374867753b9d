// Small DOM helpers. User text only ever becomes text nodes, never markup.

import { loadCatalog } from "./api.js";

export function h(tag, attrs = {}, ...children) {
  return build(document.createElement(tag), attrs, children);
}

export function s(tag, attrs = {}, ...children) {
  return build(document.createElementNS("http://www.w3.org/2000/svg", tag), attrs, children);
}

function build(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.setAttribute("class", value);
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);

// replaceChildren, skipping the nulls that optional parts leave (it would print "null").
export function fill(target, ...nodes) {
  target.replaceChildren(...nodes.filter((n) => n !== null && n !== undefined && n !== false));
}

export function fmt(value, digits = 3) {
  return typeof value === "number" && Number.isFinite(value)
    ? value.toFixed(digits)
    : String(value);
}

export function showError(target, err) {
  target.replaceChildren(
    h("p", { class: "error", role: "alert", text: err.message || String(err) }),
  );
}

export function busy(button, on) {
  button.disabled = on;
  button.setAttribute("aria-busy", on ? "true" : "false");
}

// `text` with the given [start, end) spans wrapped in <mark>; spans must not overlap.
export function marked(text, spans) {
  const nodes = [];
  let at = 0;
  for (const span of [...spans].sort((a, b) => a.start - b.start)) {
    if (span.start < at) continue;
    nodes.push(text.slice(at, span.start));
    nodes.push(
      h("mark", { class: span.class, title: span.title }, text.slice(span.start, span.end)),
    );
    at = span.end;
  }
  nodes.push(text.slice(at));
  return nodes;
}

// Where `needle` last occurs in `text` (case-insensitive as a fallback), or null.
export function lastSpan(text, needle) {
  if (!needle) return null;
  let start = text.lastIndexOf(needle);
  if (start < 0) start = text.toLowerCase().lastIndexOf(needle.toLowerCase());
  return start < 0 ? null : { start, end: start + needle.length };
}

// Red (0) through amber to green (1), for scores in [0, 1].
export function scoreColour(score) {
  const clamped = Math.max(0, Math.min(1, Number(score) || 0));
  return `hsl(${Math.round(clamped * 120)} 70% 82%)`;
}

export function rawJson(value) {
  return h(
    "details",
    { class: "raw" },
    h("summary", { text: "What the API returned" }),
    h("pre", { text: JSON.stringify(value, null, 2) }),
  );
}

export function fillScorers(select, catalog) {
  const previous = select.value;
  const verifiers = h(
    "optgroup",
    { label: "Verifiers" },
    catalog.verifiers.map((name) => h("option", { value: `verifier:${name}`, text: name })),
  );
  const recipes = h(
    "optgroup",
    { label: "Recipes" },
    catalog.recipes.map((r) =>
      h("option", { value: `recipe:${r.name}`, text: r.name, title: r.description || null }),
    ),
  );
  select.replaceChildren(verifiers, recipes);
  const values = [...select.options].map((o) => o.value);
  // The first scorer offered is `math`: the one most users come to try.
  if (values.includes(previous)) select.value = previous;
  else if (values.includes("verifier:math")) select.value = "verifier:math";
}

// Keep a scorer select in step with the server's catalogue, also after a new API key.
export function offerScorers(select, out) {
  const refresh = () =>
    loadCatalog()
      .then((c) => fillScorers(select, c))
      .catch((e) => showError(out, e));
  refresh();
  document.addEventListener("mmreward:key", refresh);
}
