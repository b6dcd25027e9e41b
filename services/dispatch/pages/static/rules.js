// Routing rules: the ordered list with its problems (shadowed, contradicting), "where would
// this call go?" for the saved rules or an unsaved edit, and for admins add / edit / move /
// delete, at once or from a date; pending changes and the history of every change.
"use strict";
(() => {
  const { api, t, el } = Hotline;
  Hotline.messages({
    zh: {
      "rules.title": "派单规则", "rules.previewTitle": "这通电话会派给谁？", "rules.category": "分类",
      "rules.previewArea": "地址编码（社区、街乡镇或区）", "rules.previewRun": "预览",
      "rules.list": "规则（自上而下，先匹配者生效）", "rules.add": "新增规则",
      "rules.effective": "生效时间（留空即时生效）",
      "rules.explain": "分类和区域按前缀匹配，留空表示不限；没有规则匹配时按属地派给街乡镇，再由区政府兜底；都不能确定时进入待审派单。",
      "rules.id": "规则", "rules.area": "区域", "rules.lead": "牵头单位", "rules.co": "协办单位",
      "rules.note": "备注", "rules.any": "不限", "rules.up": "上移", "rules.down": "下移",
      "rules.edit": "编辑", "rules.delete": "删除", "rules.categoryPrefix": "分类（前缀，留空不限）",
      "rules.areaPrefix": "区域（区或街乡镇，留空不限）", "rules.coCodes": "协办单位（编码，用逗号分隔）",
      "rules.position": "位置", "rules.last": "最后", "rules.at": "第 {n} 条",
      "rules.previewDraft": "按修改后的规则预览", "rules.saveAnyway": "仍然保存",
      "rules.pending": "待生效的变更", "rules.history": "变更记录", "rules.auditLink": "在审计日志中查看",
      "rules.newTitle": "新增规则", "rules.editTitle": "编辑规则 {id}",
      "rules.confirmDelete": "删除规则 {id}？", "rules.scheduled": "已安排：{time} 生效。",
      "rules.saved": "已保存。", "rules.cancelChange": "撤销", "rules.failed": "未能生效：{error}",
      "rules.problemsNone": "没有被遮蔽或相互矛盾的规则。",
      "rules.problemsSome": "{n} 个问题：", "rules.draftWarn": "保存后会有以下问题，确认无误请再点“仍然保存”：",
      "rules.needArea": "请先在上方填写要预览的分类（和地址），或在规则中填写分类。",
      "rules.toLead": "牵头：{lead}", "rules.toCo": "协办：{co}",
      "rules.byRule": "依据规则 {id}（分类前缀 {category}，区域前缀 {area}）",
      "rules.byTerritory": "依据属地（区域前缀 {area}）",
      "rules.toReview": "进入待审派单，由派单员人工派单（暂由 {lead} 持有）：{reason}",
      "rules.reason.no_location": "未提供地址", "rules.reason.unknown_area": "地址不在任何街乡镇或区的辖区内",
      "rules.draftTag": "（按修改后的规则）", "rules.readonly": "只读：派单规则由管理员维护。",
      "rules.action.create": "新增", "rules.action.change": "修改", "rules.action.delete": "删除",
      "rules.action.move": "调整顺序", "rules.action.update": "修改", "rules.action.schedule": "安排",
      "rules.field.id": "规则", "rules.field.position": "位置", "rules.field.category": "分类",
      "rules.field.area": "区域", "rules.field.department": "牵头单位", "rules.field.co": "协办单位",
      "rules.field.note": "备注", "rules.field.updated_by": "修改人", "rules.field.updated_at": "修改时间",
      "rules.problem": "有问题",
    },
    en: {
      "rules.title": "Routing rules", "rules.previewTitle": "Where would this call go?", "rules.category": "Category",
      "rules.previewArea": "Address code (community, street or district)", "rules.previewRun": "Preview",
      "rules.list": "Rules (top to bottom, the first match wins)", "rules.add": "Add a rule",
      "rules.effective": "Effective from (empty: at once)",
      "rules.explain": "Category and area match by prefix; empty matches anything. Without a matching rule a call goes to the street office of its place, then to the district government; when neither is known it waits in the review queue.",
      "rules.id": "Rule", "rules.area": "Area", "rules.lead": "Lead department", "rules.co": "Co-handling",
      "rules.note": "Note", "rules.any": "any", "rules.up": "Up", "rules.down": "Down",
      "rules.edit": "Edit", "rules.delete": "Delete", "rules.categoryPrefix": "Category (prefix, empty: any)",
      "rules.areaPrefix": "Area (district or street, empty: any)", "rules.coCodes": "Co-handling (codes, comma separated)",
      "rules.position": "Position", "rules.last": "Last", "rules.at": "No. {n}",
      "rules.previewDraft": "Preview with this edit", "rules.saveAnyway": "Save anyway",
      "rules.pending": "Scheduled changes", "rules.history": "History", "rules.auditLink": "See in the audit log",
      "rules.newTitle": "Add a rule", "rules.editTitle": "Edit rule {id}",
      "rules.confirmDelete": "Delete rule {id}?", "rules.scheduled": "Scheduled: effective {time}.",
      "rules.saved": "Saved.", "rules.cancelChange": "Cancel", "rules.failed": "Failed: {error}",
      "rules.problemsNone": "No rule is shadowed or contradicts another.",
      "rules.problemsSome": "{n} problem(s):", "rules.draftWarn": "After saving, these problems would exist; click “Save anyway” if that is intended:",
      "rules.needArea": "Fill in the category (and address) to preview above, or give the rule a category.",
      "rules.toLead": "Lead: {lead}", "rules.toCo": "Co-handling: {co}",
      "rules.byRule": "by rule {id} (category prefix {category}, area prefix {area})",
      "rules.byTerritory": "by territory (area prefix {area})",
      "rules.toReview": "Goes to the review queue for a dispatcher (held by {lead} meanwhile): {reason}",
      "rules.reason.no_location": "no address given", "rules.reason.unknown_area": "the address is in no street's or district's territory",
      "rules.draftTag": " (with this edit)", "rules.readonly": "Read only: admins maintain the routing rules.",
      "rules.action.create": "Added", "rules.action.change": "Changed", "rules.action.delete": "Deleted",
      "rules.action.move": "Reordered", "rules.action.update": "Changed", "rules.action.schedule": "Scheduled",
      "rules.field.id": "Rule", "rules.field.position": "Position", "rules.field.category": "Category",
      "rules.field.area": "Area", "rules.field.department": "Lead department", "rules.field.co": "Co-handling",
      "rules.field.note": "Note", "rules.field.updated_by": "Changed by", "rules.field.updated_at": "Changed at",
      "rules.problem": "Problem",
    },
  });

  const state = { user: null, rules: [], problems: [], departments: {}, byArea: {}, categories: {},
    editing: null, warned: false };
  const $ = (id) => document.getElementById(id);
  const form = () => $("rule-form");
  const canEdit = () => Hotline.may(state.user, "cue/config-edit");
  function clearErrors(f) {
    f.querySelectorAll(".error[data-for]").forEach((n) => { n.textContent = ""; });
    f.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
  }

  const deptName = (code) => (state.departments[code] ? `${state.departments[code].name}（${code}）` : code);
  const catName = (code) => (!code ? t("rules.any") : state.categories[code] ? `${code} ${state.categories[code]}` : code);
  const areaName = (code) => (!code ? t("rules.any") : state.byArea[code] ? `${code} ${state.byArea[code].name}` : code);

  async function loadDirectory() {
    const [departments, categories] = await Promise.all([api("/api/v1/departments"), api("/api/v1/categories")]);
    for (const d of departments) {
      state.departments[d.code] = d;
      if (d.area) state.byArea[d.area] = d;
    }
    for (const c of categories) state.categories[c.code] = c.name;
    const option = (value, text) => el("option", { value }, text);
    $("department-codes").replaceChildren(...departments.map((d) => option(d.code, d.name)));
    $("category-codes").replaceChildren(...categories.map((c) => option(c.code, c.name)));
    $("area-codes").replaceChildren(...departments.filter((d) => d.area).map((d) => option(d.area, d.name)));
  }

  // datetime-local reads as Beijing time, the time every page shows.
  function effectiveAt() {
    const value = $("effective").value;
    return value ? `${value.length === 16 ? value + ":00" : value}+08:00` : undefined;
  }

  async function load() {
    try {
      const [rules, problems] = await Promise.all([api("/api/v1/routing-rules"), api("/api/v1/routing-rules/problems")]);
      state.rules = rules;
      state.problems = problems;
      $("rules-error").textContent = "";
    } catch (problem) {
      $("rules-error").textContent = problem.message;
      return;
    }
    renderRules();
    renderProblems();
    loadPending();
    loadHistory();
  }

  function problemsOf(id) { return state.problems.filter((p) => p.rule === id); }

  function renderProblems() {
    const box = $("problems");
    if (!state.problems.length) {
      box.replaceChildren(el("p", { class: "ok" }, t("rules.problemsNone")));
      return;
    }
    box.replaceChildren(el("div", { class: "notice bad" },
      el("p", {}, t("rules.problemsSome", { n: state.problems.length })),
      el("ul", {}, state.problems.map((p) => el("li", { "data-rule": p.rule, "data-kind": p.kind }, p.message)))));
  }

  function renderRules() {
    const body = $("rules").querySelector("tbody");
    const last = state.rules.length - 1;
    body.replaceChildren(...state.rules.map((rule, index) => {
      const problems = problemsOf(rule.id);
      const tools = canEdit() ? el("td", { class: "tools" },
        el("button", { type: "button", class: "secondary", disabled: index === 0, onclick: () => move(rule, index - 1),
          "aria-label": `${t("rules.up")} ${rule.id}` }, t("rules.up")),
        el("button", { type: "button", class: "secondary", disabled: index === last, onclick: () => move(rule, index + 1),
          "aria-label": `${t("rules.down")} ${rule.id}` }, t("rules.down")),
        el("button", { type: "button", class: "secondary", onclick: () => openEditor(rule),
          "aria-label": `${t("rules.edit")} ${rule.id}` }, t("rules.edit")),
        el("button", { type: "button", class: "secondary", onclick: () => remove(rule),
          "aria-label": `${t("rules.delete")} ${rule.id}` }, t("rules.delete"))) : el("td");
      const badge = problems.length
        ? el("span", { class: "badge bad", title: problems.map((p) => p.message).join("\n") }, t("rules.problem")) : null;
      return el("tr", { "data-id": rule.id, class: problems.length ? "problem" : "" },
        el("td", {}, String(index + 1)),
        el("td", { class: "mono" }, rule.id, " ", badge),
        el("td", {}, catName(rule.category)), el("td", {}, areaName(rule.area)),
        el("td", {}, deptName(rule.department)), el("td", {}, rule.co.map(deptName).join("、") || "—"),
        el("td", {}, rule.note || ""), tools);
    }));
  }

  // One write (POST by default): the rule back when done at once, a scheduled change when
  // it takes effect later.
  async function write(path, options) {
    const done = await Hotline.once(path, options);
    if (done && done.kind === "routing_rule" && done.effective_at) {
      announce(t("rules.scheduled", { time: Hotline.fmtTime(done.effective_at) }));
    } else {
      announce(t("rules.saved"));
    }
    await load();
    return done;
  }

  function announce(text) { $("rules-error").textContent = ""; $("announce").textContent = text; }

  async function move(rule, position) {
    try {
      await write(`/api/v1/routing-rules/${encodeURIComponent(rule.id)}/move`, { body: { position, effective_at: effectiveAt() } });
    } catch (problem) { $("rules-error").textContent = problem.message; }
  }

  async function remove(rule) {
    if (!confirm(t("rules.confirmDelete", { id: rule.id }))) return;
    const at = effectiveAt();
    const query = at ? `?effective_at=${encodeURIComponent(at)}` : "";
    try {
      await write(`/api/v1/routing-rules/${encodeURIComponent(rule.id)}${query}`, { method: "DELETE" });
    } catch (problem) { $("rules-error").textContent = problem.message; }
  }

  // The editor: a new rule (rule null) or a saved one.
  function openEditor(rule) {
    state.editing = rule ? rule.id : null;
    state.warned = false;
    const f = form();
    f.reset();
    clearErrors(f);
    $("draft-problems").replaceChildren();
    $("draft-preview").replaceChildren();
    $("save").textContent = t("common.save");
    $("editor-heading").textContent = rule ? t("rules.editTitle", { id: rule.id }) : t("rules.newTitle");
    f.id.readOnly = Boolean(rule);
    const count = state.rules.length + (rule ? 0 : 1);
    f.position.replaceChildren(...Array.from({ length: count }, (_, i) =>
      el("option", { value: String(i) }, i === count - 1 ? `${t("rules.at", { n: i + 1 })} · ${t("rules.last")}` : t("rules.at", { n: i + 1 }))));
    if (rule) {
      f.id.value = rule.id;
      f.category.value = rule.category || "";
      f.area.value = rule.area || "";
      f.department.value = rule.department;
      f.co.value = rule.co.join(", ");
      f.note.value = rule.note || "";
      f.position.value = String(rule.position);
    } else {
      f.position.value = String(count - 1);
    }
    $("editor").hidden = false;
    f.id.focus();
  }

  function closeEditor() { $("editor").hidden = true; state.editing = null; }

  function formRule() {
    const f = form();
    const co = f.co.value.split(/[,，、\s]+/).map((s) => s.trim()).filter(Boolean);
    return { id: f.id.value.trim(), category: f.category.value.trim() || null, area: f.area.value.trim() || null,
      department: f.department.value.trim(), co };
  }

  // The rules as they would be after this edit, in order.
  function draftRules() {
    const rule = formRule();
    const others = state.rules.filter((r) => r.id !== state.editing)
      .map(({ id, category, area, department, co }) => ({ id, category, area, department, co }));
    others.splice(Number(form().position.value), 0, rule);
    return others;
  }

  function previewLines(answer) {
    const tag = answer.draft ? t("rules.draftTag") : "";
    if (answer.outcome === "review") {
      const reason = t(`rules.reason.${answer.reason}`);
      return [el("p", { class: "warn", "data-outcome": "review" }, t("rules.toReview", { lead: deptName(answer.lead.code), reason }) + tag)];
    }
    const why = answer.outcome === "rule"
      ? t("rules.byRule", { id: answer.rule_id, category: answer.category_prefix || t("rules.any"), area: answer.area_prefix || t("rules.any") })
      : t("rules.byTerritory", { area: areaName(answer.area_prefix) });
    const lines = [el("p", { class: "lead", "data-outcome": answer.outcome }, el("strong", {}, t("rules.toLead", { lead: deptName(answer.lead.code) })))];
    if (answer.co.length) lines.push(el("p", {}, t("rules.toCo", { co: answer.co.map((d) => deptName(d.code)).join("、") })));
    lines.push(el("p", { class: "muted why" }, why + tag));
    return lines;
  }

  async function preview(target, errorsIn, body) {
    try {
      const answer = await api("/api/v1/routing/preview", { method: "POST", body });
      clearErrors(errorsIn);
      target.replaceChildren(...previewLines(answer));
    } catch (problem) {
      target.replaceChildren();
      Hotline.showErrors(errorsIn, problem);
    }
  }

  $("preview").addEventListener("submit", (event) => {
    event.preventDefault();
    const f = event.target;
    preview($("preview-result"), f, { category: f.category.value.trim(), area: f.area.value.trim() || null });
  });

  $("draft-preview-run").addEventListener("click", () => {
    const rule = formRule();
    const category = $("preview-category").value.trim() || rule.category;
    const area = $("preview-area").value.trim() || rule.area;
    if (!category) {
      $("draft-preview").replaceChildren(el("p", { class: "error" }, t("rules.needArea")));
      return;
    }
    preview($("draft-preview"), form(), { category, area: area || null, rules: draftRules() });
  });

  // Problems this edit would bring: shown once, then "save anyway" saves.
  async function draftWarnings(rule) {
    const found = await api("/api/v1/routing-rules/check", { method: "POST", body: { rules: draftRules() } });
    return found.filter((p) => p.rule === rule.id || p.other === rule.id);
  }

  form().addEventListener("input", () => {
    if (!state.warned) return;
    state.warned = false;
    $("save").textContent = t("common.save");
    $("draft-problems").replaceChildren();
  });

  form().addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = form(), rule = formRule();
    clearErrors(f);
    try {
      if (!state.warned) {
        const warnings = await draftWarnings(rule);
        if (warnings.length) {
          state.warned = true;
          $("draft-problems").replaceChildren(el("div", { class: "notice bad" },
            el("p", {}, t("rules.draftWarn")), el("ul", {}, warnings.map((p) => el("li", {}, p.message)))));
          $("save").textContent = t("rules.saveAnyway");
          return;
        }
      }
      const body = { department: rule.department, category: rule.category, area: rule.area, co: rule.co,
        note: f.note.value.trim(), position: Number(f.position.value), effective_at: effectiveAt() };
      if (state.editing) {
        await write(`/api/v1/routing-rules/${encodeURIComponent(state.editing)}`, { method: "PUT", body });
      } else {
        await write("/api/v1/routing-rules", { body: { id: rule.id, ...body } });
      }
      closeEditor();
    } catch (problem) {
      Hotline.showErrors(f, problem);
      if (problem.errors.some((e) => e.field === "effective_at")) $("rules-error").textContent = problem.message;
    }
  });

  $("cancel-edit").addEventListener("click", closeEditor);
  $("add").addEventListener("click", () => openEditor(null));

  function describe(payload) {
    if (payload.action === "delete") return `${t("rules.action.delete")} ${payload.id}`;
    if (payload.action === "move") return `${t("rules.action.move")} ${payload.id} → ${t("rules.at", { n: payload.position + 1 })}`;
    const co = (payload.co || []).length ? ` + ${payload.co.join("、")}` : "";
    return `${t(`rules.action.${payload.action}`)} ${payload.id}：${catName(payload.category)} × ${areaName(payload.area)} → ${deptName(payload.department)}${co}`;
  }

  async function loadPending() {
    let changes;
    try { changes = await api("/api/v1/scheduled-changes?kind=routing_rule"); }
    catch (problem) { $("pending").replaceChildren(el("li", { class: "error" }, problem.message)); return; }
    $("pending").replaceChildren(...(changes.length ? changes.map((c) => el("li", { "data-id": c.id },
      el("strong", {}, Hotline.fmtTime(c.effective_at)), " · ", describe(c.payload), " · ",
      el("span", { class: "muted" }, c.by),
      c.state === "failed" ? el("span", { class: "badge bad" }, t("rules.failed", { error: c.error || "" })) : null,
      canEdit() && c.state === "pending" ? el("button", { type: "button", class: "secondary", onclick: () => cancelChange(c) },
        t("rules.cancelChange")) : null))
      : [el("li", { class: "muted" }, t("common.empty"))]));
  }

  async function cancelChange(change) {
    try { await Hotline.once(`/api/v1/scheduled-changes/${encodeURIComponent(change.id)}`, { method: "DELETE" }); }
    catch (problem) { $("rules-error").textContent = problem.message; }
    loadPending();
  }

  // Who and when head each entry; the table shows what changed in the rule itself.
  const FIELDS = ["id", "position", "category", "area", "department", "co", "note"];
  const ruleOnly = (record) => (record ? Object.fromEntries(FIELDS.map((f) => [f, record[f]])) : null);

  async function loadHistory() {
    let changes;
    try { changes = await api("/api/v1/routing-rules/history?limit=50"); }
    catch (problem) { $("history").replaceChildren(el("li", { class: "error" }, problem.message)); return; }
    const labels = Object.fromEntries(FIELDS.map((f) => [f, t(`rules.field.${f}`)]));
    $("history").replaceChildren(...(changes.length ? changes.map((c) => el("li", { "data-rule": c.rule_id, "data-action": c.action },
      el("p", {}, el("strong", {}, `${t(`rules.action.${c.action}`)} ${c.rule_id}`), " · ",
        el("span", { class: "muted" }, `${Hotline.fmtTime(c.at)} · ${c.by}`)),
      HotlineDiff.render(ruleOnly(c.before), ruleOnly(c.after), { labels })))
      : [el("li", { class: "muted" }, t("common.empty"))]));
  }

  document.addEventListener("hotline:lang", () => {
    if (!$("editor").hidden) $("editor-heading").textContent = state.editing
      ? t("rules.editTitle", { id: state.editing }) : t("rules.newTitle");
    load();
  });

  (async () => {
    Hotline.translate();
    state.user = await Hotline.header("rules.title");
    if (!state.user) return;
    $("audit-link").href = Hotline.link("search", "/audit?kind=routing_rule");
    document.querySelectorAll(".admin-only").forEach((n) => { n.hidden = !canEdit(); });
    if (!canEdit()) $("rules-heading").after(el("p", { class: "muted", "data-i18n": "rules.readonly" }, t("rules.readonly")));
    try { await loadDirectory(); } catch (problem) { $("rules-error").textContent = problem.message; }
    load();
  })();
})();
