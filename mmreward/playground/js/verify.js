// Verify tab: one response through a verifier or a recipe, exactly as /v1/verify and
// /v1/reward/{recipe} answer it.

import { score, splitScorer } from "./api.js";
import { $, fill, busy, fmt, h, lastSpan, marked, offerScorers, rawJson, showError } from "./dom.js";

export const STATUS_WORDS = {
  ok: "The answer was found and judged.",
  no_answer: "No answer could be read from the response, so the reward is 0.",
  unparsable_reference:
    "The reference itself could not be read; a trainer may leave this item out.",
  timeout: "Judging used the item's whole CPU budget in the sandbox, so the reward is 0.",
  deadline: "The request's deadline passed before the item was judged: no verdict; retry it.",
  error: "The item could not be judged (bad or oversized input), so the reward is 0.",
};

const EXAMPLE = {
  scorer: "recipe:r1v",
  response:
    "<think>Half of the square's diagonal: 1/sqrt(2).</think><answer>\\frac{\\sqrt{2}}{2}</answer>",
  reference: "\\frac{1}{\\sqrt{2}}",
};

function verdictWord(correct) {
  if (correct === true) return ["Correct", "good"];
  if (correct === false) return ["Wrong", "bad"];
  return ["Not judged", "warn"];
}

function reasonText(verdict) {
  const extra = Object.entries(verdict.details || {})
    .filter(([, v]) => typeof v === "string" || typeof v === "number")
    .map(([k, v]) => `${k} ${v}`);
  return extra.length ? `${verdict.reason} (${extra.join(", ")})` : verdict.reason;
}

export function verdictView(verdict, response, rewardLabel = "reward") {
  const [word, tone] = verdictWord(verdict.correct);
  const span = lastSpan(response, verdict.extracted);
  return h(
    "div",
    { class: "verdict" },
    h(
      "p",
      { class: "headline" },
      h("span", { class: `badge ${tone}`, "data-testid": "verdict", text: word }),
      h("span", { class: "reward", text: `${rewardLabel} ${fmt(verdict.reward)}` }),
    ),
    h(
      "dl",
      {},
      h("dt", { text: "Status" }),
      h("dd", {}, h("code", { text: verdict.status }), " ", STATUS_WORDS[verdict.status] || ""),
      h("dt", { text: "Reason" }),
      h("dd", { text: reasonText(verdict) || "none given" }),
      h("dt", { text: "Extracted answer" }),
      h("dd", {}, verdict.extracted === null ? "nothing" : h("code", { text: verdict.extracted })),
    ),
    h("h3", { text: "Response" }),
    h(
      "pre",
      { class: "response", id: "verify-highlight" },
      marked(response, span ? [{ ...span, class: "answer", title: "extracted answer" }] : []),
    ),
    span || verdict.extracted === null
      ? null
      : h("p", {
          class: "hint",
          text: "The extracted answer is normalised, so it is not marked verbatim.",
        }),
  );
}

// Why a component adds nothing: its error, a verdict that is not `ok`, or the note of a
// component that never adds reward (the length penalty).
function componentWhy(c) {
  const d = c.details || {};
  if (d.error) return d.error;
  if (d.status && d.status !== "ok") return `${d.status}: ${d.reason || ""}`;
  if (c.score <= 0 && d.note) return d.note;
  if (c.score <= 0 && d.reason) return d.reason;
  return "";
}

function componentBars(result) {
  const components = Object.entries(result.components);
  const totalWeight = components.reduce((sum, [, c]) => sum + Math.abs(c.weight), 0) || 1;
  return h(
    "ul",
    { class: "components", "aria-label": "recipe components" },
    components.map(([name, c]) => {
      const share = Math.abs(c.weight) / totalWeight;
      const bar = h("span", { class: "bar" }, h("span", { class: "fill" }));
      bar.style.setProperty("--share", `${(share * 100).toFixed(1)}%`);
      bar.firstChild.style.setProperty(
        "--score",
        `${(Math.max(0, Math.min(1, c.score)) * 100).toFixed(1)}%`,
      );
      const inner = c.details && c.details.status ? ` · ${c.details.status}` : "";
      const why = componentWhy(c);
      return h(
        "li",
        { class: "component", "data-component": name },
        h("span", { class: "name", text: name }),
        bar,
        h("span", {
          class: "numbers",
          text: `score ${fmt(c.score, 2)} × weight ${fmt(c.weight, 2)} = ${fmt(c.weighted, 3)}${inner}`,
        }),
        why ? h("span", { class: "hint component-why", text: why }) : null,
      );
    }),
  );
}

// The accuracy-like component carries the verdict a recipe is built around.
function recipeVerdict(result) {
  const judged = Object.entries(result.components).find(
    ([, c]) => c.details && "extracted" in c.details && "status" in c.details,
  );
  return judged
    ? { name: judged[0], verdict: { reward: judged[1].score, ...judged[1].details } }
    : null;
}

function recipeView(result, response) {
  const inner = recipeVerdict(result);
  return h(
    "div",
    {},
    h(
      "p",
      { class: "headline" },
      h("span", { class: "badge neutral", text: "Recipe" }),
      h("span", { class: "reward", "data-testid": "reward", text: `reward ${fmt(result.reward)}` }),
    ),
    h("h3", { text: "Components (bar length = weight share, fill = score)" }),
    componentBars(result),
    inner ? h("h3", { text: `The ${inner.name} component's verdict` }) : null,
    inner
      ? verdictView(inner.verdict, response, `${inner.name} score`)
      : h("pre", { class: "response", text: response }),
  );
}

function readItem() {
  const item = { response: $("#verify-response").value };
  const reference = $("#verify-reference").value;
  if (reference !== "") item.reference = reference;
  const options = $("#verify-options")
    .value.split("\n")
    .map((o) => o.trim())
    .filter(Boolean);
  if (options.length) item.options = options;
  const params = $("#verify-params").value.trim();
  if (params) {
    let parsed;
    try {
      parsed = JSON.parse(params);
    } catch {
      throw new Error('Params must be a JSON object, e.g. {"spec": "think_answer"}.');
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new Error('Params must be a JSON object, e.g. {"spec": "think_answer"}.');
    }
    item.params = parsed;
  }
  return item;
}

export function initVerify() {
  const form = $("#verify-form");
  const out = $("#verify-result");
  const select = $("#verify-scorer");
  offerScorers(select, out);

  $("#verify-example").addEventListener("click", () => {
    select.value = EXAMPLE.scorer;
    $("#verify-response").value = EXAMPLE.response;
    $("#verify-reference").value = EXAMPLE.reference;
    $("#verify-options").value = "";
    $("#verify-params").value = "";
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = $("#verify-run");
    busy(button, true);
    try {
      const item = readItem();
      const [kind] = splitScorer(select.value);
      if (kind === "recipe") delete item.params;
      const [result] = await score(select.value, [item]);
      const view =
        kind === "recipe" ? recipeView(result, item.response) : verdictView(result, item.response);
      fill(out, view, rawJson(result));
    } catch (err) {
      showError(out, err);
    } finally {
      busy(button, false);
    }
  });
}
