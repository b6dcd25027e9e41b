// The audit log: who changed which configuration and when, each change with its diff, and
// who saw, exported or erased personal data. The page's address holds its filters
// (?kind=routing_rule&key=R12), so other admin pages link to an object's history.
"use strict";
(() => {
  const { api, t, el, label } = Hotline;
  const KINDS = ["category", "knowledge", "routing_rule", "department", "sla_policy", "calendar",
    "notice_settings", "personal_data"];
  const FIELDS = ["q", "kind", "key", "by", "from", "to"];
  Hotline.messages({
    zh: {
      "audit.title": "审计日志", "audit.q": "检索词", "audit.placeholder": "摘要、编码、账号或修改前后的内容",
      "audit.go": "检索", "audit.kind": "类别", "audit.key": "对象编码", "audit.by": "账号",
      "audit.from": "从", "audit.to": "到", "audit.clear": "清除筛选", "audit.none": "没有符合条件的审计记录。",
      "audit.more": "加载更多", "audit.total": "共 {n} 条记录", "audit.all": "全部类别",
      "audit.history": "该对象的全部记录", "audit.version": "第 {n} 版", "audit.effective": "生效时间：{time}",
      "audit.ticket": "工单 {number}", "audit.reason": "理由：{reason}", "audit.no_reason": "未填写理由",
      "audit.kind.category": "分类目录", "audit.kind.knowledge": "知识库", "audit.kind.routing_rule": "派单规则",
      "audit.kind.department": "承办单位", "audit.kind.sla_policy": "时限政策", "audit.kind.calendar": "节假日",
      "audit.kind.notice_settings": "通知设置", "audit.kind.personal_data": "个人信息访问",
      "audit.action.create": "新增", "audit.action.change": "修改", "audit.action.move": "移动", "audit.action.retire": "停用",
      "audit.action.restore": "恢复", "audit.action.delete": "删除", "audit.action.merge": "合并", "audit.action.import": "导入",
      "audit.action.schedule": "定时修改", "audit.action.cancel": "取消定时修改", "audit.action.apply": "定时修改生效",
      "audit.action.reveal": "查看号码", "audit.action.export": "导出", "audit.action.erase": "删除个人信息",
      "audit.action.retention": "到期清除",
      "audit.outcome.revealed": "已显示", "audit.outcome.refused": "已拒绝", "audit.outcome.done": "已完成",
    },
    en: {
      "audit.title": "Audit log", "audit.q": "Search words", "audit.placeholder": "Summary, code, account or values before/after",
      "audit.go": "Search", "audit.kind": "Kind", "audit.key": "Record", "audit.by": "Account",
      "audit.from": "From", "audit.to": "To", "audit.clear": "Clear filters", "audit.none": "No audit entries match.",
      "audit.more": "Load more", "audit.total": "{n} entries", "audit.all": "All kinds",
      "audit.history": "All entries of this record", "audit.version": "version {n}", "audit.effective": "Takes effect: {time}",
      "audit.ticket": "Ticket {number}", "audit.reason": "Reason: {reason}", "audit.no_reason": "No reason given",
      "audit.kind.category": "Categories", "audit.kind.knowledge": "Knowledge base", "audit.kind.routing_rule": "Routing rules",
      "audit.kind.department": "Departments", "audit.kind.sla_policy": "Time limits", "audit.kind.calendar": "Holidays",
      "audit.kind.notice_settings": "Notice settings", "audit.kind.personal_data": "Personal data",
      "audit.action.create": "created", "audit.action.change": "changed", "audit.action.move": "moved", "audit.action.retire": "retired",
      "audit.action.restore": "restored", "audit.action.delete": "deleted", "audit.action.merge": "merged", "audit.action.import": "imported",
      "audit.action.schedule": "scheduled", "audit.action.cancel": "schedule cancelled", "audit.action.apply": "scheduled change applied",
      "audit.action.reveal": "number revealed", "audit.action.export": "exported", "audit.action.erase": "personal data erased",
      "audit.action.retention": "erased at retention",
      "audit.outcome.revealed": "shown", "audit.outcome.refused": "refused", "audit.outcome.done": "done",
    },
  });
  const form = document.getElementById("filters");
  const list = document.getElementById("entries");
  const more = document.getElementById("more");
  let next = null;

  // The kinds to choose from, keeping the one chosen (even a kind this page does not name yet).
  function kinds(chosen = form.kind.value) {
    const known = KINDS.includes(chosen) || !chosen ? KINDS : [...KINDS, chosen];
    form.kind.replaceChildren(el("option", { value: "" }, t("audit.all")),
      ...known.map((kind) => el("option", { value: kind }, label("audit.kind", kind))));
    form.kind.value = chosen;
  }

  // The filters as the address and the API take them: only those given.
  function filters() {
    const params = new URLSearchParams();
    for (const name of FIELDS) {
      const value = form[name].value.trim();
      if (value) params.set(name, value);
    }
    return params;
  }

  function prefill() {
    const given = new URLSearchParams(location.search);
    kinds(given.get("kind") || "");
    for (const name of FIELDS) form[name].value = given.get(name) || "";
  }

  function historyLink(entry) {
    const params = new URLSearchParams({ kind: entry.kind, key: entry.key });
    return el("a", { href: `?${params}`, class: "history", title: t("audit.history") }, entry.key);
  }

  function access(entry) {
    const reason = entry.reason ? t("audit.reason", { reason: entry.reason }) : t("audit.no_reason");
    const badge = entry.outcome === "refused" ? "bad" : "ok";
    return el("p", { class: "access" },
      entry.ticket_number ? t("audit.ticket", { number: entry.ticket_number }) + " · " : "",
      el("span", { class: `badge ${badge}` }, label("audit.outcome", entry.outcome)), " · ", reason);
  }

  function item(entry) {
    const top = el("div", { class: "top" },
      el("span", { class: "when" }, Hotline.fmtTime(entry.at, true)),
      el("strong", {}, label("audit.kind", entry.kind)),
      entry.key ? historyLink(entry) : "",
      el("span", { class: "badge" }, label("audit.action", entry.action)),
      el("span", { class: "who" }, entry.by),
      entry.version !== null ? el("span", { class: "muted" }, t("audit.version", { n: entry.version })) : "");
    const parts = [top];
    if (entry.summary) parts.push(el("p", { class: "summary-line" }, entry.summary));
    if (entry.effective_at) {
      parts.push(el("p", { class: "muted" }, t("audit.effective", { time: Hotline.fmtTime(entry.effective_at) })));
    }
    if (entry.type === "personal_data") parts.push(access(entry));
    else parts.push(HotlineDiff.render(entry.before, entry.after));
    return el("li", { "data-id": entry.id, "data-kind": entry.kind }, parts);
  }

  async function load(append = false) {
    const params = filters();
    if (append && next) params.set("after", next);
    const results = document.getElementById("results");
    results.setAttribute("aria-busy", "true");
    try {
      const page = await api(`/api/v1/audit?${params}`);
      form.querySelectorAll(".error[data-for]").forEach((n) => { n.textContent = ""; });
      form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
      next = page.next;
      const items = page.entries.map(item);
      if (append) list.append(...items);
      else list.replaceChildren(...items);
      document.getElementById("total").textContent = t("audit.total", { n: page.total });
      document.getElementById("empty").hidden = page.total > 0;
      more.hidden = !next;
    } catch (problem) {
      Hotline.showErrors(form, problem);
    } finally {
      results.setAttribute("aria-busy", "false");
    }
  }

  function search() {
    const params = filters().toString();
    history.replaceState(null, "", params ? `?${params}` : location.pathname);
    load();
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); search(); });
  form.kind.addEventListener("change", search);
  form.from.addEventListener("change", search);
  form.to.addEventListener("change", search);
  document.getElementById("clear").addEventListener("click", () => { form.reset(); search(); });
  more.addEventListener("click", () => load(true));
  document.addEventListener("hotline:lang", () => { kinds(); load(); });
  (async () => {
    prefill();
    Hotline.translate();
    const user = await Hotline.header("audit.title");
    if (user) load();
  })();
})();
