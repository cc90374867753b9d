// PRM tab: per-step scores from /v1/prm/score, coloured, with the first error marked.

import { api } from "./api.js";
import { $, fill, busy, fmt, h, rawJson, scoreColour, showError } from "./dom.js";

const EXAMPLE = {
  problem: "Compute: 5 + 6 * 3 - 2",
  steps: ["6 * 3 = 18", "5 + 18 = 23", "23 - 2 = 22", "The answer is 22."],
};

export function splitSteps(text, mode) {
  const parts =
    mode === "chain" ? text.split(/\n\s*\n|(?=\bStep\s*\d+\s*[:.])/i) : text.split("\n");
  return parts.map((p) => p.trim()).filter(Boolean);
}

function stepsView(steps, result, threshold) {
  return h(
    "ol",
    { class: "steps", id: "prm-steps-out" },
    steps.map((step, i) => {
      const value = result.step_scores[i];
      const isError = i === result.first_error;
      const below = value < threshold;
      const li = h(
        "li",
        {
          class: `step${isError ? " first-error" : ""}${below ? " below" : ""}`,
          title: `score ${fmt(value, 4)}`,
          "data-score": value,
        },
        h("span", { class: "text", text: step }),
        h("span", { class: "value", text: fmt(value, 3) }),
        isError ? h("strong", { class: "flag", text: "first error" }) : null,
      );
      li.style.setProperty("--step-colour", scoreColour(value));
      return li;
    }),
  );
}

export function initPrm() {
  const form = $("#prm-form");
  const out = $("#prm-result");
  let hasRun = false;

  $("#prm-example").addEventListener("click", () => {
    $("#prm-problem").value = EXAMPLE.problem;
    $("#prm-steps").value = EXAMPLE.steps.join("\n");
    $("#prm-split").value = "lines";
  });

  async function run() {
    const button = $("#prm-run");
    const steps = splitSteps($("#prm-steps").value, $("#prm-split").value);
    const threshold = Number($("#prm-threshold").value);
    const aggregate = $("#prm-aggregate").value;
    if (!steps.length) {
      showError(out, new Error("Give at least one step."));
      return;
    }
    if (!(threshold >= 0 && threshold <= 1)) {
      showError(out, new Error("The threshold is a number from 0 to 1."));
      return;
    }
    busy(button, true);
    try {
      const body = await api("v1/prm/score", {
        method: "POST",
        body: { items: [{ problem: $("#prm-problem").value, steps }], aggregate, threshold },
      });
      const result = body.results[0];
      hasRun = true;
      const firstError =
        result.first_error < 0
          ? "no step below the threshold"
          : `step ${result.first_error + 1} is the first below ${threshold}`;
      fill(
        out,
        h(
          "p",
          { class: "headline" },
          h("span", { class: "badge neutral", text: aggregate }),
          h("span", {
            class: "reward",
            id: "prm-aggregate-out",
            text: `score ${fmt(result.score)}`,
          }),
        ),
        h("p", { id: "prm-first-error", text: `First error: ${firstError}.` }),
        result.truncated
          ? h("p", { class: "hint", text: "The problem was cut from the left to fit the model." })
          : null,
        stepsView(steps, result, threshold),
        h("p", {
          class: "legend hint",
          text: "Colour runs from red (score 0) to green (score 1); hover a step for its value.",
        }),
        rawJson(result),
      );
    } catch (err) {
      showError(out, err);
    } finally {
      busy(button, false);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  for (const id of ["#prm-aggregate", "#prm-threshold"]) {
    $(id).addEventListener("change", () => hasRun && run());
  }
}
