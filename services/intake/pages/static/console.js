// The agent's console: log a call in under a minute, keyboard first. Talks only to
// intake's own API with the session cookie.
"use strict";
(() => {
  const { api, t, el } = Hotline;
  Hotline.messages({
    zh: { "console.frequent": "高频来电", "console.frequent_hint": "该来电人今天的诉求次数已超过阈值，请留意（不影响受理）" },
    en: { "console.frequent": "Frequent caller", "console.frequent_hint": "This caller has made more requests today than the threshold (the call is still taken)" },
  });
  // A cue, never a refusal: the ticket was logged like any other.
  function frequentBadge(ticket) {
    return ticket.frequent_caller
      ? el("span", { class: "badge warn frequent", style: "margin-left: .4rem", title: t("console.frequent_hint") },
        t("console.frequent")) : null;
  }
  const $ = (id) => document.getElementById(id);
  const form = $("call");
  const TYPES = ["complaint", "help", "consultation", "suggestion", "report", "praise"];
  const state = { category: null, area: null, duplicate: null, entryId: null, openedAt: Date.now() };
  let lastStatuses = new Map();
  let lastLogged = null;

  // ---- form basics ------------------------------------------------------------------
  function renderTypes() {
    $("request_types").replaceChildren(...TYPES.map((type, i) => el("label", {},
      el("input", { type: "radio", name: "request_type", value: type, checked: i === 0,
        onchange: onTypeChange }),
      el("span", { "data-i18n": `request_type.${type}` }, t(`request_type.${type}`)))));
  }
  function requestType() { return form.querySelector("input[name=request_type]:checked")?.value; }
  function onTypeChange() {
    const consult = requestType() === "consultation";
    $("kb").hidden = !consult;
    $("answer-box").hidden = !consult;
    if (consult) searchKnowledge($("kb-q").value || $("description").value || state.category?.name || "");
  }
  function tick() {
    const s = Math.floor((Date.now() - state.openedAt) / 1000);
    $("timer").textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }
  function pathText(path) { return (path || []).join(" › "); }

  // ---- autocompletion ---------------------------------------------------------------
  function pickCategory(item) {
    state.category = item;
    $("category").value = item.name;
    $("category_code").value = item.code;
    $("category-picked").textContent = `${pathText(item.path)}（${item.code}）`;
    refreshDuplicates();
    if (requestType() === "consultation") searchKnowledge($("kb-q").value || $("description").value);
    $("area").focus();
  }
  function pickArea(item) {
    state.area = item;
    $("area").value = item.name;
    $("area_code").value = item.code;
    $("area-picked").textContent = `${pathText(item.path)}（${item.code}）`;
    document.querySelector(".error[data-for='address']").replaceChildren();
    refreshDuplicates();
    placeChanged();
    $("address").focus();
  }
  makeCombo($("category"), $("category-list"), {
    fetch: (q) => api(`/api/v1/categories?limit=8&q=${encodeURIComponent(q)}`),
    render: (c) => [c.name, pathText(c.path.slice(0, -1))],
    pick: pickCategory,
  });
  makeCombo($("area"), $("area-list"), {
    fetch: (q) => api(`/api/v1/addresses?limit=8&q=${encodeURIComponent(q)}`),
    render: (a) => [a.name, pathText(a.path.slice(0, -1))],
    pick: pickArea,
  });
  $("category").addEventListener("input", () => { state.category = null; $("category_code").value = ""; $("category-picked").textContent = ""; });
  $("area").addEventListener("input", () => { state.area = null; $("area_code").value = ""; $("area-picked").textContent = ""; placeChanged(); });
  // For static/suggest.js: the departments beside the suggested categories follow the place.
  function placeChanged() { document.dispatchEvent(new CustomEvent("hotline:place")); }

  // ---- duplicates -------------------------------------------------------------------
  let dupTimer = null;
  function refreshDuplicates() { clearTimeout(dupTimer); dupTimer = setTimeout(loadDuplicates, 250); }
  async function loadDuplicates() {
    const list = $("dup-list");
    if (!state.area) { list.replaceChildren(); $("dups-hint").hidden = false; return; }
    const params = new URLSearchParams({ area_code: state.area.code, text: $("description").value.slice(0, 500) });
    if (state.category) params.set("category_code", state.category.code);
    let found = [];
    try { found = await api(`/api/v1/duplicates?${params}`); } catch (e) { return; }
    $("dups-hint").hidden = true;
    if (!found.length) { list.replaceChildren(el("li", { class: "muted" }, t("console.no_dups"))); return; }
    list.replaceChildren(...found.map(renderDuplicate));
  }
  Hotline.messages({
    zh: { "console.same_meaning": "意思相近 {pct}%", "console.dup_score": "匹配度 {score}", "console.dup_why": "相同说法：" },
    en: { "console.same_meaning": "{pct}% same meaning", "console.dup_score": "score {score}", "console.dup_why": "Shared words: " },
  });
  function renderDuplicate(d) {
    const tk = d.ticket;
    const why = d.why || [];
    const reasons = [d.same_category ? t("console.same_category") : null,
      d.similarity >= 0.3 ? t("console.similar", { pct: Math.round(d.similarity * 100) }) : null,
      d.kind === "same_meaning" ? t("console.same_meaning", { pct: Math.round(d.meaning * 100) }) : null,
      t("console.dup_score", { score: d.score.toFixed(2) })].filter(Boolean);
    // The shared fragments marked where they stand in the ticket's own text.
    const spans = why.map((f) => [tk.description.indexOf(f), f]).filter(([at]) => at >= 0).sort((x, y) => x[0] - y[0]);
    const text = []; let from = 0;
    for (const [at, f] of spans) {
      if (at < from) continue;
      text.push(tk.description.slice(from, at), el("mark", {}, f)); from = at + f.length;
    }
    text.push(tk.description.slice(from));
    return el("li", { class: state.duplicate?.id === tk.id ? "chosen" : "", "data-kind": d.kind },
      el("div", { class: "dup-head" },
        el("span", { class: "num" }, tk.number), statusBadge(tk.status), frequentBadge(tk),
        el("span", { class: "muted" }, t("console.calls", { n: tk.calls })),
        el("span", { class: "muted" }, Hotline.fmtTime(tk.created_at))),
      el("div", { class: "muted reason" }, `${pathText(tk.category_path)} · ${reasons.join(" · ")}`),
      why.length ? el("div", { class: "muted reason dup-why" }, t("console.dup_why"), why.map((f) => el("mark", {}, f)).flatMap((m, i) => i ? [" ", m] : [m])) : null,
      el("p", { class: "dup-text" }, text),
      el("button", { type: "button", class: "secondary attach-btn", "data-ticket": tk.id,
        onclick: () => chooseDuplicate(tk) }, t("console.attach")));
  }
  function chooseDuplicate(ticket) {
    state.duplicate = ticket;
    $("attach-text").textContent = t("console.attaching", { number: ticket.number, calls: ticket.calls });
    $("attach-banner").hidden = false;
    loadDuplicates();
    $("submit").focus();
  }
  function cancelDuplicate() { state.duplicate = null; $("attach-banner").hidden = true; loadDuplicates(); }
  $("attach-cancel").addEventListener("click", cancelDuplicate);

  // ---- knowledge base ---------------------------------------------------------------
  let kbTimer = null;
  async function searchKnowledge(q) {
    let found = [];
    const params = new URLSearchParams({ limit: "5", q: q.slice(0, 400) });
    if (state.category) params.set("category_code", state.category.code);
    try { found = await api(`/api/v1/knowledge?${params}`); } catch (e) { return; }
    $("kb-list").replaceChildren(...found.map((k) => el("li", {},
      el("strong", {}, k.title), el("p", { class: "answer" }, k.answer),
      el("button", { type: "button", class: "secondary", onclick: () => useAnswer(k) }, t("console.use_answer")))));
  }
  function useAnswer(entry) {
    state.entryId = entry.id;
    $("answer").value = entry.answer;
    $("answer").focus();
  }
  // For static/assist.js: an entry offered beside the description answers the call directly.
  Hotline.consoleAssist = {
    answer(entry) {
      const consultation = form.querySelector("input[name=request_type][value=consultation]");
      if (!consultation.checked) { consultation.checked = true; consultation.dispatchEvent(new Event("change", { bubbles: true })); }
      useAnswer(entry);
    },
    category: () => state.category?.code || null,
    area: () => state.area?.code || null,
    // For static/suggest.js: a suggested category is picked as the combo picks one.
    pickCategory,
  };
  $("kb-q").addEventListener("input", () => { clearTimeout(kbTimer); kbTimer = setTimeout(() => searchKnowledge($("kb-q").value), 200); });
  $("answer").addEventListener("input", () => { if (!$("answer").value.trim()) state.entryId = null; });

  // ---- submit -----------------------------------------------------------------------
  function body() {
    const phone = $("anonymous").checked ? null : $("caller_phone").value.trim() || null;
    const answer = requestType() === "consultation" && $("answer").value.trim()
      ? { text: $("answer").value.trim(), entry_id: state.entryId } : null;
    return {
      channel: $("channel").value, request_type: requestType(),
      category_code: $("category_code").value || $("category").value.trim(),
      area_code: $("area_code").value || null, address: $("address").value.trim() || null,
      urgency: $("urgency").value, description: $("description").value.trim(),
      caller_phone: phone, duplicate_of: state.duplicate?.id || null, answer,
      form_seconds: Math.round((Date.now() - state.openedAt) / 100) / 10,
    };
  }
  async function submit(event) {
    event?.preventDefault();
    $("submit").disabled = true;
    try {
      const logged = await Hotline.once("/api/v1/calls", { body: body() });
      announceDone(logged);
      reset();
      loadRecent();
    } catch (problem) {
      Hotline.showErrors(form, problem);
      offerPlaces(problem.body?.suggestions);
      form.querySelector("[aria-invalid=true]")?.focus();
    } finally {
      $("submit").disabled = false;
    }
  }
  function offerPlaces(suggestions) {
    if (!suggestions?.length) return;
    const slot = document.querySelector(".error[data-for='address']");
    slot.append(el("span", { class: "row" }, ...suggestions.map((s) => el("button", { type: "button",
      class: "link", onclick: () => pickArea({ code: s.code, name: s.path.at(-1), path: s.path }) }, pathText(s.path)))));
  }
  function announceDone(logged) {
    lastLogged = logged;
    const key = { created: "console.created", attached: "console.attached", answered: "console.answered" }[logged.outcome];
    const parts = [t(key, { number: logged.number, calls: logged.calls })];
    if (logged.outcome === "attached" && logged.calls === 3) parts.push(t("console.supervised"));
    const done = $("done");
    done.replaceChildren(el("span", {}, parts[0].split(logged.number)[0]), el("strong", {}, logged.number),
      el("span", {}, parts[0].split(logged.number).slice(1).join(logged.number) + (parts[1] ? " " + parts[1] : "")),
      frequentBadge(logged) || "");
    done.hidden = false;
  }
  function reset() {
    form.reset();
    Object.assign(state, { category: null, area: null, duplicate: null, entryId: null, openedAt: Date.now() });
    ["category-picked", "area-picked"].forEach((id) => { $(id).textContent = ""; });
    form.querySelectorAll(".error[data-for]").forEach((n) => n.replaceChildren());
    form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
    $("attach-banner").hidden = true;
    $("count").textContent = "0 / 4000";
    onTypeChange();
    loadDuplicates();
    $("caller_phone").focus();
  }
  form.addEventListener("submit", submit);
  $("clear").addEventListener("click", () => { $("done").hidden = true; reset(); });
  $("anonymous").addEventListener("change", () => { $("caller_phone").disabled = $("anonymous").checked; });
  $("description").addEventListener("input", () => {
    $("count").textContent = `${$("description").value.length} / 4000`;
    refreshDuplicates();
    if (requestType() === "consultation" && !$("kb-q").value) {
      clearTimeout(kbTimer); kbTimer = setTimeout(() => searchKnowledge($("description").value), 400);
    }
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); submit(); }
    else if (e.altKey && e.key.toLowerCase() === "d") { e.preventDefault(); document.querySelector(".attach-btn")?.focus(); }
    else if (e.altKey && e.key.toLowerCase() === "k" && !$("kb").hidden) { e.preventDefault(); $("kb-q").focus(); }
  });

  // ---- my recent calls, with live status --------------------------------------------
  function statusBadge(status) {
    const tone = STATUS_TONE[status] || "";
    return el("span", { class: `badge ${tone}`, "data-status": status }, Hotline.label("status", status));
  }
  function callerCell(r) {
    const cell = el("td", { class: "phone" }, r.caller_masked || "—");
    if (r.revealable) {
      cell.append(" ", el("button", { type: "button", class: "link", onclick: async (e) => {
        try {
          const { phone } = await api(`/api/v1/calls/${r.call_id}/phone`);
          e.target.replaceWith(el("span", {}, `(${phone})`));
        } catch (problem) { e.target.replaceWith(el("span", { class: "error" }, problem.message)); }
      } }, t("console.show_phone")));
    }
    return cell;
  }
  function recentRow(r) {
    const tk = r.ticket;
    const before = lastStatuses.get(r.call_id);
    const changed = before !== undefined && before !== tk.status;
    if (changed) $("announce").textContent = t("console.status_changed", { number: tk.number, status: Hotline.label("status", tk.status) });
    return el("tr", { class: changed ? "changed" : "", "data-ticket": tk.id },
      el("td", { class: "num" }, tk.number, frequentBadge(tk)), el("td", {}, Hotline.fmtTime(r.taken_at)),
      el("td", {}, tk.category_path.at(-1) || tk.category_code), el("td", {}, tk.area_path.at(-1) || "—"),
      callerCell(r), el("td", {}, String(tk.calls)), el("td", {}, statusBadge(tk.status)),
      el("td", {}, tk.department_name || "—"));
  }
  async function loadRecent() {
    let rows;
    try { rows = await api("/api/v1/calls?limit=15"); } catch (e) { return; }
    const body = $("recent").tBodies[0];
    if (!rows.length) body.replaceChildren(el("tr", {}, el("td", { colspan: "8", class: "muted" }, t("console.no_recent"))));
    else body.replaceChildren(...rows.map(recentRow));
    lastStatuses = new Map(rows.map((r) => [r.call_id, r.ticket.status]));
    $("recent-updated").textContent = t("console.updated", { time: Hotline.fmtTime(new Date().toISOString(), true) });
  }

  // ---- start ------------------------------------------------------------------------
  document.addEventListener("hotline:lang", () => {
    renderTypesKeepingChoice(); loadRecent(); loadDuplicates();
    if (lastLogged && !$("done").hidden) announceDone(lastLogged);
    if (state.duplicate) $("attach-text").textContent = t("console.attaching", { number: state.duplicate.number, calls: state.duplicate.calls });
  });
  function renderTypesKeepingChoice() { const chosen = requestType(); renderTypes(); const i = form.querySelector(`input[value=${chosen}]`); if (i) i.checked = true; }
  (async () => {
    renderTypes();
    Hotline.translate();
    await Hotline.header("console.title");
    onTypeChange();
    loadRecent();
    setInterval(loadRecent, 4000);
    setInterval(tick, 1000);
    $("caller_phone").focus();
  })();
})();
