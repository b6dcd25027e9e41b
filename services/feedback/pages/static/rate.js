// The citizen's rating page: reads the ticket and token from `?ticket=…&t=…`,
// shows the invitation, sends one rating. Every failure ends on a friendly page.
"use strict";
(() => {
  Hotline.messages({
    zh: {
      "rate.heading": "请为这次办理评价", "rate.lead": "三个问题，大约半分钟。",
      "rate.ticket": "工单编号", "rate.category": "反映事项", "rate.department": "承办单位",
      "rate.department.hotline": "12345 热线直接答复",
      "rate.q.contacted": "承办单位是否联系过您？", "rate.contacted.yes": "联系过", "rate.contacted.no": "没有联系",
      "rate.q.solved": "您反映的问题是否已解决？", "rate.solved.yes": "已解决", "rate.solved.no": "未解决",
      "rate.q.satisfaction": "您对办理结果是否满意？",
      "rate.comment": "还想说点什么？（选填）", "rate.comment.placeholder": "例如：哪里还没有解决",
      "rate.submit": "提交评价", "rate.sending": "正在提交…",
      "rate.once": "每个链接只能提交一次。评价只用于改进办理工作，不会公开您的信息。",
      "rate.hotline": "如还有问题，请随时拨打 12345。", "rate.required": "请选择一项",
      "rate.thanks": "感谢您的评价", "rate.closed": "您的工单已办结。",
      "rate.reopened": "我们已要求承办单位重新办理，会尽快与您联系。",
      "rate.supervised": "您的诉求已转入督办，将由专人跟进办理。",
      "rate.used.title": "您已经评价过了", "rate.used.text": "这个链接已经提交过评价，感谢您的反馈。",
      "rate.expired.title": "链接已过期", "rate.expired.text": "评价期限已过。如问题仍未解决，请拨打 12345。",
      "rate.superseded.title": "链接已更新", "rate.superseded.text": "您收到了新的评价短信，请使用最近一条短信中的链接。",
      "rate.invalid.title": "链接无法打开", "rate.invalid.text": "请确认打开的是短信中的完整链接。如有疑问，请拨打 12345。",
      "rate.busy.title": "请稍后再试", "rate.busy.text": "操作太频繁了，请过一会儿再打开链接。",
      "rate.offline.title": "网络不可用", "rate.offline.text": "请检查网络后刷新本页，您的链接仍然有效。",
    },
    en: {
      "rate.heading": "Please rate how your case was handled", "rate.lead": "Three questions, about half a minute.",
      "rate.ticket": "Case number", "rate.category": "Matter", "rate.department": "Handled by",
      "rate.department.hotline": "Answered by the 12345 hotline",
      "rate.q.contacted": "Did the department contact you?", "rate.contacted.yes": "Yes", "rate.contacted.no": "No",
      "rate.q.solved": "Is your problem solved?", "rate.solved.yes": "Solved", "rate.solved.no": "Not solved",
      "rate.q.satisfaction": "Are you satisfied with the result?",
      "rate.comment": "Anything else? (optional)", "rate.comment.placeholder": "e.g. what is still not solved",
      "rate.submit": "Send my rating", "rate.sending": "Sending…",
      "rate.once": "Each link can be used once. Ratings only serve to improve the service; your details are never published.",
      "rate.hotline": "If you still need help, call 12345 any time.", "rate.required": "Please choose one",
      "rate.thanks": "Thank you for your rating", "rate.closed": "Your case is now closed.",
      "rate.reopened": "We have asked the department to handle it again; they will contact you soon.",
      "rate.supervised": "Your case has been escalated for supervision; a supervisor will follow it up.",
      "rate.used.title": "You have already rated", "rate.used.text": "This link was already used to rate. Thank you for your feedback.",
      "rate.expired.title": "This link has expired", "rate.expired.text": "The time to rate has passed. If the problem remains, call 12345.",
      "rate.superseded.title": "This link was replaced", "rate.superseded.text": "You received a newer text; please use the link in the latest one.",
      "rate.invalid.title": "This link cannot be opened", "rate.invalid.text": "Check that the whole link from the text was opened. Questions? Call 12345.",
      "rate.busy.title": "Please try again shortly", "rate.busy.text": "Too many attempts; open the link again in a little while.",
      "rate.offline.title": "No network", "rate.offline.text": "Check your connection and reload; your link still works.",
    },
  });

  const $ = (id) => document.getElementById(id);
  const query = new URLSearchParams(location.search);
  const ticketId = query.get("ticket") || "";
  const token = query.get("t") || "";
  const base = `/api/v1/tickets/${encodeURIComponent(ticketId)}`;
  const OUTCOMES = { closed: "ok", reopened: "info", supervised: "info" };
  const PROBLEMS = {
    "feedback.link_used": "used", "feedback.link_expired": "expired",
    "feedback.link_superseded": "superseded", "feedback.link_invalid": "invalid",
    "feedback.rate_limited": "busy",
  };
  let invitation = null;
  let shown = null; // what the outcome section shows, to re-render on a language switch

  function problemKind(problem) {
    if (problem.status === 0) return "offline";
    const code = (problem.body && problem.body.type || "").split("/").pop();
    return PROBLEMS[code] || (problem.status === 404 ? "invalid" : null);
  }

  function showOutcome(kind, tone, title, text, focus = true) {
    shown = { kind, tone, title, text };
    $("loading").hidden = true;
    $("invite").hidden = true;
    const section = $("outcome");
    section.className = `result ${tone}`;
    $("outcome-icon").textContent = tone === "ok" ? "✓" : tone === "info" ? "↻" : "!";
    $("outcome-title").textContent = Hotline.t(title);
    $("outcome-text").textContent = Hotline.t(text);
    section.hidden = false;
    if (focus) section.focus();
  }

  function showProblem(problem) {
    const kind = problemKind(problem);
    if (!kind) return false;
    showOutcome(kind, kind === "used" ? "ok" : "warn", `rate.${kind}.title`, `rate.${kind}.text`);
    return true;
  }

  function fillInvitation(data) {
    invitation = data;
    $("ticket-number").textContent = data.ticket_number || "—";
    $("category").textContent = data.category || "—";
    const hotline = data.kind === "answered_directly";
    $("department").textContent = hotline ? Hotline.t("rate.department.hotline") : data.department_name || "—";
    // Answered on the call itself: nobody else had to contact the citizen.
    $("q-contacted").hidden = hotline;
    $("loading").hidden = true;
    $("invite").hidden = false;
  }

  function chosen(form, name) {
    const input = form.querySelector(`input[name='${name}']:checked`);
    return input ? input.value : null;
  }

  function missing(form) {
    const names = ["contacted", "solved", "satisfaction"].filter((n) => !$(`q-${n}`).hidden);
    return names.filter((name) => chosen(form, name) === null);
  }

  function markMissing(form, names) {
    form.querySelectorAll(".error").forEach((n) => { n.textContent = ""; });
    for (const name of names) {
      $(`err-${name}`).textContent = Hotline.t("rate.required");
      $(`q-${name}`).classList.add("invalid");
    }
    if (names.length) form.querySelector(`input[name='${names[0]}']`).focus();
  }

  async function submit(event) {
    event.preventDefault();
    const form = event.target;
    const gaps = missing(form);
    markMissing(form, gaps);
    if (gaps.length) return;
    const button = $("submit");
    button.disabled = true;
    button.textContent = Hotline.t("rate.sending");
    const body = {
      token,
      contacted: $("q-contacted").hidden ? true : chosen(form, "contacted") === "true",
      solved: chosen(form, "solved") === "true",
      satisfaction: chosen(form, "satisfaction"),
      comment: form.comment.value,
    };
    try {
      const receipt = await Hotline.once(`${base}/ratings`, { body, redirectOn401: false });
      showOutcome("thanks", OUTCOMES[receipt.outcome] || "ok", "rate.thanks", `rate.${receipt.outcome}`);
    } catch (problem) {
      if (!showProblem(problem)) Hotline.showErrors(form, problem);
    } finally {
      button.disabled = false;
      button.textContent = Hotline.t("rate.submit");
    }
  }

  function wire() {
    const form = $("rating");
    form.addEventListener("submit", submit);
    form.addEventListener("change", (event) => {
      const field = event.target.closest("fieldset");
      if (field) { field.classList.remove("invalid"); field.querySelector(".error").textContent = ""; }
    });
    form.comment.addEventListener("input", () => {
      $("comment-count").textContent = `${form.comment.value.length} / 500`;
    });
    $("lang-switch").addEventListener("click", () => Hotline.setLang(Hotline.lang() === "zh" ? "en" : "zh"));
    document.addEventListener("hotline:lang", () => {
      if (shown) showOutcome(shown.kind, shown.tone, shown.title, shown.text, false);
      else if (invitation) fillInvitation(invitation);
    });
  }

  async function start() {
    Hotline.translate();
    wire();
    if (!ticketId || !token) { showOutcome("invalid", "warn", "rate.invalid.title", "rate.invalid.text"); return; }
    try {
      fillInvitation(await Hotline.api(`${base}/invitation?token=${encodeURIComponent(token)}`, { redirectOn401: false }));
    } catch (problem) {
      if (!showProblem(problem)) showOutcome("invalid", "warn", "rate.invalid.title", "rate.invalid.text");
    }
  }

  start();
})();
