// The dispatcher's desk: one page per list (review queue, returned, extensions, supervision),
// chosen by the path; each row carries the form that settles it.
"use strict";
(() => {
  const { api, t, el, fmtTime, showErrors } = Hotline;
  Hotline.messages({
    zh: {
      "desk.title": "派单调度台", "desk.refresh": "刷新", "desk.count": "共 {n} 件",
      "desk.empty": "清单为空", "desk.ticket": "工单", "desk.received": "受理时间", "desk.request": "诉求",
      "desk.place": "地点", "desk.why": "原因", "desk.dispatch": "派单", "desk.lead": "牵头单位",
      "desk.co": "协办单位（可选，逗号分隔）", "desk.note": "派单说明", "desk.send": "派出",
      "desk.returned": "退单情况", "desk.department": "承办单位", "desk.current": "原时限",
      "desk.asked": "申请延至", "desk.reason": "理由", "desk.asker": "申请人", "desk.decide": "审批",
      "desk.grant": "批准", "desk.refuse": "驳回", "desk.decision.note": "审批意见",
      "desk.supervision.reason": "督办原因", "desk.opened": "列入时间", "desk.next": "最近时限",
      "desk.urge": "催办", "desk.urge.note": "催办意见", "desk.close": "结束督办", "desk.state": "状态",
      "review.no_location": "未提供地址", "review.unknown_area": "地址不在辖区名录中",
      "review.citizen_unsure": "市民不确定类别或地点", "review.email": "邮件来信待分类",
      "why.sla_breach": "超期：{clock}", "why.repeat_calls": "重复来电 {n} 次", "why.reopen_limit": "重办 {n} 次仍不满意",
      "page.review": "待审派单", "page.returned": "退单待重派", "page.extensions": "延期申请", "page.supervision": "督办清单",
      "desk.sent": "已派出", "desk.decided": "已审批", "desk.updated": "已更新",
      "desk.frequent": "频繁来电", "desk.frequent.about": "该来电人今日来电次数较多，请留意是否为同一诉求",
      "desk.suggestion": "派单建议", "desk.suggestion.category": "建议类别", "desk.suggestion.department": "建议承办单位",
      "desk.suggestion.nowhere": "该地点无对应承办单位，请手动派单", "desk.suggestion.confidence": "置信度 {p}%",
      "desk.suggestion.model": "模型第 {n} 版", "desk.suggestion.cold": "初始模型（按类别名称和知识库）",
      "desk.suggestion.accept": "采纳建议", "desk.suggestion.sent": "已按建议派出",
      "desk.suggestion.words": "突出显示的是影响建议最大的词语",
    },
    en: {
      "desk.title": "Dispatcher's desk", "desk.refresh": "Refresh", "desk.count": "{n} in all",
      "desk.empty": "Nothing on this list", "desk.ticket": "Ticket", "desk.received": "Received",
      "desk.request": "Request", "desk.place": "Place", "desk.why": "Why", "desk.dispatch": "Dispatch",
      "desk.lead": "Lead department", "desk.co": "Co-handling (optional, comma separated)",
      "desk.note": "Instruction", "desk.send": "Send", "desk.returned": "Returned",
      "desk.department": "Department", "desk.current": "Current deadline", "desk.asked": "Asked for",
      "desk.reason": "Reason", "desk.asker": "Asked by", "desk.decide": "Decision", "desk.grant": "Grant",
      "desk.refuse": "Refuse", "desk.decision.note": "Comment", "desk.supervision.reason": "Why supervised",
      "desk.opened": "Since", "desk.next": "Next deadline", "desk.urge": "Urge", "desk.urge.note": "Message",
      "desk.close": "End supervision", "desk.state": "State",
      "review.no_location": "No address given", "review.unknown_area": "Address not in any office's area",
      "review.citizen_unsure": "Citizen unsure of category or place", "review.email": "Email to be classified",
      "why.sla_breach": "Missed: {clock}", "why.repeat_calls": "{n} repeat calls",
      "why.reopen_limit": "Reopened {n} times, still unsatisfied",
      "page.review": "Review queue", "page.returned": "Returned tickets", "page.extensions": "Extension requests",
      "page.supervision": "Supervision list", "desk.sent": "Sent", "desk.decided": "Decided",
      "desk.updated": "Updated", "desk.frequent": "Frequent caller",
      "desk.frequent.about": "This caller has called more than usual today: check whether it is the same request",
      "desk.suggestion": "Suggestion", "desk.suggestion.category": "Suggested category",
      "desk.suggestion.department": "Suggested department",
      "desk.suggestion.nowhere": "No department for this place: dispatch by hand", "desk.suggestion.confidence": "Confidence {p}%",
      "desk.suggestion.model": "model version {n}", "desk.suggestion.cold": "initial model (category names and knowledge base)",
      "desk.suggestion.accept": "Accept suggestion", "desk.suggestion.sent": "Sent as suggested",
      "desk.suggestion.words": "Highlighted: the words that weighed most for the suggestion",
    },
  });

  const PAGE = location.pathname.slice(Hotline.BASE.length + 1) || "review";
  const content = document.getElementById("content");
  let rows = [];

  function field(id, labelKey, input) {
    return [el("label", { for: id }, t(labelKey)), input, el("p", { class: "error", "data-for": input.name })];
  }

  function table(headers, body) {
    if (!body.length) return el("p", { class: "placeholder" }, t("desk.empty"));
    return el("table", { class: "desk" },
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, t(h))))),
      el("tbody", {}, body));
  }

  async function submit(form, path, body, doneKey) {
    try {
      await Hotline.once(path, { body });
      Dispatch.announce(t(doneKey));
      await load();
    } catch (problem) { showErrors(form, problem); }
  }

  function dispatchForm(ticket) {
    const id = ticket.id.slice(0, 8);
    const form = el("form", { novalidate: true, "aria-label": t("desk.dispatch") + " " + ticket.number },
      ...field(`lead-${id}`, "desk.lead", el("input", { id: `lead-${id}`, name: "department_code", list: "departments",
        required: true, autocomplete: "off" })),
      ...field(`co-${id}`, "desk.co", el("input", { id: `co-${id}`, name: "co", autocomplete: "off" })),
      ...field(`note-${id}`, "desk.note", el("input", { id: `note-${id}`, name: "note" })),
      el("p", { class: "error", "data-for": "_", role: "alert" }),
      el("div", { class: "row" }, el("button", { type: "submit", class: "primary" }, t("desk.send"))));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const co = form.elements.co.value.split(/[,，\s]+/).filter(Boolean);
      submit(form, `/api/v1/tickets/${ticket.id}/dispatch`, {
        department_code: form.elements.department_code.value.trim(), co, note: form.elements.note.value }, "desk.sent");
    });
    return form;
  }

  // The description with the words that drove the suggestion marked (text nodes only).
  function marked(text, words) {
    const found = (words || []).filter(Boolean).sort((a, b) => b.length - a.length);
    if (!found.length) return text;
    const escaped = found.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    return text.split(new RegExp(`(${escaped.join("|")})`, "g"))
      .map((part, i) => (i % 2 ? el("mark", {}, part) : part));
  }

  // The suggestion the ticket came with, where it routes now, and the one-click acceptance.
  function suggestionForm(ticket) {
    const s = ticket.suggestion;
    const model = s.model_version == null ? t("desk.suggestion.cold") : t("desk.suggestion.model", { n: s.model_version });
    const form = el("form", { class: "suggestion", novalidate: true, "aria-label": t("desk.suggestion") + " " + ticket.number },
      el("div", {}, el("span", { class: "muted" }, t("desk.suggestion.category"), "："),
        el("strong", {}, s.category_name || s.category_code)),
      el("div", {}, el("span", { class: "muted" }, t("desk.suggestion.department"), "："),
        s.department_name ? el("strong", {}, s.department_name) : el("span", { class: "muted" }, t("desk.suggestion.nowhere"))),
      el("div", { class: "muted" }, t("desk.suggestion.confidence", { p: Math.round(s.confidence * 100) }), " · ", model),
      el("p", { class: "error", "data-for": "_", role: "alert" }),
      el("div", { class: "row" }, el("button", { type: "submit", class: "primary", disabled: !s.department_code },
        t("desk.suggestion.accept"))));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      submit(form, `/api/v1/tickets/${ticket.id}/accept-suggestion`, {}, "desk.suggestion.sent");
    });
    return form;
  }

  function ticketCells(ticket) {
    return [
      el("td", {}, el("strong", {}, ticket.number), ticket.urgency === "urgent"
        ? [" ", el("span", { class: "badge bad" }, t("urgency.urgent"))] : null,
        ticket.frequent_caller ? [" ", el("span", { class: "badge warn", title: t("desk.frequent.about") }, t("desk.frequent"))] : null,
        ticket.channel ? el("div", { class: "muted" }, Hotline.label("channel", ticket.channel)) : null),
      el("td", {}, fmtTime(ticket.created_at)),
      el("td", { class: "text" }, el("div", {}, ticket.category_name), el("div", {
        class: "muted", title: ticket.suggestion ? t("desk.suggestion.words") : null,
      }, ticket.suggestion ? marked(ticket.description, ticket.suggestion.words) : ticket.description)),
      el("td", {}, ticket.area_name || "—"),
    ];
  }

  function reviewRows() {
    return rows.map((ticket) => el("tr", {}, ...ticketCells(ticket),
      el("td", {}, t("review." + ticket.review_reason)),
      el("td", {}, ticket.suggestion ? suggestionForm(ticket) : null, dispatchForm(ticket))));
  }

  function returnedRows() {
    return rows.map((ticket) => {
      const r = ticket.returned || {};
      const info = el("td", { class: "text" }, el("div", {}, el("strong", {}, r.department_name || "")),
        el("div", {}, t("reason." + r.return_reason_code), "：", r.return_reason || ""),
        el("div", { class: "muted" }, Dispatch.who(r.returned_by || ""), " · ", fmtTime(r.returned_at)));
      return el("tr", {}, ...ticketCells(ticket), info, el("td", {}, dispatchForm(ticket)));
    });
  }

  function decisionForm(x) {
    const id = x.id.slice(0, 8);
    const form = el("form", { novalidate: true, "aria-label": t("desk.decide") + " " + (x.ticket_number || "") },
      ...field(`dn-${id}`, "desk.decision.note", el("input", { id: `dn-${id}`, name: "note" })),
      el("p", { class: "error", "data-for": "_", role: "alert" }),
      el("div", { class: "row" },
        el("button", { type: "submit", class: "primary", value: "grant" }, t("desk.grant")),
        el("button", { type: "submit", class: "secondary", value: "refuse" }, t("desk.refuse"))));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const granted = (e.submitter && e.submitter.value) === "grant";
      submit(form, `/api/v1/extensions/${x.id}/decision`, { granted, note: form.elements.note.value }, "desk.decided");
    });
    return form;
  }

  function extensionRows() {
    return rows.map((x) => el("tr", {},
      el("td", {}, el("strong", {}, x.ticket_number || x.ticket_id), el("div", { class: "muted" }, x.ticket_category_name || "")),
      el("td", {}, x.department_name || x.department_code),
      el("td", {}, fmtTime(x.previous_due)), el("td", {}, fmtTime(x.new_due)),
      el("td", { class: "text" }, x.reason),
      el("td", {}, x.requested_by, el("div", { class: "muted" }, fmtTime(x.requested_at))),
      el("td", {}, decisionForm(x))));
  }

  function why(reason) {
    const [kind, value] = String(reason).split(":");
    if (kind === "sla_breach") return t("why.sla_breach", { clock: t("clock." + value) });
    if (kind === "repeat_calls" || kind === "reopen_limit") return t("why." + kind, { n: value });
    return reason;
  }

  function supervisionForm(s) {
    const id = s.id.slice(0, 8);
    const form = el("form", { novalidate: true, "aria-label": t("desk.urge") + " " + (s.ticket_number || "") },
      ...field(`un-${id}`, "desk.urge.note", el("input", { id: `un-${id}`, name: "note" })),
      el("p", { class: "error", "data-for": "_", role: "alert" }),
      el("div", { class: "row" },
        el("button", { type: "submit", class: "primary", value: "urge" }, t("desk.urge")),
        el("button", { type: "submit", class: "secondary", value: "close" }, t("desk.close"))));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const close = (e.submitter && e.submitter.value) === "close";
      const path = `/api/v1/assignments/${s.id}/` + (close ? "supervision/close" : "urge");
      submit(form, path, { note: form.elements.note.value }, "desk.updated");
    });
    return form;
  }

  function supervisionRows() {
    return rows.map((s) => {
      const next = Dispatch.nextClock(s);
      return el("tr", {},
        el("td", {}, el("strong", {}, s.ticket_number || s.ticket_id), el("div", { class: "muted" }, s.ticket_category_name || "")),
        el("td", {}, s.department_name, el("div", { class: "muted" }, Hotline.label("assignment_status", s.status))),
        el("td", {}, why(s.supervision_reason), el("div", { class: "muted" }, Dispatch.who(s.opened_by))),
        el("td", {}, fmtTime(s.opened_at)),
        el("td", {}, next ? Dispatch.countdown(next.due_at, next.warn_at, next.clock) : el("span", { class: "badge" }, Hotline.label("sla_state", s.sla_state))),
        el("td", {}, supervisionForm(s)));
    });
  }

  const VIEWS = {
    review: { url: "/api/v1/review-queue", head: ["desk.ticket", "desk.received", "desk.request", "desk.place", "desk.why", "desk.dispatch"], rows: reviewRows },
    returned: { url: "/api/v1/returned", head: ["desk.ticket", "desk.received", "desk.request", "desk.place", "desk.returned", "desk.dispatch"], rows: returnedRows },
    extensions: { url: "/api/v1/extensions?status=pending", head: ["desk.ticket", "desk.department", "desk.current", "desk.asked", "desk.reason", "desk.asker", "desk.decide"], rows: extensionRows },
    supervision: { url: "/api/v1/supervisions", head: ["desk.ticket", "desk.department", "desk.supervision.reason", "desk.opened", "desk.next", "desk.urge"], rows: supervisionRows },
  };
  const view = VIEWS[PAGE] || VIEWS.review;

  function render() {
    document.getElementById("desk-heading").textContent = t("page." + (VIEWS[PAGE] ? PAGE : "review"));
    document.getElementById("summary").textContent = t("desk.count", { n: rows.length });
    content.replaceChildren(table(view.head, view.rows()));
  }

  async function load() {
    try { rows = await api(view.url); } catch (problem) {
      content.replaceChildren(el("p", { class: "notice bad", role: "alert" }, problem.message));
      return;
    }
    render();
  }

  async function departments() {
    if (PAGE !== "review" && PAGE !== "returned") return;
    const list = await api("/api/v1/departments").catch(() => []);
    document.getElementById("departments").replaceChildren(
      ...list.map((d) => el("option", { value: d.code }, d.name)));
  }

  document.getElementById("refresh").addEventListener("click", load);
  document.addEventListener("hotline:lang", render);
  Hotline.translate();
  Hotline.header("desk.title").then((user) => { if (user) { load(); departments(); } });
  // The periodic refresh rebuilds the rows' forms, so it waits while someone is filling one.
  function busy() {
    return content.contains(document.activeElement) || [...content.querySelectorAll("input")].some((i) => i.value);
  }
  setInterval(() => { if (!busy()) load(); }, 60000);
})();
