// Departments: who answers for which place, who hears of their warnings, how much open work
// each holds. Admins add, rename, set territories and duty contacts, and merge one into
// another (after seeing what would follow); everyone allowed here sees the history.
"use strict";
(() => {
  const { api, t, el } = Hotline;
  Hotline.messages({
    zh: {
      "dept.title": "承办单位", "dept.list": "承办单位", "dept.filter": "筛选",
      "dept.filterHint": "按代码、名称或地址编码筛选", "dept.add": "新增承办单位",
      "dept.accounts": "合并后，被并入单位的工作人员账号（账号文件）须由管理员改到新单位，否则他们看不到随转的派单。",
      "dept.code": "代码", "dept.name": "名称", "dept.kind": "类型", "dept.parent": "上级单位代码",
      "dept.territory": "辖区（地址编码）", "dept.territoryHint": "辖区：区（6 位）或街道（9 位）地址编码，用空格或逗号分隔",
      "dept.contact": "值班联系人", "dept.dutyName": "值班联系人", "dept.channel": "通知方式",
      "dept.phone": "值班电话", "dept.webhook": "Webhook 地址", "dept.open": "在办派单",
      "dept.effective": "生效时间（北京时间；留空即刻生效）", "dept.edit": "修改", "dept.editing": "修改承办单位 {code}",
      "dept.adding": "新增承办单位", "dept.merge": "合并承办单位", "dept.mergeAction": "合并到…",
      "dept.mergeFrom": "被并入的单位（A）", "dept.mergeInto": "并入到（B）", "dept.mergeCheck": "查看影响",
      "dept.mergeConfirm": "确认合并",
      "dept.preview": "{from} 并入 {into}：{open} 件在办派单将随转到 {into}（保留原时限），{rules} 条派单规则将改指 {into}，{from} 的辖区归 {into}；{from} 此后不再接收新工作。{from} 的工作人员账号须改到 {into}。",
      "dept.merged": "已合并：{moved} 件派单随转，{rules} 条规则改指 {into}。请把 {from} 的工作人员账号改到 {into}。",
      "dept.retired": "已并入 {into}", "dept.saved": "已保存 {code}", "dept.scheduled": "已预约，{time} 生效",
      "dept.count": "共 {n} 个单位", "dept.pending": "待生效的修改", "dept.effectiveAt": "生效时间",
      "dept.what": "内容", "dept.by": "提交人", "dept.state": "状态", "dept.cancelChange": "撤销",
      "dept.history": "修改记录", "dept.at": "时间", "dept.change": "修改前 → 修改后",
      "dept.auditLink": "在审计日志中查看", "dept.failed": "未能生效：{error}",
      "action.create": "新增", "action.change": "修改", "action.merge": "合并",
      "kind.street": "街乡镇", "kind.district": "区政府", "kind.bureau": "委办局", "kind.utility": "公共服务企业",
      "kind.center": "热线中心", "notice.none": "不通知", "notice.sms": "短信", "notice.webhook": "Webhook",
      "history.department": "单位", "history.notice_settings": "通知设置",
    },
    en: {
      "dept.title": "Departments", "dept.list": "Departments", "dept.filter": "Filter",
      "dept.filterHint": "Filter by code, name or address code", "dept.add": "Add a department",
      "dept.accounts": "After a merge, an admin must move the staff accounts of the merged department (the accounts file) to the new one, or they will not see the work that followed.",
      "dept.code": "Code", "dept.name": "Name", "dept.kind": "Kind", "dept.parent": "Parent department code",
      "dept.territory": "Territory (address codes)", "dept.territoryHint": "Territory: district (6-digit) or street (9-digit) address codes, separated by spaces or commas",
      "dept.contact": "Duty contact", "dept.dutyName": "Duty contact", "dept.channel": "Notices by",
      "dept.phone": "Duty phone", "dept.webhook": "Webhook URL", "dept.open": "Open assignments",
      "dept.effective": "Effective from (Beijing time; empty: at once)", "dept.edit": "Edit", "dept.editing": "Edit department {code}",
      "dept.adding": "Add a department", "dept.merge": "Merge departments", "dept.mergeAction": "Merge into…",
      "dept.mergeFrom": "Department merged away (A)", "dept.mergeInto": "Merged into (B)", "dept.mergeCheck": "Show what follows",
      "dept.mergeConfirm": "Confirm the merge",
      "dept.preview": "{from} into {into}: {open} open assignments follow to {into} (keeping their deadlines), {rules} routing rules will name {into}, {from}'s territory becomes {into}'s; {from} takes no new work afterwards. Move the staff accounts of {from} to {into}.",
      "dept.merged": "Merged: {moved} assignments followed, {rules} rules now name {into}. Move the staff accounts of {from} to {into}.",
      "dept.retired": "Merged into {into}", "dept.saved": "Saved {code}", "dept.scheduled": "Scheduled for {time}",
      "dept.count": "{n} departments", "dept.pending": "Scheduled changes", "dept.effectiveAt": "Effective from",
      "dept.what": "Change", "dept.by": "By", "dept.state": "State", "dept.cancelChange": "Cancel",
      "dept.history": "History", "dept.at": "When", "dept.change": "Before → after",
      "dept.auditLink": "See in the audit log", "dept.failed": "Not applied: {error}",
      "action.create": "Added", "action.change": "Changed", "action.merge": "Merged",
      "kind.street": "Street office", "kind.district": "District government", "kind.bureau": "Bureau",
      "kind.utility": "Utility", "kind.center": "Hotline centre", "notice.none": "None", "notice.sms": "SMS",
      "notice.webhook": "Webhook", "history.department": "Department", "history.notice_settings": "Notice settings",
    },
  });
  const KIND = "department";
  const byId = (id) => document.getElementById(id);
  // Empties the form's error slots (showErrors with no errors would say "something went wrong").
  const clear = (form) => {
    form.querySelectorAll(".error[data-for]").forEach((n) => { n.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
  };
  let user = null;
  let all = [];
  let editing = null; // the department being edited; null: adding one
  const admin = () => Hotline.may(user, "cue/config-edit");
  const effective = (input) => (input.value ? `${input.value}:00+08:00` : null);
  const codes = (text) => text.split(/[\s,，、]+/).map((c) => c.trim()).filter(Boolean);

  function say(text) {
    const node = byId("saved");
    node.textContent = text;
    node.hidden = false;
  }

  function contact(d) {
    const phone = d.duty_phone ? ` · ${d.duty_phone}` : "";
    return (d.duty_name || "—") + phone;
  }

  function row(d) {
    const actions = [];
    if (admin() && !d.retired_at) {
      actions.push(el("button", { type: "button", class: "secondary", onclick: () => edit(d) }, t("dept.edit")));
      actions.push(el("button", { type: "button", class: "secondary", onclick: () => openMerge(d) }, t("dept.mergeAction")));
    }
    const name = d.retired_at
      ? [d.name, " ", el("span", { class: "badge" }, t("dept.retired", { into: d.merged_into }))] : [d.name];
    return el("tr", { "data-code": d.code, class: d.retired_at ? "muted" : "" },
      el("td", { class: "mono" }, d.code), el("td", {}, ...name),
      el("td", { class: "mono" }, d.territory.join(" ") || "—"), el("td", {}, contact(d)),
      el("td", {}, Hotline.t(`notice.${d.notice_channel}`)),
      el("td", { class: "open-count" }, String(d.open_assignments ?? 0)), el("td", {}, ...actions));
  }

  function render() {
    const q = byId("filter").value.trim().toLowerCase();
    const shown = all.filter((d) => !q || d.code.toLowerCase().includes(q) || d.name.includes(q)
      || d.territory.some((a) => a.startsWith(q)));
    byId("summary").textContent = t("dept.count", { n: shown.length });
    byId("departments").tBodies[0].replaceChildren(...(shown.length ? shown.map(row)
      : [el("tr", {}, el("td", { colspan: "7", class: "muted" }, t("common.empty")))]));
  }

  async function load() {
    try { all = await api("/api/v1/department-overview"); }
    catch (problem) {
      byId("departments").tBodies[0].replaceChildren(el("tr", {}, el("td", { colspan: "7", class: "error" }, problem.message)));
      return;
    }
    byId("department-codes").replaceChildren(...all.filter((d) => !d.retired_at)
      .map((d) => el("option", { value: d.code }, d.name)));
    render();
    loadPending();
    loadHistory();
  }

  function edit(d) {
    editing = d;
    const form = byId("edit-form");
    form.reset();
    clear(form);
    byId("edit-heading").textContent = d ? t("dept.editing", { code: d.code }) : t("dept.adding");
    form.code.readOnly = Boolean(d);
    form.querySelectorAll(".create-only").forEach((n) => { n.hidden = Boolean(d); });
    if (d) {
      form.code.value = d.code;
      form.name.value = d.name;
      form.territory.value = d.territory.join(" ");
      form.duty_name.value = d.duty_name || "";
      form.notice_channel.value = d.notice_channel;
      form.duty_phone.value = d.duty_phone || "";
      form.webhook_url.value = d.webhook_url || "";
    }
    byId("merger").hidden = true;
    byId("editor").hidden = false;
    form.name.focus();
  }

  // Only what the admin changed is sent, so a rename does not rewrite the notice settings.
  function changes(form) {
    const body = {};
    const now = { name: form.name.value.trim(), duty_name: form.duty_name.value.trim() };
    if (now.name !== editing.name) body.name = now.name;
    if (now.duty_name !== (editing.duty_name || "")) body.duty_name = now.duty_name || null;
    const territory = codes(form.territory.value);
    if (territory.join(" ") !== editing.territory.join(" ")) body.territory = territory;
    const notice = { notice_channel: form.notice_channel.value, duty_phone: form.duty_phone.value.trim() || null,
      webhook_url: form.webhook_url.value.trim() || null };
    if (Object.entries(notice).some(([k, v]) => v !== (editing[k] ?? null))) Object.assign(body, notice);
    return body;
  }

  function creation(form) {
    const body = { code: form.code.value.trim(), name: form.name.value.trim(), kind: form.kind.value,
      territory: codes(form.territory.value) };
    if (form.parent.value.trim()) body.parent = form.parent.value.trim();
    if (form.duty_name.value.trim()) body.duty_name = form.duty_name.value.trim();
    return body;
  }

  async function save(event) {
    event.preventDefault();
    const form = event.target;
    const body = editing ? changes(form) : creation(form);
    const at = effective(form.effective_at);
    if (at) body.effective_at = at;
    const path = editing ? `/api/v1/departments/${encodeURIComponent(editing.code)}` : "/api/v1/departments";
    try {
      const answer = await Hotline.once(path, { method: editing ? "PATCH" : "POST", body });
      if (!editing && (form.notice_channel.value !== "none")) {
        const notice = { notice_channel: form.notice_channel.value, duty_phone: form.duty_phone.value.trim() || null,
          webhook_url: form.webhook_url.value.trim() || null, ...(at ? { effective_at: at } : {}) };
        await Hotline.once(`/api/v1/departments/${encodeURIComponent(body.code)}`, { method: "PATCH", body: notice });
      }
      byId("editor").hidden = true;
      say(answer.state ? t("dept.scheduled", { time: Hotline.fmtTime(answer.effective_at) })
        : t("dept.saved", { code: answer.code }));
    } catch (problem) { Hotline.showErrors(form, problem); return; }
    load();
  }

  function openMerge(d) {
    const form = byId("merge-form");
    form.reset();
    clear(form);
    form.code.value = d.code;
    byId("merge-preview").hidden = true;
    byId("merge-confirm").disabled = true;
    byId("editor").hidden = true;
    byId("merger").hidden = false;
    form.into.focus();
  }

  async function preview() {
    const form = byId("merge-form");
    const from = form.code.value, into = form.into.value.trim();
    clear(form);
    try {
      const found = await api(`/api/v1/departments/${encodeURIComponent(from)}/merge-preview?into=${encodeURIComponent(into)}`);
      const node = byId("merge-preview");
      node.textContent = t("dept.preview", { from, into, open: found.open_assignments, rules: found.rules.length });
      node.hidden = false;
      byId("merge-confirm").disabled = false;
    } catch (problem) { Hotline.showErrors(form, problem); }
  }

  async function merge(event) {
    event.preventDefault();
    const form = event.target;
    const from = form.code.value, into = form.into.value.trim();
    const body = { into };
    const at = effective(form.effective_at);
    if (at) body.effective_at = at;
    try {
      const done = await Hotline.once(`/api/v1/departments/${encodeURIComponent(from)}/merge`, { body });
      byId("merger").hidden = true;
      say(done.state ? t("dept.scheduled", { time: Hotline.fmtTime(done.effective_at) })
        : t("dept.merged", { moved: done.moved.length, rules: done.rules.length, from, into }));
    } catch (problem) { Hotline.showErrors(form, problem); return; }
    load();
  }

  function describe(payload) {
    const { action, code, ...rest } = payload;
    return `${t("action." + action)} ${code}: ${JSON.stringify(rest)}`;
  }

  async function loadPending() {
    const body = byId("pending").tBodies[0];
    let found;
    try { found = await api(`/api/v1/scheduled-changes?kind=${KIND}`); }
    catch (problem) { body.replaceChildren(el("tr", {}, el("td", { colspan: "5", class: "error" }, problem.message))); return; }
    body.replaceChildren(...(found.length ? found.map((c) => el("tr", { "data-id": c.id },
      el("td", {}, Hotline.fmtTime(c.effective_at)), el("td", {}, describe(c.payload)), el("td", {}, c.by),
      el("td", {}, c.error ? t("dept.failed", { error: c.error }) : c.state),
      el("td", {}, admin() && c.state === "pending" ? el("button", { type: "button", class: "secondary",
        onclick: () => cancelChange(c) }, t("dept.cancelChange")) : "")))
      : [el("tr", {}, el("td", { colspan: "5", class: "muted" }, t("common.empty")))]));
  }

  async function cancelChange(change) {
    try { await Hotline.once(`/api/v1/scheduled-changes/${encodeURIComponent(change.id)}`, { method: "DELETE" }); }
    catch (problem) { alert(problem.message); }
    loadPending();
  }

  function versions(c) {
    if (typeof HotlineDiff !== "undefined") return HotlineDiff.render(c.before, c.after);
    const text = (v) => el("pre", {}, v ? JSON.stringify(v, null, 1) : "—");
    return el("div", { class: "grid" }, text(c.before), text(c.after));
  }

  async function loadHistory() {
    const body = byId("history").tBodies[0];
    let found;
    try { found = await api("/api/v1/department-changes?limit=50"); }
    catch (problem) { body.replaceChildren(el("tr", {}, el("td", { colspan: "5", class: "error" }, problem.message))); return; }
    body.replaceChildren(...(found.length ? found.map((c) => el("tr", { "data-id": String(c.id) },
      el("td", {}, Hotline.fmtTime(c.at)), el("td", {}, c.by),
      el("td", { class: "mono" }, el("a", { href: Hotline.link("search", `/audit?kind=${c.kind}&key=${encodeURIComponent(c.code)}`),
        title: t("dept.auditLink") }, c.code)),
      el("td", {}, `${t("history." + c.kind)} · ${t("action." + c.action)}`), el("td", {}, versions(c))))
      : [el("tr", {}, el("td", { colspan: "5", class: "muted" }, t("common.empty")))]));
  }

  byId("filter").addEventListener("input", render);
  byId("add").addEventListener("click", () => edit(null));
  byId("edit-form").addEventListener("submit", save);
  byId("edit-cancel").addEventListener("click", () => { byId("editor").hidden = true; });
  byId("merge-check").addEventListener("click", preview);
  byId("merge-form").into.addEventListener("input", () => { byId("merge-confirm").disabled = true; });
  byId("merge-form").addEventListener("submit", merge);
  byId("merge-cancel").addEventListener("click", () => { byId("merger").hidden = true; });
  document.addEventListener("hotline:lang", load);
  (async () => {
    Hotline.translate();
    user = await Hotline.header("dept.title");
    byId("add").hidden = !admin();
    load();
  })();
})();
