// Grounding tab: what the detector saw, drawn over the image, and each claim's fate.

import { api } from "./api.js";
import { $, fill, busy, fmt, h, marked, rawJson, s, showError } from "./dom.js";

const VERDICT_WORDS = {
  confirmed: "confirmed",
  hallucinated: "hallucinated",
  miscounted: "miscounted",
};
let image = null; // {dataUrl, width, height}

function loadImage(dataUrl) {
  return new Promise((resolve, reject) => {
    const probe = new Image();
    probe.onload = () =>
      resolve({ dataUrl, width: probe.naturalWidth, height: probe.naturalHeight });
    probe.onerror = () => reject(new Error("That file is not an image the browser can read."));
    probe.src = dataUrl;
  });
}

function readFile(file) {
  if (!["image/png", "image/jpeg"].includes(file.type)) {
    return Promise.reject(new Error("Give a PNG or JPEG image."));
  }
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(new Error("The file could not be read."));
    reader.readAsDataURL(file);
  });
}

// The bundled detector's domain: flat shapes on a light background.
function exampleImage() {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 256;
  const g = canvas.getContext("2d");
  g.fillStyle = "rgb(246,246,246)";
  g.fillRect(0, 0, 256, 256);
  g.fillStyle = "rgb(225,25,30)";
  for (const [x, y, r] of [
    [50, 55, 28],
    [175, 60, 24],
  ]) {
    g.beginPath();
    g.arc(x, y, r, 0, 2 * Math.PI);
    g.fill();
  }
  g.fillStyle = "rgb(30,60,220)";
  g.fillRect(70, 150, 52, 52);
  return canvas.toDataURL("image/png");
}

function rect(box, cls) {
  const [x1, y1, x2, y2] = box;
  return s("rect", {
    class: cls,
    x: x1,
    y: y1,
    width: Math.max(0, x2 - x1),
    height: Math.max(0, y2 - y1),
  });
}

function label(box, text, cls, size) {
  const [x1, y1] = box;
  const y = y1 - 3 > size ? y1 - 3 : y1 + size;
  return s("text", { class: cls, x: x1 + 1, y, "font-size": size }, text);
}

function matchedTargets(details) {
  if (details.mode === "best" && details.best_target !== undefined) {
    return [[0, details.best_target, details.iou]];
  }
  return details.matches || [];
}

export function overlay(img, details) {
  const size = Math.max(9, Math.round(img.width / 28));
  const view = s(
    "svg",
    {
      id: "grounding-view",
      viewBox: `0 0 ${img.width} ${img.height}`,
      role: "img",
      "aria-label": "the image with detections and answered boxes",
    },
    s("image", { href: img.dataUrl, width: img.width, height: img.height }),
  );
  for (const obj of details.objects || []) {
    if (!obj.box) continue;
    const conf = obj.confidence === undefined ? "" : ` ${fmt(obj.confidence, 2)}`;
    view.append(
      s(
        "g",
        { class: "detection", "data-label": obj.label },
        rect(obj.box, "box"),
        label(obj.box, `${obj.label}${conf}`, "tag", size),
      ),
    );
  }
  const targets = details.targets || [];
  for (const [i, j, iou] of matchedTargets(details)) {
    if (targets[j] && targets[j].box) view.append(rect(targets[j].box, "matched"));
    const box = (details.boxes || [])[i];
    if (box) view.append(label([box[0], box[3] + size + 3], `IoU ${fmt(iou, 3)}`, "iou", size));
  }
  for (const box of details.boxes || []) {
    view.append(s("g", { class: "answer" }, rect(box, "box")));
  }
  return view;
}

function claimSpans(response, claims) {
  const spans = [];
  let from = 0;
  for (const claim of claims) {
    const at = claim.text ? response.indexOf(claim.text, from) : -1;
    if (at < 0) continue;
    spans.push({
      start: at,
      end: at + claim.text.length,
      class: `claim ${claim.verdict}`,
      title: claim.verdict,
    });
    from = at + claim.text.length;
  }
  return spans;
}

function claimsView(claims) {
  return h(
    "ul",
    { class: "claims", id: "grounding-claims" },
    claims.map((c) =>
      h(
        "li",
        { class: `claim ${c.verdict}`, "data-verdict": c.verdict },
        h("strong", { text: VERDICT_WORDS[c.verdict] || c.verdict }),
        ` “${c.text || c.claim}”: says ${c.claim}, the image has ${c.observed}`,
      ),
    ),
  );
}

function summary(verdict) {
  const d = verdict.details || {};
  if (d.expected !== undefined)
    return `Answered ${d.answered}, the image has ${d.expected} ${d.target || ""}.`;
  if (d.chair_i !== undefined) return `CHAIR_i ${fmt(d.chair_i, 2)}, CHAIR_s ${fmt(d.chair_s, 0)}.`;
  if (d.mode) {
    const n = (d.targets || []).length;
    return `${n} detected ${d.target || "object"}${n === 1 ? "" : "s"} to match against.`;
  }
  return "";
}

export function initGrounding() {
  const form = $("#grounding-form");
  const out = $("#grounding-result");
  const drop = $("#grounding-drop");

  async function take(dataUrlPromise) {
    try {
      image = await loadImage(await dataUrlPromise);
      drop.textContent = `Image ${image.width} × ${image.height} ready (paste or drop to replace).`;
      fill(out, overlay(image, {}));
    } catch (err) {
      showError(out, err);
    }
  }

  $("#grounding-file").addEventListener(
    "change",
    (e) => e.target.files[0] && take(readFile(e.target.files[0])),
  );
  drop.addEventListener("paste", (e) => {
    const file = [...e.clipboardData.files][0];
    if (file) {
      e.preventDefault();
      take(readFile(file));
    }
  });
  drop.addEventListener("dragover", (e) => e.preventDefault());
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    const file = e.dataTransfer.files[0];
    if (file) take(readFile(file));
  });
  drop.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      $("#grounding-file").click();
    }
  });

  $("#grounding-example").addEventListener("click", () => {
    $("#grounding-task").value = "hallucination";
    $("#grounding-question").value = "";
    $("#grounding-response").value = "Two red circles, a blue square and a green triangle.";
    take(Promise.resolve(exampleImage()));
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!image) {
      showError(out, new Error("Choose, paste or drop an image first."));
      return;
    }
    const button = $("#grounding-run");
    busy(button, true);
    const response = $("#grounding-response").value;
    const item = {
      image: image.dataUrl,
      response,
      task: $("#grounding-task").value,
      params: { box_format: $("#grounding-box-format").value },
    };
    const question = $("#grounding-question").value.trim();
    if (question) item.question = question;
    try {
      const body = await api("v1/grounding/score", { method: "POST", body: { items: [item] } });
      const verdict = body.results[0];
      const claims = (verdict.details && verdict.details.claims) || [];
      fill(
        out,
        h(
          "p",
          { class: "headline" },
          h("span", {
            class: `badge ${verdict.correct ? "good" : verdict.correct === false ? "bad" : "warn"}`,
            text: { true: "Correct", false: "Wrong" }[verdict.correct] || verdict.status,
          }),
          h("span", {
            class: "reward",
            id: "grounding-reward",
            text: `reward ${fmt(verdict.reward)}`,
          }),
        ),
        h("p", { text: `${verdict.reason}. ${summary(verdict)}` }),
        h(
          "figure",
          {},
          overlay(image, verdict.details || {}),
          h("figcaption", {
            class: "hint",
            text: "Solid: detections with confidence. Dashed: answered boxes. Thick: the detection an answered box matched.",
          }),
        ),
        claims.length ? claimsView(claims) : null,
        h("pre", { class: "response" }, marked(response, claimSpans(response, claims))),
        rawJson(verdict),
      );
    } catch (err) {
      showError(out, err);
    } finally {
      busy(button, false);
    }
  });
}
