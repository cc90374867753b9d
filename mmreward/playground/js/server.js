// Server tab: readiness, models, recipes, and live traffic read from /metrics.

import { ApiError, api, loadCatalog } from "./api.js";
import { $, fill, fmt, h } from "./dom.js";
import { parseMetrics, rates, totals } from "./metrics.js";

const POLL_MS = 2000;

async function readiness() {
  try {
    const body = await api("readyz");
    return { ready: true, text: body.status };
  } catch (err) {
    // /readyz says why in {status, error}, not in FastAPI's {detail}.
    const body = err instanceof ApiError && err.body ? err.body : {};
    return { ready: false, text: body.error || body.status || err.message };
  }
}

function card(title, ...body) {
  return h("section", { class: "card" }, h("h3", { text: title }), ...body);
}

function modelsCard(models) {
  return card(
    "Models",
    h("p", { text: `device: ${models.device}` }),
    h(
      "ul",
      { id: "server-models" },
      models.models.map((m) =>
        h(
          "li",
          {},
          h("strong", { text: m.role }),
          ` ${m.name}${m.format ? ` (${m.format})` : ""} `,
          h("span", { class: `model-state ${m.state.replaceAll(" ", "-")}`, text: m.state }),
          // A bundled model is a small demonstration of a narrow domain: say which, and how
          // to serve a real one, where the user looks.
          m.domain ? h("p", { class: "hint model-domain", text: `A ${m.domain}.` }) : null,
          m.real_model ? h("p", { class: "hint", text: `A real model: ${m.real_model}.` }) : null,
        ),
      ),
    ),
  );
}

function recipesCard(catalog) {
  return card(
    "Recipes and verifiers",
    h(
      "ul",
      { id: "server-recipes" },
      catalog.recipes.map((r) =>
        h(
          "li",
          {},
          h("strong", { text: r.name }),
          ": ",
          r.components.map((c) => `${fmt(c.weight, 2)} ${c.name}`).join(" + "),
        ),
      ),
    ),
    h("p", { text: `verifiers: ${catalog.verifiers.join(", ")}` }),
  );
}

function trafficCard() {
  const dl = h("dl", { id: "server-traffic" });
  return [
    card(
      "Live traffic (scoring routes)",
      dl,
      h("p", { class: "hint", text: `read from /metrics every ${POLL_MS / 1000} s` }),
    ),
    dl,
  ];
}

const ms = (v) => (v === null ? "no requests" : `${fmt(v, 1)} ms`);
const percent = (v) => (v === null ? "no items" : `${fmt(v * 100, 1)}%`);

function showTraffic(dl, now, change, life) {
  const entries = [
    ["Requests/s", change.perSecond === null ? "measuring..." : fmt(change.perSecond, 2)],
    ["Mean latency", ms(change.latencyMs)],
    ["Cache hit rate", percent(change.hitRate)],
    [
      "Since start",
      `${now.requests} requests, ${ms(life.latencyMs)} mean, ${percent(life.hitRate)} cache hits`,
    ],
  ];
  fill(
    dl,
    ...entries.flatMap(([k, v]) => [h("dt", { text: k }), h("dd", { "data-metric": k, text: v })]),
  );
}

export function initServer() {
  const out = $("#server-result");
  const panel = $("#panel-server");
  let timer = null;
  let previous = null;
  let dl = null;

  async function poll() {
    try {
      const now = totals(parseMetrics(await api("metrics", { text: true })));
      const t = performance.now();
      // Live figures are between two readings; the first reading covers the server's life.
      const life = rates(now, null, 0);
      const change = previous ? rates(now, previous.totals, (t - previous.t) / 1000) : life;
      previous = { totals: now, t };
      showTraffic(dl, now, change, life);
    } catch (err) {
      fill(dl, h("p", { class: "error", text: err.message }));
    }
  }

  // Everything but readiness answers at once; /readyz may take seconds (models loading, a
  // sandbox round trip), so the tab is drawn first and the readiness line filled in after.
  async function open() {
    const readyLine = h("p", {
      id: "server-ready",
      class: "pending",
      text: "checking /readyz (models loaded, a job through the sandbox)...",
    });
    const modelsSlot = h("div", {}, card("Models", h("p", { text: "loading..." })));
    const recipesSlot = h("div", {}, card("Recipes and verifiers", h("p", { text: "loading..." })));
    const [traffic, list] = trafficCard();
    dl = list;
    fill(out, card("Readiness", readyLine), modelsSlot, recipesSlot, traffic);
    api("v1/models").then(
      (models) => fill(modelsSlot, modelsCard(models)),
      (e) => fill(modelsSlot, card("Models", h("p", { class: "error", text: e.message }))),
    );
    loadCatalog().then(
      (catalog) => fill(recipesSlot, recipesCard(catalog)),
      (e) => fill(recipesSlot, card("Recipes", h("p", { class: "error", text: e.message }))),
    );
    readiness().then((ready) => {
      readyLine.className = ready.ready ? "good" : "bad";
      readyLine.textContent = ready.ready ? ready.text : `not ready: ${ready.text}`;
    });
    previous = null;
    await poll();
    clearInterval(timer);
    timer = setInterval(() => (panel.hidden || document.hidden ? stop() : poll()), POLL_MS);
  }

  function stop() {
    clearInterval(timer);
    timer = null;
  }

  document.addEventListener("mmreward:tab", (e) => (e.detail === "server" ? open() : stop()));
  document.addEventListener("mmreward:key", () => !panel.hidden && open());
  document.addEventListener(
    "visibilitychange",
    () => !document.hidden && !panel.hidden && !timer && open(),
  );
}
