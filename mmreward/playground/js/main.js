// Tabs (WAI-ARIA pattern: arrow keys, Home/End), the API key, and each tab's wiring.

import { apiKey, loadCatalog, setApiKey } from "./api.js";
import { $ } from "./dom.js";
import { initBatch } from "./batch.js";
import { initGrounding } from "./grounding.js";
import { initPrm } from "./prm.js";
import { initServer } from "./server.js";
import { initVerify } from "./verify.js";

const tabs = [...document.querySelectorAll('[role="tab"]')];

function select(tab, focus = false) {
  for (const other of tabs) {
    const chosen = other === tab;
    other.setAttribute("aria-selected", String(chosen));
    other.tabIndex = chosen ? 0 : -1;
    document.getElementById(other.getAttribute("aria-controls")).hidden = !chosen;
  }
  if (focus) tab.focus();
  const name = tab.id.replace("tab-", "");
  history.replaceState(null, "", `#${name}`);
  document.dispatchEvent(new CustomEvent("mmreward:tab", { detail: name }));
}

tabs.forEach((tab, i) => {
  tab.addEventListener("click", () => select(tab));
  tab.addEventListener("keydown", (event) => {
    const moves = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    select(tabs[(moves[event.key] + tabs.length) % tabs.length], true);
  });
});

const keyInput = $("#api-key");
keyInput.value = apiKey();
keyInput.addEventListener("change", () => {
  setApiKey(keyInput.value.trim());
  loadCatalog(true).catch(() => {});
  document.dispatchEvent(new Event("mmreward:key"));
});

initVerify();
initPrm();
initGrounding();
initBatch();
initServer();
select(tabs.find((t) => `#${t.id.replace("tab-", "")}` === location.hash) || tabs[0]);
