// The agents' callback page (回访): tickets whose citizen has not rated, and a form to
// record the answers given by phone, or that nobody answered.
"use strict";
(() => {
  Hotline.messages({
    zh: {
      "cb.due": "待回访", "cb.reload": "刷新", "cb.hint": "市民未通过短信链接评价时，请电话回访并记录其回答。",
      "cb.c.number": "工单编号", "cb.c.matter": "事项 / 承办单位", "cb.c.phone": "来电号码",
      "cb.reveal": "查看号码并拨打",
      "cb.c.invited": "邀请时间", "cb.c.attempts": "已拨打", "cb.c.action": "操作",
      "cb.empty": "没有待回访的工单。", "cb.start": "回访", "cb.panel": "回访工单 {number}",
      "cb.reached": "是否联系上市民？", "cb.reached.yes": "联系上了", "cb.reached.no": "未接通",
      "cb.comment": "市民的意见（原话）", "cb.note": "回访备注", "cb.save": "保存回访",
      "cb.required": "请选择一项", "cb.hotline": "热线直接答复",
      "cb.saved.closed": "已记录，工单办结。", "cb.saved.reopened": "已记录，已要求重办。",
      "cb.saved.supervised": "已记录，已转督办。", "cb.saved.unreached": "已记录未接通。",
      "rate.q.contacted": "承办单位是否联系过您？", "rate.contacted.yes": "联系过", "rate.contacted.no": "没有联系",
      "rate.q.solved": "您反映的问题是否已解决？", "rate.solved.yes": "已解决", "rate.solved.no": "未解决",
      "rate.q.satisfaction": "您对办理结果是否满意？",
    },
    en: {
      "cb.due": "Awaiting a callback", "cb.reload": "Reload",
      "cb.hint": "When a citizen has not rated through the text link, call them and record their answers.",
      "cb.c.number": "Case", "cb.c.matter": "Matter / department", "cb.c.phone": "Caller",
      "cb.reveal": "Show number and call",
      "cb.c.invited": "Invited", "cb.c.attempts": "Calls", "cb.c.action": "Action",
      "cb.empty": "No case awaits a callback.", "cb.start": "Call back", "cb.panel": "Callback for case {number}",
      "cb.reached": "Did you reach the citizen?", "cb.reached.yes": "Reached", "cb.reached.no": "No answer",
      "cb.comment": "The citizen's words", "cb.note": "Note", "cb.save": "Save callback",
      "cb.required": "Please choose one", "cb.hotline": "Answered by the hotline",
      "cb.saved.closed": "Saved; the case is closed.", "cb.saved.reopened": "Saved; reopening was requested.",
      "cb.saved.supervised": "Saved; sent to supervision.", "cb.saved.unreached": "Saved as not reached.",
      "rate.q.contacted": "Did the department contact you?", "rate.contacted.yes": "Yes", "rate.contacted.no": "No",
      "rate.q.solved": "Is your problem solved?", "rate.solved.yes": "Solved", "rate.solved.no": "Not solved",
      "rate.q.satisfaction": "Are you satisfied with the result?",
    },
  });

  const $ = (id) => document.getElementById(id);
  let rows = [];
  let current = null;

  function line(item) {
    const department = item.kind === "answered_directly" ? Hotline.t("cb.hotline") : item.department_name;
    const selected = current && current.ticket_id === item.ticket_id;
    return Hotline.el("tr", { class: selected ? "selected" : "" },
      Hotline.el("th", { scope: "row" }, item.number || item.ticket_id.slice(0, 8)),
      Hotline.el("td", {}, item.category || "—", Hotline.el("span", { class: "delta same" }, department || "—")),
      // The number stays in intake: its page shows it (recorded) and dials it.
      Hotline.el("td", {}, Hotline.el("a", { href: Hotline.link("intake", `/reveal?ticket=${encodeURIComponent(item.ticket_id)}`),
        target: "_blank", rel: "noopener", class: "reveal" }, Hotline.t("cb.reveal"))),
      Hotline.el("td", {}, Hotline.fmtTime(item.created_at)),
      Hotline.el("td", { class: "num" }, item.attempts),
      Hotline.el("td", {}, Hotline.el("button", { type: "button", class: "secondary",
        "aria-label": `${Hotline.t("cb.start")} ${item.number || ""}`, onclick: () => open(item) }, Hotline.t("cb.start"))));
  }

  function render() {
    document.querySelector("#due tbody").replaceChildren(...rows.map(line));
    $("due-count").textContent = rows.length;
    $("empty").hidden = rows.length > 0;
    if (current) $("panel-title").textContent = Hotline.t("cb.panel", { number: current.number || "" });
  }

  async function load() {
    rows = await Hotline.api("/api/v1/callbacks/due");
    render();
  }

  function open(item) {
    current = item;
    const form = $("callback");
    form.reset();
    form.querySelectorAll(".error").forEach((n) => { n.textContent = ""; });
    syncReached();
    $("panel").hidden = false;
    render();
    form.querySelector("input[name='reached']").focus();
  }

  function close() {
    current = null;
    $("panel").hidden = true;
    render();
  }

  function syncReached() {
    const reached = $("callback").reached.value === "true";
    $("answers").hidden = !reached;
  }

  function value(form, name) {
    const input = form.querySelector(`input[name='${name}']:checked`);
    return input ? input.value : null;
  }

  function body(form) {
    const reached = form.reached.value === "true";
    const out = { reached, note: form.note.value };
    if (reached) {
      const contacted = value(form, "contacted");
      const solved = value(form, "solved");
      out.answers = { contacted: contacted === null ? null : contacted === "true",
        solved: solved === null ? null : solved === "true",
        satisfaction: value(form, "satisfaction"), comment: form.comment.value };
    }
    return out;
  }

  function missing(form) {
    if (form.reached.value !== "true") return [];
    return ["contacted", "solved", "satisfaction"].filter((name) => value(form, name) === null);
  }

  async function save(event) {
    event.preventDefault();
    const form = event.target;
    const ticket = current;
    const gaps = missing(form);
    if (gaps.length) {
      const errors = gaps.map((name) => ({ field: `answers.${name}`, message: Hotline.t("cb.required") }));
      Hotline.showErrors(form, { errors });
      form.querySelector(`input[name='${gaps[0]}']`).focus();
      return;
    }
    try {
      const saved = await Hotline.once(`/api/v1/tickets/${encodeURIComponent(ticket.ticket_id)}/callbacks`,
        { body: body(form) });
      FeedbackStaff.toast(Hotline.t(saved.reached ? `cb.saved.${saved.outcome}` : "cb.saved.unreached"));
      close();
      await load();
    } catch (problem) {
      Hotline.showErrors(form, problem);
    }
  }

  async function start() {
    const user = await FeedbackStaff.start("callbacks.title", "callbacks");
    if (!user) return;
    $("callback").addEventListener("submit", save);
    $("callback").addEventListener("change", (e) => {
      if (e.target.name === "reached") syncReached();
      const slot = $("callback").querySelector(`.error[data-for='answers.${e.target.name}']`);
      if (slot) slot.textContent = "";
    });
    $("cancel").addEventListener("click", close);
    $("reload").addEventListener("click", load);
    document.addEventListener("keydown", (e) => { if (e.key === "Escape" && current) close(); });
    document.addEventListener("hotline:lang", render);
    await load();
  }

  start();
})();
