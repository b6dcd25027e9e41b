// Appeals (申诉): a department files one from its workbench's link (?assignment=…); the
// dispatchers and leaders uphold or reject it with a reason; a leader may reverse a decision.
"use strict";
(() => {
  const { el, t } = Hotline;
  Hotline.messages({
    zh: {
      "appeals.title": "申诉", "ap.file": "提出申诉", "ap.kind": "申诉事项",
      "ap.kind.not_ours": "非本单位职责（派单）", "ap.kind.outside_policy": "诉求超出政策范围（考核）",
      "ap.kind.citizen_unreachable": "市民无法联系（考核）", "ap.reason": "申诉理由",
      "ap.photos": "证明材料（照片，最多 3 张）", "ap.submit": "提交申诉", "ap.list": "申诉",
      "ap.show": "显示", "ap.all": "全部", "ap.reload": "刷新",
      "ap.hint": "申诉获支持的工单不计入该单位的三率（响应率、解决率、满意率）；改判后恢复计入。",
      "ap.c.ticket": "工单编号", "ap.c.department": "单位", "ap.c.kind": "事项", "ap.c.status": "状态",
      "ap.c.steps": "经过", "ap.empty": "没有申诉。", "ap.status.pending": "待裁定",
      "ap.status.upheld": "已支持（不计入三率）", "ap.status.rejected": "已驳回",
      "ap.file.hint": "派单 {id}：说明理由，可附照片。派单事项自派单起、考核事项自市民评价起可在规定期限内申诉。",
      "ap.filed": "申诉已提交，等待裁定。", "ap.decision.reason": "裁定理由", "ap.uphold": "支持申诉",
      "ap.reject": "驳回申诉", "ap.reverse.reason": "改判理由", "ap.reverse": "撤销原裁定（改判）",
      "ap.decided": "已裁定。", "ap.step.filed": "{by} 提出申诉", "ap.step.decided": "{by} 裁定：{outcome}",
      "ap.step.reversed": "{by} 改判：{outcome}", "ap.outcome.upheld": "支持", "ap.outcome.rejected": "驳回",
      "ap.photo": "证明材料 {n}",
    },
    en: {
      "appeals.title": "Appeals", "ap.file": "File an appeal", "ap.kind": "What is appealed",
      "ap.kind.not_ours": "Not our responsibility (assignment)",
      "ap.kind.outside_policy": "Demand outside policy (assessment)",
      "ap.kind.citizen_unreachable": "Citizen unreachable (assessment)", "ap.reason": "Reasons",
      "ap.photos": "Evidence (photos, up to 3)", "ap.submit": "File the appeal", "ap.list": "Appeals",
      "ap.show": "Show", "ap.all": "All", "ap.reload": "Reload",
      "ap.hint": "An upheld appeal takes the ticket out of the department's three rates; a reversal puts it back.",
      "ap.c.ticket": "Case", "ap.c.department": "Department", "ap.c.kind": "Appeal", "ap.c.status": "Status",
      "ap.c.steps": "Steps", "ap.empty": "No appeals.", "ap.status.pending": "Awaiting a decision",
      "ap.status.upheld": "Upheld (out of the rates)", "ap.status.rejected": "Rejected",
      "ap.file.hint": "Assignment {id}: give your reasons, photos if any. Appeal in time: from the dispatch for the assignment, from the rating for the assessment.",
      "ap.filed": "Appeal filed; it awaits a decision.", "ap.decision.reason": "Reason for the decision",
      "ap.uphold": "Uphold", "ap.reject": "Reject", "ap.reverse.reason": "Reason for reversing",
      "ap.reverse": "Reverse the decision", "ap.decided": "Decided.", "ap.step.filed": "{by} appealed",
      "ap.step.decided": "{by} decided: {outcome}", "ap.step.reversed": "{by} reversed: {outcome}",
      "ap.outcome.upheld": "upheld", "ap.outcome.rejected": "rejected", "ap.photo": "Evidence {n}",
    },
  });

  const $ = (id) => document.getElementById(id);
  const assignment = new URLSearchParams(location.search).get("assignment");
  let user = null;
  let items = [];
  let photos = [];

  function stepLine(s) {
    const outcome = s.outcome ? t(`ap.outcome.${s.outcome}`) : "";
    return el("li", {}, t(`ap.step.${s.action}`, { by: s.by, outcome }), " · ", Hotline.fmtTime(s.at),
      el("div", { class: "muted" }, s.reason));
  }

  function evidence(ids) {
    if (!ids.length) return null;
    return el("div", { class: "photos" }, ids.map((id, i) => el("a", {
      href: Hotline.link("intake", `/media/${encodeURIComponent(id)}`), target: "_blank", rel: "noopener" },
    t("ap.photo", { n: i + 1 }))));
  }

  // The decision (pending) or reversal (decided, leaders only) this person may make.
  function decisionForm(a) {
    const pending = a.status === "pending";
    if (!Hotline.may(user, pending ? "cue/appeal-decide" : "cue/appeal-reverse")) return null;
    const id = `why-${a.appeal_id}`;
    const form = el("form", { novalidate: true, class: "decision" },
      el("label", { for: id }, t(pending ? "ap.decision.reason" : "ap.reverse.reason")),
      el("textarea", { id, name: "reason", rows: 2, required: true }),
      el("p", { class: "error", "data-for": "reason" }),
      el("p", { class: "error", "data-for": "_", role: "alert" }),
      el("div", { class: "row" }, pending
        ? [el("button", { type: "submit", class: "primary", value: "upheld" }, t("ap.uphold")),
          el("button", { type: "submit", class: "secondary", value: "rejected" }, t("ap.reject"))]
        : el("button", { type: "submit", class: "secondary", value: "reverse" }, t("ap.reverse"))));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const choice = e.submitter ? e.submitter.value : "reverse";
      const base = `/api/v1/appeals/${encodeURIComponent(a.appeal_id)}`;
      const reason = form.elements.reason.value;
      try {
        if (choice === "reverse") await Hotline.once(`${base}/reversal`, { body: { reason } });
        else await Hotline.once(`${base}/decision`, { body: { outcome: choice, reason } });
        FeedbackStaff.toast(t("ap.decided"));
        await load();
      } catch (problem) {
        Hotline.showErrors(form, problem);
      }
    });
    return form;
  }

  function line(a) {
    return el("tr", { "data-appeal": a.appeal_id },
      el("th", { scope: "row" }, a.number || a.ticket_id.slice(0, 8)),
      el("td", {}, a.department_code),
      el("td", {}, t(`ap.kind.${a.kind}`), el("div", { class: "muted" }, a.reason), evidence(a.photos)),
      el("td", {}, el("span", { class: `status ${a.status}` }, t(`ap.status.${a.status}`))),
      el("td", {}, el("ol", { class: "steps" }, a.steps.map(stepLine)), decisionForm(a)));
  }

  function render() {
    document.querySelector("#appeals tbody").replaceChildren(...items.map(line));
    $("count").textContent = items.length;
    $("empty").hidden = items.length > 0;
    if (assignment) $("file-hint").textContent = t("ap.file.hint", { id: assignment });
  }

  async function load() {
    const status = $("status").value;
    items = await Hotline.api(`/api/v1/appeals${status ? `?status=${status}` : ""}`);
    render();
  }

  async function file(event) {
    event.preventDefault();
    const form = event.target;
    const body = { assignment_id: assignment, kind: form.elements.kind.value,
      reason: form.elements.reason.value, photos };
    try {
      await Hotline.once("/api/v1/appeals", { body });
      FeedbackStaff.toast(t("ap.filed"));
      $("file-card").hidden = true;
      $("status").value = "pending";
      await load();
    } catch (problem) {
      Hotline.showErrors(form, problem);
    }
  }

  async function start() {
    user = await FeedbackStaff.start("appeals.title", "appeals");
    if (!user) return;
    const files = Hotline.may(user, "cue/appeal-file");
    if (assignment && files) {
      $("file-card").hidden = false;
      $("file").addEventListener("submit", file);
      if (typeof HotlinePhotos !== "undefined") {
        HotlinePhotos.attach($("photos"), { max: 3, onChange(ids) { photos = ids; } });
      }
    }
    if (files) $("status").value = "";  // their own, decided or not
    $("status").addEventListener("change", load);
    $("reload").addEventListener("click", load);
    document.addEventListener("hotline:lang", render);
    await load();
  }

  start();
})();
