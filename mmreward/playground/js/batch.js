// Batch tab: a JSONL file scored in chunks through the API, then a summary and labelled rows.

import { ApiError, score, splitScorer } from "./api.js";
import { $, fill, fmt, h, offerScorers, s, showError } from "./dom.js";

const BINS = 10;
const EXAMPLE_ROWS = [
  { id: 1, response: "so the answer is \\boxed{12}", answer: "12" },
  { id: 2, response: "The answer is 7.", answer: "8" },
  { id: 3, response: "#### 1,000", answer: "1000" },
  { id: 4, response: "I am not sure.", answer: "3" },
  { id: 5, response: "x = \\frac{1}{2}", answer: "0.5" },
  { id: 6, response: "\\boxed{\\sqrt{2}}", answer: "\\frac{2}{\\sqrt{2}}" },
];

let rows = [];
let controller = null;

// A line that is not a JSON object stays a row, as `mmreward relabel` keeps it: its text in
// `_raw_line` and an error result naming the line, so one bad line never rejects the paste.
const BAD = new WeakMap();

export function parseRows(text) {
  const parsed = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    let row;
    let reason = null;
    try {
      row = JSON.parse(line);
      if (typeof row !== "object" || row === null || Array.isArray(row))
        reason = `line ${i + 1}: not a JSON object`;
    } catch (err) {
      reason = `line ${i + 1}: invalid JSON (${err.message})`;
    }
    if (reason) {
      row = { _raw_line: line };
      BAD.set(row, reason);
    }
    parsed.push(row);
  });
  return parsed;
}

export const badReason = (row) => BAD.get(row) || null;

function guess(keys, names) {
  return keys.find((k) => names.includes(k.toLowerCase())) || "";
}

function fillFields() {
  const good = rows.filter((r) => !BAD.has(r)).slice(0, 50);
  const keys = [...new Set(good.flatMap((r) => Object.keys(r)))];
  const pick = {
    "#batch-response-field": guess(keys, ["response", "completion", "output", "prediction"]),
    "#batch-reference-field": guess(keys, [
      "reference",
      "answer",
      "solution",
      "label",
      "ground_truth",
    ]),
    "#batch-options-field": guess(keys, ["options", "choices"]),
  };
  for (const [id, chosen] of Object.entries(pick)) {
    const select = $(id);
    const none = id === "#batch-response-field" ? [] : [h("option", { value: "", text: "(none)" })];
    const previous = select.value;
    fill(select, ...none, ...keys.map((k) => h("option", { value: k, text: k })));
    // A field the user picked stays picked while the rows are edited.
    select.value = keys.includes(previous) ? previous : chosen || (none.length ? "" : keys[0] || "");
  }
}

function itemOf(row, fields) {
  const value = row[fields.response];
  const text = value === undefined || value === null ? "" : value;
  const item = { response: typeof text === "string" ? text : JSON.stringify(text) };
  if (fields.reference && row[fields.reference] !== undefined)
    item.reference = row[fields.reference];
  if (fields.options && Array.isArray(row[fields.options]))
    item.options = row[fields.options].map(String);
  return item;
}

// A recipe result carries its verdicts inside components; a verify result is the verdict.
function statusOf(result) {
  if (result.error) return "request_failed";
  if ("status" in result) return result.status;
  const inner = Object.values(result.components || {}).map((c) => c.details || {});
  const failed = inner.find((d) => (d.status && d.status !== "ok") || d.error);
  return failed ? failed.status || "error" : "ok";
}

function reasonOf(result) {
  if (result.error) return result.error;
  if ("reason" in result) return result.reason;
  return Object.entries(result.components || {})
    .map(
      ([name, c]) =>
        `${name}: ${(c.details && (c.details.error || c.details.reason)) || fmt(c.score, 2)}`,
    )
    .join("; ");
}

async function scoreChunk(scorer, items, signal) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await score(scorer, items, signal);
    } catch (err) {
      const retriable =
        err instanceof ApiError && (err.status === 429 || err.status >= 500 || err.status === 0);
      if (!retriable || attempt >= 3) throw err;
      const wait = (err.retryAfter || 2 ** attempt) * 1000;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

function histogram(rewards) {
  const counts = new Array(BINS).fill(0);
  for (const r of rewards) counts[Math.min(BINS - 1, Math.max(0, Math.floor(r * BINS)))]++;
  const top = Math.max(1, ...counts);
  const w = 300;
  const hgt = 120;
  const pad = 12; // room for the tallest bar's count
  const bw = w / BINS;
  const chart = s("svg", {
    id: "batch-histogram",
    viewBox: `0 ${-pad} ${w} ${hgt + pad + 18}`,
    role: "img",
    "aria-label": `reward histogram of ${rewards.length} rows`,
  });
  counts.forEach((n, i) => {
    const bh = (n / top) * hgt;
    const lo = (i / BINS).toFixed(1);
    const hi = ((i + 1) / BINS).toFixed(1);
    chart.append(
      s(
        "rect",
        { class: "bin", x: i * bw + 1, y: hgt - bh, width: bw - 2, height: bh, "data-count": n },
        s("title", {}, `${lo}–${hi}: ${n} rows`),
      ),
    );
    if (n)
      chart.append(
        s(
          "text",
          { x: i * bw + bw / 2, y: hgt - bh - 2, "text-anchor": "middle", "font-size": 9 },
          String(n),
        ),
      );
  });
  for (let i = 0; i <= BINS; i += 2) {
    const anchor = i === 0 ? "start" : i === BINS ? "end" : "middle";
    chart.append(
      s(
        "text",
        { x: i * bw, y: hgt + 14, "font-size": 10, "text-anchor": anchor },
        (i / BINS).toFixed(1),
      ),
    );
  }
  return chart;
}

function summaryView(results, timings) {
  const rewards = results.filter((r) => !r.error).map((r) => r.reward);
  const statuses = {};
  results.forEach((r) => {
    const st = statusOf(r);
    statuses[st] = (statuses[st] || 0) + 1;
  });
  const failing = results.map((r, i) => ({ r, i })).filter(({ r }) => statusOf(r) !== "ok");
  const mean = rewards.length ? rewards.reduce((a, b) => a + b, 0) / rewards.length : 0;
  const slowest = [...timings].sort((a, b) => b.ms - a.ms).slice(0, 5);
  return h(
    "div",
    {},
    h(
      "p",
      { class: "headline" },
      h("span", { class: "reward", text: `${results.length} rows, mean reward ${fmt(mean)}` }),
    ),
    h("h3", { text: "Reward histogram" }),
    histogram(rewards),
    h("h3", { text: "Status counts" }),
    h(
      "table",
      { id: "batch-statuses" },
      h("thead", {}, h("tr", {}, h("th", { text: "status" }), h("th", { text: "rows" }))),
      h(
        "tbody",
        {},
        Object.entries(statuses).map(([st, n]) =>
          h("tr", { "data-status": st }, h("td", { text: st }), h("td", { text: String(n) })),
        ),
      ),
    ),
    h("h3", { text: "Slowest requests" }),
    h(
      "ol",
      { id: "batch-slowest" },
      slowest.map((t) => h("li", { text: `rows ${t.from + 1}–${t.to}: ${Math.round(t.ms)} ms` })),
    ),
    h("h3", { text: `Failing rows (${failing.length})` }),
    failing.length
      ? h(
          "ul",
          { id: "batch-failing" },
          failing
            .slice(0, 50)
            .map(({ r, i }) => h("li", { text: `row ${i + 1}: ${statusOf(r)}: ${reasonOf(r)}` })),
        )
      : h("p", { text: "None." }),
  );
}

function downloadLink(results, scorer) {
  const [kind] = splitScorer(scorer);
  const lines = rows.map((row, i) => {
    const r = results[i];
    const extra = kind === "recipe" ? { reward_components: r.components } : { reward_verdict: r };
    return JSON.stringify({ ...row, reward: r.error ? null : r.reward, ...extra });
  });
  const url = URL.createObjectURL(
    new Blob([lines.join("\n") + "\n"], { type: "application/x-ndjson" }),
  );
  return h("a", {
    class: "button",
    id: "batch-download",
    href: url,
    download: "labelled.jsonl",
    text: "Download labelled rows (JSONL)",
  });
}

export function initBatch() {
  const form = $("#batch-form");
  const out = $("#batch-result");
  const select = $("#batch-scorer");
  const text = $("#batch-rows");
  offerScorers(select, out);

  function take(content) {
    text.value = content;
    read();
  }

  function read() {
    rows = parseRows(text.value);
    fillFields();
    const bad = rows.map(badReason).filter(Boolean);
    fill(
      out,
      h("p", { id: "batch-read", text: `${rows.length} rows read.` }),
      bad.length
        ? h("p", {
            class: "hint",
            text: `${bad.length} of them will be error rows: ${bad.slice(0, 3).join("; ")}${bad.length > 3 ? "; ..." : ""}`,
          })
        : null,
    );
  }

  // The field selectors follow the rows as they are typed or pasted, not only on leaving
  // the box; reading waits for a pause in typing.
  let pending = null;
  text.addEventListener("input", () => {
    clearTimeout(pending);
    pending = setTimeout(read, 250);
  });
  text.addEventListener("change", read);
  $("#batch-file").addEventListener(
    "change",
    async (e) => e.target.files[0] && take(await e.target.files[0].text()),
  );
  text.addEventListener("dragover", (e) => e.preventDefault());
  text.addEventListener("drop", async (e) => {
    const file = e.dataTransfer.files[0];
    if (!file) return;
    e.preventDefault();
    take(await file.text());
  });
  $("#batch-example").addEventListener("click", () => {
    take(EXAMPLE_ROWS.map((r) => JSON.stringify(r)).join("\n"));
    select.value = "verifier:math";
  });
  $("#batch-cancel").addEventListener("click", () => controller && controller.abort());

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearTimeout(pending);
    read();
    if (!rows.length) return;
    const fields = {
      response: $("#batch-response-field").value,
      reference: $("#batch-reference-field").value,
      options: $("#batch-options-field").value,
    };
    const scorer = select.value;
    const chunk = Math.max(1, Math.min(1024, Math.floor(Number($("#batch-chunk").value) || 32)));
    const progress = $("#batch-progress");
    const label = $("#batch-progress-text");
    const results = [];
    const timings = [];
    controller = new AbortController();
    $("#batch-run").disabled = true;
    $("#batch-cancel").disabled = false;
    progress.max = rows.length;
    progress.value = 0;
    try {
      for (let from = 0; from < rows.length; from += chunk) {
        const part = rows.slice(from, from + chunk);
        const good = part.filter((r) => !BAD.has(r));
        const started = performance.now();
        let scored;
        try {
          scored = good.length
            ? await scoreChunk(
                scorer,
                good.map((r) => itemOf(r, fields)),
                controller.signal,
              )
            : [];
        } catch (err) {
          if (err.name === "AbortError") throw err;
          scored = good.map(() => ({ error: err.message, reward: 0 }));
        }
        let next = 0;
        for (const row of part) {
          const reason = badReason(row);
          results.push(
            reason
              ? { reward: 0, correct: null, status: "error", reason, components: {} }
              : scored[next++],
          );
        }
        timings.push({ from, to: from + part.length, ms: performance.now() - started });
        progress.value = results.length;
        label.textContent = `${results.length} / ${rows.length} rows scored`;
      }
      fill(out, summaryView(results, timings), downloadLink(results, scorer));
    } catch (err) {
      label.textContent = `Cancelled after ${results.length} / ${rows.length} rows.`;
      if (err.name !== "AbortError") showError(out, err);
    } finally {
      controller = null;
      $("#batch-run").disabled = false;
      $("#batch-cancel").disabled = true;
    }
  });
}
