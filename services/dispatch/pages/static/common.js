// Dispatch pages: shared words and live countdowns (the header, menu and tabs are the page
// kit's: hotline.js).
"use strict";
const Dispatch = (() => {
  const { t, el } = Hotline;
  Hotline.messages({
    zh: {
      "clock.acknowledge": "签收", "clock.contact": "联系", "clock.resolve": "办结",
      "basis.working": "按工作时", "basis.natural": "按自然时", "basis.working_days": "按工作日",
      "badge.supervised": "督办", "badge.waiting": "等待市民",
      "reason.not_our_duty": "不属于本单位职责", "reason.wrong_address": "地址有误",
      "reason.duplicate": "重复工单", "reason.other_level": "应由上级或其他层级办理",
      "reason.other": "其他",
      "left": "剩 {time}", "over": "超 {time}", "until": "{clock}时限", "paused": "已暂停",
      "d": "{n}天", "h": "{n}时", "m": "{n}分", "s": "{n}秒",
      "ev.AssignmentDispatched": "派单", "ev.AssignmentAcknowledged": "签收",
      "ev.CitizenContacted": "联系市民", "ev.ProgressNoted": "办理进展", "ev.AssignmentResolved": "办结",
      "ev.AssignmentReturned": "退单", "ev.ExtensionRequested": "申请延期",
      "ev.ExtensionDecided": "延期审批", "ev.SlaWarningRaised": "催办提醒", "ev.SlaBreached": "超期",
      "ev.AssignmentSupervised": "督办", "ev.ClocksPaused": "暂停计时（等待市民）",
      "ev.ClocksResumed": "恢复计时", "by.system": "系统", "by.routing": "自动派单",
      "rule.rule": "派单规则 {id}", "rule.territory:street": "属地：街乡镇", "rule.territory:district": "属地：区政府兜底",
      "rule.manual": "派单员人工派单", "rule.reopen:previous": "重办：原承办单位", "rule.fallback:center": "热线中心",
    },
    en: {
      "clock.acknowledge": "Acknowledge", "clock.contact": "Contact", "clock.resolve": "Resolve",
      "basis.working": "working hours", "basis.natural": "every hour", "basis.working_days": "working days",
      "badge.supervised": "Supervised",
      "badge.waiting": "Waiting on citizen", "reason.not_our_duty": "Not our responsibility",
      "reason.wrong_address": "Wrong address", "reason.duplicate": "Duplicate ticket",
      "reason.other_level": "Belongs to another level", "reason.other": "Other",
      "left": "{time} left", "over": "{time} overdue", "until": "{clock} deadline", "paused": "Paused",
      "d": "{n}d", "h": "{n}h", "m": "{n}m", "s": "{n}s",
      "ev.AssignmentDispatched": "Dispatched", "ev.AssignmentAcknowledged": "Acknowledged",
      "ev.CitizenContacted": "Citizen contacted", "ev.ProgressNoted": "Progress",
      "ev.AssignmentResolved": "Resolved", "ev.AssignmentReturned": "Returned",
      "ev.ExtensionRequested": "Extension asked", "ev.ExtensionDecided": "Extension decided",
      "ev.SlaWarningRaised": "Deadline warning", "ev.SlaBreached": "Deadline missed",
      "ev.AssignmentSupervised": "Supervision", "ev.ClocksPaused": "Clocks paused (waiting on citizen)",
      "ev.ClocksResumed": "Clocks resumed", "by.system": "System", "by.routing": "Automatic routing",
      "rule.rule": "Routing rule {id}", "rule.territory:street": "Territory: street office",
      "rule.territory:district": "Territory: district government (fallback)", "rule.manual": "Sent by a dispatcher",
      "rule.reopen:previous": "Reopened: previous department", "rule.fallback:center": "Hotline centre",
    },
  });

  function span(seconds) {
    let s = Math.floor(Math.abs(seconds));
    const d = Math.floor(s / 86400); s -= d * 86400;
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    if (d) return t("d", { n: d }) + t("h", { n: h });
    if (h) return t("h", { n: h }) + t("m", { n: m });
    return t("m", { n: m }) + t("s", { n: s });
  }

  // A countdown element carries its deadline and warning time; tick() refreshes them all.
  function countdown(due, warn, clock) {
    const node = el("span", { class: "countdown", "data-due": due || "", "data-warn": warn || "",
      "data-clock": clock || "" });
    paint(node);
    return node;
  }

  function paint(node) {
    const due = node.dataset.due;
    if (!due) { node.className = "countdown idle"; node.textContent = t("paused"); return; }
    const left = (new Date(due) - Date.now()) / 1000;
    const warned = node.dataset.warn && new Date(node.dataset.warn) <= Date.now();
    node.className = "countdown " + (left < 0 ? "bad" : warned ? "warn" : "ok");
    node.replaceChildren(t(left < 0 ? "over" : "left", { time: span(left) }));
    if (node.dataset.clock) node.append(el("small", {}, t("until", { clock: t("clock." + node.dataset.clock) })));
  }

  function tick() { document.querySelectorAll(".countdown[data-due]").forEach(paint); }
  setInterval(tick, 1000);

  // The running clock due first: what a department must watch now.
  function nextClock(a) {
    const running = Object.values(a.clocks || {}).filter((c) => c.state === "running");
    running.sort((x, y) => new Date(x.due_at) - new Date(y.due_at));
    return running[0] || null;
  }

  function who(name) { return name === "system" || name === "routing" || name === "scheduler" ? t("by." + (name === "scheduler" ? "system" : name)) : name; }

  function rule(name) {
    if (String(name).startsWith("rule:")) return t("rule.rule", { id: name.slice(5) });
    const key = "rule." + name;
    return t(key) === key ? name : t(key);
  }

  function announce(text) { const n = document.getElementById("announce"); if (n) n.textContent = text; }

  return { countdown, tick, nextClock, span, who, rule, announce };
})();
