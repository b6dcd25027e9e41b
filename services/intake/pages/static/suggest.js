// The categories the description suggests, under the category field: the top three with
// their confidence, asked for after a pause in typing (never blocking it). Alt+1/2/3 or a
// click picks one as the category box would. A failed request shows nothing: the agent can
// always pick the category by hand. Once a place is chosen, dispatch's router says beside each
// one the department it would go to there (one request for all three, again when the place
// changes); a failed request shows no department.
"use strict";
(() => {
  const { api, t, el } = Hotline;
  Hotline.messages({
    zh: { "suggest.heading": "推荐分类", "suggest.pick": "选用 {name}（{path}），置信度 {pct}%", "suggest.cold": "（尚无训练模型，按分类目录和知识库推荐）",
      "suggest.to": "→ {name}", "suggest.to_review": "→ 由派单员分派" },
    en: { "suggest.heading": "Suggested", "suggest.pick": "Use {name} ({path}), confidence {pct}%", "suggest.cold": "(no trained model yet: suggested from the catalogue and knowledge base)",
      "suggest.to": "→ {name}", "suggest.to_review": "→ a dispatcher decides" },
  });
  const $ = (id) => document.getElementById(id);
  const description = $("description");
  const box = $("suggestions");
  const PAUSE_MS = 250;
  let timer = null;
  let asked = 0; // answers to older requests arrive late and are dropped
  let shown = { model_version: null, categories: [] };
  // The departments of the shown categories at the chosen place, valid while `key` is theirs.
  let routed = { key: "", byCode: {} };
  let routeTimer = null;
  let routeAsked = 0;

  function pct(confidence) { return Math.round(confidence * 100); }
  function routeKey() {
    const area = Hotline.consoleAssist.area();
    return area && shown.categories.length ? `${area}|${shown.categories.map((c) => c.code).join(",")}` : "";
  }
  function department(code) {
    const found = routeKey() && routed.key === routeKey() ? routed.byCode[code] : undefined;
    if (!found) return "";
    return found.department_name ? t("suggest.to", { name: found.department_name }) : t("suggest.to_review");
  }
  function render() {
    const found = shown.categories;
    if (!found.length) { box.hidden = true; box.replaceChildren(); return; }
    const chosen = Hotline.consoleAssist.category();
    box.replaceChildren(
      el("span", { class: "muted", title: shown.model_version === null ? t("suggest.cold") : `v${shown.model_version}` },
        t("suggest.heading")),
      ...found.map((c, i) => {
        const path = c.path.slice(0, -1).join(" › ");
        const goes = department(c.code);
        return el("button", {
          type: "button", class: c.code === chosen ? "secondary suggestion chosen" : "secondary suggestion",
          "data-code": c.code, "aria-label": `${t("suggest.pick", { name: c.name, path, pct: pct(c.confidence) })} ${goes}`.trim(),
          style: "display: inline-flex; align-items: center; gap: .35rem; margin: .2rem .35rem 0 0",
          onmousedown: (e) => e.preventDefault(), // the description keeps the focus
          onclick: () => accept(i),
        },
        el("kbd", {}, `Alt+${i + 1}`), el("strong", {}, c.name), el("span", { class: "muted" }, path),
        el("span", { class: "confidence", "aria-hidden": "true",
          style: "display: inline-block; width: 3rem; height: .4rem; background: #e0e0e0; border-radius: .2rem; overflow: hidden" },
          el("span", { style: `display: block; height: 100%; width: ${pct(c.confidence)}%; background: var(--accent, #1565c0)` })),
        el("span", { class: "muted pct" }, `${pct(c.confidence)}%`),
        goes ? el("span", { class: "department" }, goes) : "");
      }));
    box.hidden = false;
  }
  function accept(index) {
    const c = shown.categories[index];
    if (!c) return false;
    const typing = document.activeElement;
    Hotline.consoleAssist.pickCategory({ code: c.code, name: c.name, path: c.path });
    // Picking moves on to the place; an agent still typing the description stays there.
    if (typing === description) description.focus();
    render();
    return true;
  }
  async function ask() {
    const text = description.value.trim();
    const mine = ++asked;
    if (text.length < 2) { shown = { model_version: null, categories: [] }; render(); return; }
    const found = await api("/api/v1/suggestions", { method: "POST", body: { description: text.slice(0, 4000) }, redirectOn401: false })
      .catch(() => ({ model_version: null, categories: [] }));
    if (mine !== asked) return;
    shown = found;
    render();
    laterRoute();
  }
  function later() { clearTimeout(timer); timer = setTimeout(ask, PAUSE_MS); }
  async function route() {
    const key = routeKey();
    const mine = ++routeAsked;
    if (key === routed.key) return;
    if (!key) { routed = { key: "", byCode: {} }; render(); return; }
    const body = { area_code: Hotline.consoleAssist.area(), category_codes: shown.categories.map((c) => c.code) };
    const found = await api("/api/v1/routing/departments", { service: "dispatch", method: "POST", body, redirectOn401: false })
      .catch(() => null);
    if (mine !== routeAsked) return;
    // Failed: no department shown, and the next suggestion or place asks again.
    routed = found ? { key, byCode: Object.fromEntries(found.map((d) => [d.category_code, d])) } : { key: "", byCode: {} };
    render();
  }
  function laterRoute() { clearTimeout(routeTimer); routeTimer = setTimeout(route, PAUSE_MS); }

  description.addEventListener("input", later);
  document.addEventListener("hotline:place", () => { render(); laterRoute(); }); // the last place's departments go at once
  $("call").addEventListener("reset", () => {
    clearTimeout(timer); clearTimeout(routeTimer); asked++; routeAsked++;
    shown = { model_version: null, categories: [] }; routed = { key: "", byCode: {} }; render();
  });
  document.addEventListener("keydown", (e) => {
    // By the key's place, not its character: Alt+digit types other characters on some layouts.
    const index = { Digit1: 0, Digit2: 1, Digit3: 2 }[e.code];
    if (!e.altKey || box.hidden || index === undefined) return;
    if (accept(index)) e.preventDefault();
  });
  document.addEventListener("hotline:lang", render);
})();
