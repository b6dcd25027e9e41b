// Help while the agent types the description: the urgency its words suggest (beside the
// urgency field, Alt+U or a click accepts it) and the knowledge entries it is about (one
// click answers the call directly). Requests wait for a pause in typing and never block it;
// a failed one shows nothing: the agent can always log the call without them.
"use strict";
(() => {
  const { api, t, el } = Hotline;
  Hotline.messages({
    zh: {
      "assist.cue": "可能{urgency}：{word}", "assist.accept": "设为{urgency}", "assist.accept_key": "Alt+U",
      "assist.follow": "相关知识", "assist.answer": "直接答复",
    },
    en: {
      "assist.cue": "Possibly {urgency}: {word}", "assist.accept": "Set to {urgency}", "assist.accept_key": "Alt+U",
      "assist.follow": "Related knowledge", "assist.answer": "Answer directly",
    },
  });
  const $ = (id) => document.getElementById(id);
  const description = $("description");
  const urgency = $("urgency");
  const PAUSE_MS = 300;
  // The knowledge search reads the description's start: callers say early what it is about.
  const KNOWLEDGE_CHARS = 400;
  let timer = null;
  let asked = 0; // answers to older requests arrive late and are dropped
  let cue = null;
  let follow = [];

  function consulting() { return document.querySelector("input[name=request_type]:checked")?.value === "consultation"; }

  // ---- urgency cue ------------------------------------------------------------------
  function renderCue() {
    const box = $("urgency-cue");
    const shown = cue && cue.suggested && urgency.value !== cue.suggested && urgency.value !== "urgent";
    if (!shown) { box.hidden = true; box.replaceChildren(); return; }
    const name = Hotline.label("urgency", cue.suggested);
    const raising = cue.cues.filter((c) => c.urgency === cue.suggested);
    const first = raising[0];
    box.replaceChildren(
      el("span", { class: "cue-text" }, t("assist.cue", { urgency: name, word: raising.map((c) => c.word).join("、") })),
      el("span", { class: "muted cue-reason" }, ` — ${first.reason} `),
      el("button", { type: "button", class: "secondary", id: "urgency-accept", onclick: acceptCue },
        t("assist.accept", { urgency: name }), el("kbd", {}, t("assist.accept_key"))));
    box.hidden = false;
  }
  function acceptCue() {
    if (!cue?.suggested) return;
    urgency.value = cue.suggested;
    urgency.dispatchEvent(new Event("change", { bubbles: true }));
    renderCue();
  }

  // ---- knowledge that follows the description ---------------------------------------
  function renderFollow() {
    const box = $("follow");
    // While answering a consultation the knowledge box itself follows the description.
    box.hidden = !follow.length || consulting();
    $("follow-heading").textContent = t("assist.follow");
    $("follow-list").replaceChildren(...follow.map((k) => el("li", {},
      el("strong", {}, k.title), el("p", { class: "answer" }, k.answer),
      el("button", { type: "button", class: "secondary follow-answer", onclick: () => Hotline.consoleAssist.answer(k) },
        t("assist.answer")))));
  }

  // ---- asking -----------------------------------------------------------------------
  async function ask() {
    const text = description.value.trim();
    const mine = ++asked;
    if (text.length < 2) { cue = null; follow = []; renderCue(); renderFollow(); return; }
    const params = new URLSearchParams({ mode: "answer", limit: "5", q: text.slice(0, KNOWLEDGE_CHARS) });
    const category = Hotline.consoleAssist.category();
    if (category) params.set("category_code", category);
    const [cues, entries] = await Promise.all([
      api("/api/v1/urgency-cues", { method: "POST", body: { description: text }, redirectOn401: false }).catch(() => null),
      api(`/api/v1/knowledge?${params}`, { redirectOn401: false }).catch(() => []),
    ]);
    if (mine !== asked) return;
    cue = cues;
    follow = entries;
    renderCue();
    renderFollow();
  }
  function later() { clearTimeout(timer); timer = setTimeout(ask, PAUSE_MS); }

  description.addEventListener("input", later);
  urgency.addEventListener("change", renderCue);
  document.getElementById("request_types").addEventListener("change", renderFollow);
  $("call").addEventListener("reset", () => { clearTimeout(timer); asked++; cue = null; follow = []; renderCue(); renderFollow(); });
  document.addEventListener("keydown", (e) => {
    if (e.altKey && e.key.toLowerCase() === "u" && cue?.suggested && !$("urgency-cue").hidden) { e.preventDefault(); acceptCue(); }
  });
  document.addEventListener("hotline:lang", () => { renderCue(); renderFollow(); if (description.value.trim()) later(); });
})();
