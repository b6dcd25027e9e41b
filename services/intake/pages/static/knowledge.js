// The knowledge base: search and read entries; admins create, change, retire and restore
// them (at once or from a date), with validity dates and categories; every save is a
// version, and any two versions compare field by field.
"use strict";
(() => {
  const { api, t, el } = Hotline;
  Hotline.messages({
    zh: {
      "kb.title": "知识库", "kb.readonly": "只读：知识库由管理员维护；这里只列出当前有效的条目。",
      "kb.entries": "条目", "kb.search": "搜索", "kb.searchHint": "标题或答复中的文字",
      "kb.category": "分类编码", "kb.categoryHint": "分类编码", "kb.validNow": "只看当前有效",
      "kb.showRetired": "含已停用", "kb.searchSubmit": "搜索", "kb.new": "新建条目",
      "kb.titleCol": "标题", "kb.categories": "分类", "kb.validity": "有效期", "kb.state": "状态",
      "kb.version": "版本", "kb.detail": "条目", "kb.pick": "在左侧列表中选一个条目。",
      "kb.keywords": "关键词", "kb.history": "在审计日志中查看", "kb.answer": "答复",
      "kb.keywordsHint": "关键词（用逗号或空格分隔）",
      "kb.categoriesHint": "分类编码（末级或上级，用逗号或空格分隔）",
      "kb.validFrom": "生效日期（北京时间；留空：即日起）", "kb.validUntil": "失效日期（北京时间；留空：长期）",
      "kb.effective": "修改生效时间（北京时间；留空即刻保存）", "kb.save": "保存",
      "kb.retire": "停用", "kb.restore": "恢复", "kb.pending": "待生效的修改",
      "kb.effectiveAt": "生效时间", "kb.by": "提交人", "kb.versions": "版本", "kb.action": "操作",
      "kb.at": "时间", "kb.from": "从版本", "kb.to": "到版本", "kb.compare": "比较",
      "kb.editNew": "新建条目", "kb.editOld": "修改条目（当前第 {v} 版）",
      "kb.stateOffered": "有效", "kb.stateExpired": "已过期", "kb.stateLater": "未生效",
      "kb.stateRetired": "已停用", "kb.always": "长期有效", "kb.since": "{from} 起",
      "kb.until": "至 {until}", "kb.between": "{from} 至 {until}", "kb.none": "（无）",
      "kb.done": "已保存：{title}（第 {v} 版）",
      "kb.scheduled": "已安排在 {time} 生效：{title}", "kb.statePending": "待生效",
      "kb.stateFailed": "失败：{error}", "kb.cancel": "取消", "kb.confirmCancel": "取消这项待生效的修改？",
      "kb.confirmRetire": "停用“{title}”？话务员将不再看到它，已答复的工单仍可查看。",
      "kb.action.create": "新建", "kb.action.change": "修改", "kb.action.retire": "停用",
      "kb.action.restore": "恢复", "kb.versionOption": "第 {v} 版 · {action} · {by} · {time}",
      "kb.f.valid_from": "生效日期", "kb.f.valid_until": "失效日期", "kb.f.active": "在用",
    },
    en: {
      "kb.title": "Knowledge base", "kb.readonly": "Read-only: admins maintain the knowledge base; only entries valid now are listed.",
      "kb.entries": "Entries", "kb.search": "Search", "kb.searchHint": "Text in the title or answer",
      "kb.category": "Category code", "kb.categoryHint": "Category code", "kb.validNow": "Valid now only",
      "kb.showRetired": "Include retired", "kb.searchSubmit": "Search", "kb.new": "New entry",
      "kb.titleCol": "Title", "kb.categories": "Categories", "kb.validity": "Validity", "kb.state": "State",
      "kb.version": "Version", "kb.detail": "Entry", "kb.pick": "Pick an entry in the list.",
      "kb.keywords": "Keywords", "kb.history": "See it in the audit log", "kb.answer": "Answer",
      "kb.keywordsHint": "Keywords (separated by commas or blanks)",
      "kb.categoriesHint": "Category codes (leaves or branches, separated by commas or blanks)",
      "kb.validFrom": "Valid from (Beijing time; empty: already)", "kb.validUntil": "Valid until (Beijing time; empty: open-ended)",
      "kb.effective": "Save from (Beijing time; empty: at once)", "kb.save": "Save",
      "kb.retire": "Retire", "kb.restore": "Restore", "kb.pending": "Scheduled changes",
      "kb.effectiveAt": "Effective from", "kb.by": "By", "kb.versions": "Versions", "kb.action": "Action",
      "kb.at": "When", "kb.from": "From version", "kb.to": "To version", "kb.compare": "Compare",
      "kb.editNew": "New entry", "kb.editOld": "Change the entry (now version {v})",
      "kb.stateOffered": "Valid", "kb.stateExpired": "Expired", "kb.stateLater": "Not yet valid",
      "kb.stateRetired": "Retired", "kb.always": "Always", "kb.since": "from {from}",
      "kb.until": "until {until}", "kb.between": "{from} to {until}", "kb.none": "(none)",
      "kb.done": "Saved: {title} (version {v})",
      "kb.scheduled": "Scheduled for {time}: {title}", "kb.statePending": "Pending",
      "kb.stateFailed": "Failed: {error}", "kb.cancel": "Cancel", "kb.confirmCancel": "Cancel this scheduled change?",
      "kb.confirmRetire": "Retire “{title}”? Agents will no longer be offered it; answered tickets still show it.",
      "kb.action.create": "created", "kb.action.change": "changed", "kb.action.retire": "retired",
      "kb.action.restore": "restored", "kb.versionOption": "version {v} · {action} · {by} · {time}",
      "kb.f.valid_from": "Valid from", "kb.f.valid_until": "Valid until", "kb.f.active": "In use",
    },
  });
  const $ = (id) => document.getElementById(id);
  const KIND = "knowledge";
  const state = { user: null, editor: false, entry: null, versions: [] };

  // ---- times: the inputs are Beijing wall-clock time ----
  const BEIJING = 8 * 3600 * 1000;
  const toInput = (iso) => (iso ? new Date(Date.parse(iso) + BEIJING).toISOString().slice(0, 16) : "");
  const fromInput = (value) => (value ? `${value}:00+08:00` : null);
  const words = (text) => text.split(/[,，、\s]+/).map((k) => k.trim()).filter(Boolean);

  function stateOf(entry) {
    const now = Date.now();
    if (!entry.active) return ["bad", "kb.stateRetired"];
    if (entry.valid_until && Date.parse(entry.valid_until) <= now) return ["bad", "kb.stateExpired"];
    if (entry.valid_from && Date.parse(entry.valid_from) > now) return ["warn", "kb.stateLater"];
    return ["ok", "kb.stateOffered"];
  }
  const badge = (entry) => { const [tone, key] = stateOf(entry); return el("span", { class: `badge ${tone}` }, t(key)); };

  function validity(entry) {
    const from = entry.valid_from && Hotline.fmtTime(entry.valid_from);
    const until = entry.valid_until && Hotline.fmtTime(entry.valid_until);
    if (from && until) return t("kb.between", { from, until });
    if (from) return t("kb.since", { from });
    if (until) return t("kb.until", { until });
    return t("kb.always");
  }

  // ---- the list ----
  async function search() {
    const params = new URLSearchParams({ mode: "browse", limit: "200", q: $("q").value.trim() });
    const code = $("category-filter").value.trim();
    if (code) params.set("category_code", code);
    if (state.editor) {
      params.set("valid_now", String($("valid-now").checked));
      params.set("include_retired", String($("show-retired").checked));
    }
    let found;
    try { found = await api(`/api/v1/knowledge?${params}`); }
    catch (problem) { emptyRow("entries", 5, problem.message, "error"); return; }
    const rows = found.map((entry) => el("tr", { "data-id": entry.id,
      "aria-current": state.entry && state.entry.id === entry.id ? "true" : null,
      onclick: () => open(entry.id) },
      el("td", {}, el("button", { type: "button", class: "open" }, entry.title)),
      el("td", { class: "mono" }, entry.categories.join(" ") || "—"),
      el("td", {}, validity(entry)), el("td", {}, badge(entry)), el("td", {}, String(entry.version))));
    if (rows.length) $("entries").querySelector("tbody").replaceChildren(...rows);
    else emptyRow("entries", 5, t("common.empty"), "muted");
  }

  function emptyRow(table, columns, text, tone) {
    $(table).querySelector("tbody").replaceChildren(
      el("tr", {}, el("td", { colspan: String(columns), class: tone }, text)));
  }

  // ---- one entry ----
  async function open(id) {
    let entry;
    try { entry = await api(`/api/v1/knowledge/${encodeURIComponent(id)}`); }
    catch (problem) { alert(problem.message); return; }
    state.entry = entry;
    $("detail-empty").hidden = true;
    $("reading").hidden = false;
    $("read-title").textContent = entry.title;
    $("read-answer").textContent = entry.answer;
    $("read-keywords").textContent = entry.keywords.join("、") || t("kb.none");
    $("read-categories").textContent = entry.categories.join(" ") || t("kb.none");
    $("read-validity").textContent = validity(entry);
    $("read-state").replaceChildren(badge(entry));
    $("history-link").href = Hotline.link("search", `/audit?kind=${KIND}&key=${encodeURIComponent(entry.id)}`);
    document.querySelectorAll("#entries tbody tr").forEach((row) =>
      row.setAttribute("aria-current", row.dataset.id === entry.id ? "true" : "false"));
    if (state.editor) fill(entry);
    await loadVersions();
  }

  function fill(entry) {
    const form = $("edit-form");
    form.hidden = false;
    form.querySelectorAll(".error[data-for]").forEach((n) => { n.textContent = ""; });
    $("edit-heading").textContent = entry ? t("kb.editOld", { v: entry.version }) : t("kb.editNew");
    $("title").value = entry ? entry.title : "";
    $("answer").value = entry ? entry.answer : "";
    $("keywords").value = entry ? entry.keywords.join(", ") : "";
    $("categories").value = entry ? entry.categories.join(", ") : "";
    $("valid_from").value = toInput(entry && entry.valid_from);
    $("valid_until").value = toInput(entry && entry.valid_until);
    $("effective_at").value = "";
    $("retire").hidden = !entry || !entry.active;
    $("restore").hidden = !entry || entry.active;
  }

  function draft() {
    return {
      title: $("title").value.trim(), answer: $("answer").value.trim(),
      keywords: words($("keywords").value), categories: words($("categories").value),
      valid_from: fromInput($("valid_from").value), valid_until: fromInput($("valid_until").value),
    };
  }

  async function save(fields) {
    const form = $("edit-form");
    const at = fromInput($("effective_at").value);
    const body = { ...fields, ...(at ? { effective_at: at } : {}) };
    const entry = state.entry;
    const path = entry ? `/api/v1/knowledge/${encodeURIComponent(entry.id)}` : "/api/v1/knowledge";
    if (entry) Object.assign(body, { version: entry.version, active: body.active ?? entry.active });
    $("saved").hidden = true;
    let answer;
    try { answer = await Hotline.once(path, { method: entry ? "PUT" : "POST", body }); }
    catch (problem) { Hotline.showErrors(form, problem); return; }
    const later = Boolean(answer.state);
    if (later) {
      await Promise.all([search(), loadPending()]);
      if (entry) fill(entry);
    } else {
      await open(answer.id);
      await search();
    }
    // Said once the list shows the change, so what people read is what they see.
    $("saved").textContent = later
      ? t("kb.scheduled", { time: Hotline.fmtTime(answer.effective_at), title: body.title })
      : t("kb.done", { title: answer.title, v: answer.version });
    $("saved").hidden = false;
  }

  $("edit-form").addEventListener("submit", (event) => { event.preventDefault(); save(draft()); });
  $("retire").addEventListener("click", () => {
    if (!confirm(t("kb.confirmRetire", { title: state.entry.title }))) return;
    save({ ...current(), active: false });
  });
  $("restore").addEventListener("click", () => save({ ...current(), active: true }));
  function current() {
    const e = state.entry;
    return { title: e.title, answer: e.answer, keywords: e.keywords, categories: e.categories,
      valid_from: e.valid_from, valid_until: e.valid_until };
  }
  $("new-entry").addEventListener("click", () => {
    state.entry = null;
    $("reading").hidden = true;
    $("detail-empty").hidden = true;
    $("versions-card").hidden = true;
    $("saved").hidden = true;
    fill(null);
    $("title").focus();
  });

  // ---- versions ----
  async function loadVersions() {
    const entry = state.entry;
    state.versions = await api(`/api/v1/knowledge/${encodeURIComponent(entry.id)}/versions`);
    $("versions-card").hidden = false;
    const action = (v) => t(`kb.action.${v.action}`);
    $("versions").querySelector("tbody").replaceChildren(...state.versions.map((v) => el("tr", {},
      el("td", {}, String(v.version)), el("td", {}, action(v)), el("td", {}, v.by),
      el("td", {}, Hotline.fmtTime(v.at)))));
    const option = (v) => el("option", { value: String(v.version) }, t("kb.versionOption", {
      v: v.version, action: action(v), by: v.by, time: Hotline.fmtTime(v.at) }));
    $("from-version").replaceChildren(...state.versions.map(option));
    $("to-version").replaceChildren(...state.versions.map(option));
    const last = state.versions.length;
    $("from-version").value = String(Math.max(1, last - 1));
    $("to-version").value = String(last);
    $("diff").replaceChildren();
    $("diff-error").textContent = "";
  }

  $("diff-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const params = new URLSearchParams({ from: $("from-version").value, to: $("to-version").value });
    let found;
    try { found = await api(`/api/v1/knowledge/${encodeURIComponent(state.entry.id)}/diff?${params}`); }
    catch (problem) { $("diff-error").textContent = problem.message; return; }
    $("diff-error").textContent = "";
    $("diff").replaceChildren(shown(found.from.record, found.to.record));
  });

  function shown(before, after) {
    const labels = { title: t("kb.titleCol"), answer: t("kb.answer"), keywords: t("kb.keywords"),
      categories: t("kb.categories"), valid_from: t("kb.f.valid_from"), valid_until: t("kb.f.valid_until"),
      active: t("kb.f.active") };
    const when = (k, v) => (v && k.startsWith("valid_") ? Hotline.fmtTime(v) : v);
    const keep = (r) => Object.fromEntries(Object.keys(labels).map((k) => [k, when(k, r[k])]));
    if (typeof HotlineDiff !== "undefined") return HotlineDiff.render(keep(before), keep(after), { labels });
    const pre = (r) => el("pre", {}, JSON.stringify(keep(r), null, 2));
    return el("div", { class: "side-by-side" }, pre(before), pre(after));
  }

  // ---- scheduled changes ----
  async function loadPending() {
    let rows;
    try { rows = await api(`/api/v1/scheduled-changes?kind=${KIND}`); }
    catch (problem) { $("pending-card").hidden = true; return; }  // agents: not theirs to see
    $("pending-card").hidden = false;
    const rowsShown = rows.map((p) => el("tr", { "data-id": p.id },
      el("td", {}, Hotline.fmtTime(p.effective_at)), el("td", {}, p.payload.title || p.key),
      el("td", {}, p.by),
      el("td", {}, p.state === "failed"
        ? el("span", { class: "badge bad" }, t("kb.stateFailed", { error: p.error || "" }))
        : el("span", { class: "badge warn" }, t("kb.statePending"))),
      el("td", {}, state.editor && p.state === "pending"
        ? el("button", { type: "button", class: "secondary cancel", onclick: () => cancel(p) }, t("kb.cancel"))
        : "")));
    if (rowsShown.length) $("pending").querySelector("tbody").replaceChildren(...rowsShown);
    else emptyRow("pending", 5, t("common.empty"), "muted");
  }

  async function cancel(p) {
    if (!confirm(t("kb.confirmCancel"))) return;
    try { await Hotline.once(`/api/v1/scheduled-changes/${encodeURIComponent(p.id)}`, { method: "DELETE" }); }
    catch (problem) { alert(problem.message); }
    loadPending();
  }

  $("search-form").addEventListener("submit", (event) => { event.preventDefault(); search(); });
  $("valid-now").addEventListener("change", search);
  $("show-retired").addEventListener("change", search);
  document.addEventListener("hotline:lang", () => { search(); if (state.entry) open(state.entry.id); });

  (async () => {
    Hotline.translate();
    state.user = await Hotline.header("kb.title");
    state.editor = Hotline.may(state.user, "cue/config-edit");
    $("readonly-note").hidden = state.editor;
    $("admin-filters").hidden = !state.editor;
    $("new-entry").hidden = !state.editor;
    await Promise.all([search(), loadPending()]);
    document.body.dataset.ready = "true";
  })();
})();
