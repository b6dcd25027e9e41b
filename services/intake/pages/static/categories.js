// The category catalogue as a tree: find a category by name, pinyin initials or code;
// admins add children, rename, edit keywords, move, retire and restore (at once or from a
// date); everyone who may open the page sees pending changes and compares two versions.
"use strict";
(() => {
  const { api, t, el } = Hotline;
  const KIND = "category";
  Hotline.messages({
    zh: {
      "cat.title": "分类目录", "cat.tree": "目录", "cat.readonly": "只读：分类目录由管理员维护。",
      "cat.search": "搜索", "cat.searchHint": "名称、拼音首字母或编码", "cat.showRetired": "显示已停用",
      "cat.expandAll": "全部展开", "cat.collapseAll": "全部收起", "cat.detail": "分类",
      "cat.pick": "在左侧目录中选一个分类。", "cat.code": "编码", "cat.keywords": "关键词",
      "cat.state": "状态", "cat.active": "在用（自版本 {v}）", "cat.retired": "已停用（版本 {v}）",
      "cat.movedTo": "已移至 {code}", "cat.slaLink": "时限（在时限政策页设定）",
      "cat.historyLink": "修改记录（审计日志）",
      "cat.effective": "生效时间（北京时间；留空即刻生效）", "cat.rename": "名称与关键词",
      "cat.name": "名称", "cat.keywordsHint": "关键词（用逗号或空格分隔）", "cat.save": "保存",
      "cat.addChild": "新增下级分类", "cat.add": "新增", "cat.move": "移到其他上级",
      "cat.moveHint": "移动后分类（连同其下级）在新上级下得到新编码；旧编码停用并指向新编码，旧工单照常显示。",
      "cat.newParent": "新上级", "cat.moveSubmit": "移动", "cat.retire": "停用", "cat.restore": "恢复",
      "cat.confirmRetire": "停用 {code} {name} 及其全部下级？新来电将不能再选用。",
      "cat.confirmMove": "把 {code} {name} 移到 {parent} 下？它将得到新编码。",
      "cat.done": "已生效：{what}", "cat.scheduled": "已安排在 {time} 生效：{what}",
      "cat.pending": "待生效的修改", "cat.effectiveAt": "生效时间", "cat.what": "内容", "cat.by": "提交人",
      "cat.cancel": "撤销", "cat.confirmCancel": "撤销这项待生效的修改？", "cat.statePending": "待生效",
      "cat.stateFailed": "未能生效：{error}", "cat.versions": "版本比较", "cat.from": "从版本",
      "cat.to": "到版本", "cat.compare": "比较", "cat.viewVersion": "查看“到版本”的目录",
      "cat.asOf": "正在查看版本 {v} 的目录（只读）", "cat.backToNow": "回到当前目录",
      "cat.version": "版本 {v} · {action} {code} · {by} · {time}", "cat.noChange": "两个版本之间没有变化。",
      "cat.diff.added": "新增", "cat.diff.renamed": "改名", "cat.diff.moved": "移动",
      "cat.diff.retired": "停用", "cat.diff.restored": "恢复", "cat.diff.rekeyworded": "关键词修改",
      "cat.action.seed": "初始目录", "cat.action.create": "新增", "cat.action.change": "修改",
      "cat.action.move": "移动", "cat.action.retire": "停用", "cat.action.restore": "恢复",
      "cat.noParents": "没有可选的上级", "cat.empty": "没有符合的分类",
    },
    en: {
      "cat.title": "Categories", "cat.tree": "Catalogue", "cat.readonly": "Read-only: admins maintain the catalogue.",
      "cat.search": "Search", "cat.searchHint": "Name, pinyin initials or code", "cat.showRetired": "Show retired",
      "cat.expandAll": "Expand all", "cat.collapseAll": "Collapse all", "cat.detail": "Category",
      "cat.pick": "Pick a category in the catalogue.", "cat.code": "Code", "cat.keywords": "Keywords",
      "cat.state": "State", "cat.active": "In use (since version {v})", "cat.retired": "Retired (version {v})",
      "cat.movedTo": "Moved to {code}", "cat.slaLink": "Time limits (set on the time-limits page)",
      "cat.historyLink": "Its changes (audit log)",
      "cat.effective": "Effective from (Beijing time; empty: at once)", "cat.rename": "Name and keywords",
      "cat.name": "Name", "cat.keywordsHint": "Keywords (separated by commas or spaces)", "cat.save": "Save",
      "cat.addChild": "Add a child category", "cat.add": "Add", "cat.move": "Move under another parent",
      "cat.moveHint": "A moved category (and everything below it) gets new codes under its new parent; the old codes retire pointing at the new ones, and old tickets read as before.",
      "cat.newParent": "New parent", "cat.moveSubmit": "Move", "cat.retire": "Retire", "cat.restore": "Restore",
      "cat.confirmRetire": "Retire {code} {name} and everything below it? New calls can no longer use it.",
      "cat.confirmMove": "Move {code} {name} under {parent}? It gets a new code.",
      "cat.done": "Done: {what}", "cat.scheduled": "Scheduled for {time}: {what}",
      "cat.pending": "Scheduled changes", "cat.effectiveAt": "Effective from", "cat.what": "Change", "cat.by": "By",
      "cat.cancel": "Cancel", "cat.confirmCancel": "Cancel this scheduled change?", "cat.statePending": "Pending",
      "cat.stateFailed": "Failed: {error}", "cat.versions": "Compare versions", "cat.from": "From version",
      "cat.to": "To version", "cat.compare": "Compare", "cat.viewVersion": "View the catalogue of “to version”",
      "cat.asOf": "Viewing the catalogue as of version {v} (read-only)", "cat.backToNow": "Back to the current catalogue",
      "cat.version": "Version {v} · {action} {code} · {by} · {time}", "cat.noChange": "Nothing changed between these versions.",
      "cat.diff.added": "Added", "cat.diff.renamed": "Renamed", "cat.diff.moved": "Moved",
      "cat.diff.retired": "Retired", "cat.diff.restored": "Restored", "cat.diff.rekeyworded": "Keywords changed",
      "cat.action.seed": "Initial catalogue", "cat.action.create": "Add", "cat.action.change": "Change",
      "cat.action.move": "Move", "cat.action.retire": "Retire", "cat.action.restore": "Restore",
      "cat.noParents": "No parent to choose", "cat.empty": "No category matches",
    },
  });

  const $ = (id) => document.getElementById(id);
  const state = { user: null, editor: false, tree: null, byCode: new Map(), open: new Set(),
    selected: null, viewing: null };

  // ---- the tree ----
  function childrenOf(code) {
    return state.tree.categories.filter((c) => c.parent === code);
  }

  function visible(c) { return $("show-retired").checked || !c.retired_in; }

  function matches(c, q) {
    if (!q) return true;
    return c.name.toLowerCase().includes(q) || c.initials.startsWith(q) || c.code.startsWith(q)
      || c.keywords.some((k) => k.toLowerCase().includes(q));
  }

  // Codes shown when searching: the matches, everything above and below them, and the
  // category being edited.
  function shownFor(q) {
    if (!q) return null;
    const hits = state.tree.categories.filter((c) => visible(c) && matches(c, q)).map((c) => c.code);
    if (state.selected) hits.push(state.selected);
    const shown = new Set();
    for (const c of state.tree.categories) {
      if (hits.some((hit) => c.code.startsWith(hit))) shown.add(c.code);
    }
    for (const hit of hits) for (let code = hit; code; code = code.slice(0, -2)) shown.add(code);
    return shown;
  }

  function node(c, shown) {
    const kids = childrenOf(c.code).filter((k) => visible(k) && (!shown || shown.has(k.code)));
    const open = shown ? true : state.open.has(c.code);
    const toggle = kids.length
      ? el("button", { type: "button", class: "toggle", "aria-expanded": String(open),
        "aria-label": c.name, onclick: () => { flip(c.code); } }, open ? "−" : "+")
      : el("span", { class: "toggle leaf", "aria-hidden": "true" }, "·");
    const badges = [];
    if (c.moved_to) badges.push(el("span", { class: "badge warn" }, t("cat.movedTo", { code: c.moved_to })));
    else if (c.retired_in) badges.push(el("span", { class: "badge bad" }, t("cat.retire")));
    const label = el("button", { type: "button", class: "pick", "data-code": c.code,
      "aria-current": state.selected === c.code ? "true" : null, onclick: () => select(c.code) },
    el("span", { class: "code mono" }, c.code), " ", el("span", { class: "name" }, c.name));
    const item = el("li", { role: "treeitem", "data-code": c.code, class: c.retired_in ? "retired" : null,
      "aria-expanded": kids.length ? String(open) : null }, toggle, label, ...badges);
    if (kids.length && open) item.append(el("ul", { role: "group" }, kids.map((k) => node(k, shown))));
    return item;
  }

  function drawTree() {
    const q = $("search").value.trim().toLowerCase();
    const shown = shownFor(q);
    const tops = state.tree.categories.filter((c) => !c.parent && visible(c) && (!shown || shown.has(c.code)));
    $("tree").replaceChildren(...(tops.length ? tops.map((c) => node(c, shown))
      : [el("li", { class: "muted" }, t("cat.empty"))]));
  }

  function flip(code) {
    if (state.open.has(code)) state.open.delete(code); else state.open.add(code);
    drawTree();
  }

  async function loadTree(version) {
    const query = version ? `?version=${version}` : "";
    state.tree = await api(`/api/v1/categories/tree${query}`);
    state.byCode = new Map(state.tree.categories.map((c) => [c.code, c]));
    state.viewing = version || null;
    $("as-of").hidden = !state.viewing;
    $("as-of-text").textContent = state.viewing ? t("cat.asOf", { v: state.viewing }) : "";
    drawTree();
    drawDetail();
  }

  // ---- one category ----
  function select(code) {
    state.selected = code;
    for (let up = code.slice(0, -2); up; up = up.slice(0, -2)) state.open.add(up);
    drawTree();
    drawDetail();
  }

  function stateText(c) {
    if (c.moved_to) return t("cat.movedTo", { code: c.moved_to });
    return c.retired_in ? t("cat.retired", { v: c.retired_in }) : t("cat.active", { v: c.introduced_in });
  }

  function drawDetail() {
    const c = state.selected && state.byCode.get(state.selected);
    $("detail-empty").hidden = Boolean(c);
    $("detail-body").hidden = !c;
    if (!c) return;
    $("detail-path").textContent = c.path.join(" / ");
    $("detail-code").textContent = c.code;
    $("detail-keywords").textContent = c.keywords.join("、") || "—";
    $("detail-state").replaceChildren(c.moved_to
      ? el("a", { href: "#", onclick: (e) => { e.preventDefault(); select(c.moved_to); } }, stateText(c))
      : stateText(c));
    const sla = $("sla-link");
    sla.hidden = c.level !== 3;
    sla.href = Hotline.link("dispatch", "/sla?category=" + encodeURIComponent(c.code));
    const history = $("history-link");
    history.hidden = !Hotline.may(state.user, "search/audit");
    history.href = Hotline.link("search", "/audit?kind=category&key=" + encodeURIComponent(c.code));
    const editable = state.editor && !state.viewing && !c.moved_to;
    $("editing").hidden = !editable;
    if (!editable) return;
    $("rename-name").value = c.name;
    $("rename-keywords").value = c.keywords.join(", ");
    $("child-form").hidden = c.level >= 3 || Boolean(c.retired_in);
    $("child-code").value = nextCode(c.code);
    $("child-name").value = $("child-keywords").value = "";
    drawMoveChoices(c);
    $("retire").hidden = Boolean(c.retired_in);
    $("restore").hidden = !c.retired_in;
    $("state-error").textContent = "";
    document.querySelectorAll("#editing form").forEach(clearErrors);
  }

  function clearErrors(form) {
    form.querySelectorAll(".error[data-for]").forEach((n) => { n.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
  }

  // The first child code never used (codes are never reused, retired or not).
  function nextCode(parent) {
    const taken = new Set(childrenOf(parent).map((c) => c.code));
    for (let n = 1; n < 100; n++) {
      const code = parent + String(n).padStart(2, "0");
      if (!taken.has(code)) return code;
    }
    return "";
  }

  function drawMoveChoices(c) {
    const form = $("move-form");
    form.hidden = c.level === 1 || Boolean(c.retired_in);
    const parents = state.tree.categories.filter((p) => p.level === c.level - 1 && !p.retired_in
      && p.code !== c.parent);
    $("move-parent").replaceChildren(...(parents.length
      ? parents.map((p) => el("option", { value: p.code }, `${p.code} ${p.path.join(" / ")}`))
      : [el("option", { value: "" }, t("cat.noParents"))]));
  }

  // ---- changes ----
  const effective = () => ($("effective_at").value ? `${$("effective_at").value}:00+08:00` : null);
  const keywords = (text) => text.split(/[,，、\s]+/).map((k) => k.trim()).filter(Boolean);

  async function submit(form, path, method, body, what, next) {
    const at = effective();
    if (at) body.effective_at = at;
    $("saved").hidden = true;
    if (form) clearErrors(form);
    let answer;
    try {
      answer = await Hotline.once(path, { method, body });
    } catch (problem) {
      if (form) Hotline.showErrors(form, problem);
      else $("state-error").textContent = problem.message;
      return;
    }
    const later = Boolean(answer && answer.state);
    if (!later && next) state.selected = next(answer);
    $("effective_at").value = "";
    await Promise.all([loadTree(), loadPending(), loadVersions()]);
    // Said once the tree shows the change, so what people read is what they see.
    const saved = $("saved");
    saved.textContent = later
      ? t("cat.scheduled", { time: Hotline.fmtTime(answer.effective_at), what }) : t("cat.done", { what });
    saved.hidden = false;
  }

  $("rename-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const c = state.byCode.get(state.selected);
    const body = { name: $("rename-name").value.trim(), keywords: keywords($("rename-keywords").value) };
    submit(event.target, `/api/v1/categories/${c.code}`, "PATCH", body, `${c.code} ${body.name}`);
  });

  $("child-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const c = state.byCode.get(state.selected);
    const body = { code: $("child-code").value.trim(), name: $("child-name").value.trim(),
      parent: c.code, keywords: keywords($("child-keywords").value) };
    submit(event.target, "/api/v1/categories", "POST", body, `${body.code} ${body.name}`, (made) => made.code);
  });

  $("move-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const c = state.byCode.get(state.selected);
    const parent = $("move-parent").value;
    if (!confirm(t("cat.confirmMove", { code: c.code, name: c.name, parent }))) return;
    submit(event.target, `/api/v1/categories/${c.code}/move`, "POST", { parent },
      `${c.code} ${c.name} → ${parent}`, (moved) => moved.code);
  });

  $("retire").addEventListener("click", () => {
    const c = state.byCode.get(state.selected);
    if (!confirm(t("cat.confirmRetire", { code: c.code, name: c.name }))) return;
    submit(null, `/api/v1/categories/${c.code}/retire`, "POST", {}, `${t("cat.retire")} ${c.code} ${c.name}`);
  });

  $("restore").addEventListener("click", () => {
    const c = state.byCode.get(state.selected);
    submit(null, `/api/v1/categories/${c.code}/restore`, "POST", {}, `${t("cat.restore")} ${c.code} ${c.name}`);
  });

  // ---- scheduled changes ----
  function pendingText(p) {
    const body = p.payload;
    const action = t(`cat.action.${body.action}`);
    const detail = [body.name, body.parent && `→ ${body.parent}`, (body.keywords || []).join("、")]
      .filter(Boolean).join(" ");
    return `${action} ${p.key} ${detail}`.trim();
  }

  async function loadPending() {
    let rows;
    try { rows = await api(`/api/v1/scheduled-changes?kind=${KIND}`); }
    catch (problem) { rows = []; }
    const body = $("pending").querySelector("tbody");
    body.replaceChildren(...(rows.length ? rows.map((p) => el("tr", { "data-id": p.id },
      el("td", {}, Hotline.fmtTime(p.effective_at)), el("td", {}, pendingText(p)), el("td", {}, p.by),
      el("td", {}, p.state === "failed"
        ? el("span", { class: "badge bad" }, t("cat.stateFailed", { error: p.error || "" }))
        : el("span", { class: "badge warn" }, t("cat.statePending"))),
      el("td", {}, state.editor && p.state === "pending"
        ? el("button", { type: "button", class: "secondary cancel", onclick: () => cancel(p) }, t("cat.cancel"))
        : "")))
      : [el("tr", {}, el("td", { colspan: "5", class: "muted" }, t("common.empty")))]));
  }

  async function cancel(p) {
    if (!confirm(t("cat.confirmCancel"))) return;
    try { await Hotline.once(`/api/v1/scheduled-changes/${encodeURIComponent(p.id)}`, { method: "DELETE" }); }
    catch (problem) { alert(problem.message); }
    loadPending();
  }

  // ---- versions ----
  async function loadVersions() {
    const versions = await api("/api/v1/categories/versions?limit=200");
    const option = (v) => el("option", { value: String(v.version) }, t("cat.version", {
      v: v.version, action: t(`cat.action.${v.action}`), code: v.code || "", by: v.changed_by,
      time: Hotline.fmtTime(v.changed_at) }));
    const from = $("from-version"), to = $("to-version");
    const [a, b] = [from.value, to.value];
    from.replaceChildren(...versions.map(option));
    to.replaceChildren(...versions.map(option));
    to.value = b && versions.some((v) => String(v.version) === b) ? b : String(versions[0]?.version ?? "");
    from.value = a || String(versions[1]?.version ?? versions[0]?.version ?? "");
  }

  const line = (c) => el("li", { "data-code": c.code }, el("span", { class: "mono" }, c.code), " ",
    c.path.join(" / "));
  const change = (pair, text) => el("li", { "data-code": pair.before.code }, el("span", { class: "mono" },
    pair.before.code), " ", text(pair));
  const DIFF = {
    added: line,
    renamed: (p) => change(p, (x) => `${x.before.name} → ${x.after.name}`),
    moved: (p) => change(p, (x) => `${x.before.path.join(" / ")} → ${x.after.path.join(" / ")}（${x.after.code}）`),
    retired: line,
    restored: line,
    rekeyworded: (p) => change(p, (x) => `${x.before.keywords.join("、") || "—"} → ${x.after.keywords.join("、") || "—"}`),
  };

  function drawDiff(found) {
    const parts = Object.entries(DIFF).filter(([key]) => found[key].length).map(([key, draw]) =>
      el("section", { class: `diff-${key}` }, el("h3", {}, `${t(`cat.diff.${key}`)}（${found[key].length}）`),
        el("ul", {}, found[key].map(draw))));
    $("diff").replaceChildren(...(parts.length ? parts : [el("p", { class: "muted" }, t("cat.noChange"))]));
  }

  $("diff-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("diff-error").textContent = "";
    let [a, b] = [Number($("from-version").value), Number($("to-version").value)];
    if (a > b) [a, b] = [b, a];
    try { drawDiff(await api(`/api/v1/categories/versions/${a}/diff/${b}`)); }
    catch (problem) { $("diff-error").textContent = problem.message; }
  });

  $("view-version").addEventListener("click", () => loadTree(Number($("to-version").value)));
  $("back-to-now").addEventListener("click", () => loadTree());
  $("search").addEventListener("input", drawTree);
  $("show-retired").addEventListener("change", drawTree);
  $("expand-all").addEventListener("click", () => {
    state.tree.categories.forEach((c) => { if (c.level < 3) state.open.add(c.code); });
    drawTree();
  });
  $("collapse-all").addEventListener("click", () => { state.open.clear(); drawTree(); });
  document.addEventListener("hotline:lang", () => { drawTree(); drawDetail(); loadPending(); loadVersions(); });

  (async () => {
    Hotline.translate();
    state.user = await Hotline.header("cat.title");
    if (!state.user) return;
    state.editor = Hotline.may(state.user, "cue/config-edit");
    $("readonly-note").hidden = state.editor;
    await Promise.all([loadTree(), loadPending(), loadVersions()]);
    document.body.dataset.ready = "true";
  })();
})();
