// Names of the search service's values (statuses, urgency, request types, timeline events)
// in both languages, shared by the search page and the dashboard.
"use strict";
Hotline.messages({
  zh: {
    "nav.search": "工单检索", "nav.dashboard": "领导驾驶舱", "nav.pages": "页面",
    "status.created": "已受理", "status.pending_review": "待派单", "status.dispatched": "已派单",
    "status.acknowledged": "已签收", "status.in_progress": "办理中", "status.returned": "已退单",
    "status.reopened": "重办", "status.resolved": "已办结待评价", "status.answered": "直接答复",
    "status.closed": "已结案",
    "urgency.urgent": "紧急", "urgency.utilities": "水电气热", "urgency.general": "一般",
    "urgency.complex": "复杂",
    "request_type.complaint": "投诉", "request_type.help": "求助", "request_type.consultation": "咨询",
    "request_type.suggestion": "建议", "request_type.report": "举报", "request_type.praise": "表扬",
    "channel.phone": "电话", "channel.web": "网站", "channel.app": "App", "channel.email": "邮件",
    "sla_state.on_time": "未超时", "sla_state.warned": "已催办", "sla_state.breached": "已超时",
    "event.TicketCreated": "受理", "event.CallAttached": "重复来电", "event.TicketAnsweredDirectly": "直接答复",
    "event.TicketRaisedForSupervision": "提请督办", "event.TicketQueuedForReview": "待人工派单",
    "event.AssignmentDispatched": "派单", "event.AssignmentAcknowledged": "签收",
    "event.CitizenContacted": "联系市民", "event.ProgressNoted": "进展", "event.AssignmentResolved": "办结",
    "event.AssignmentReturned": "退单", "event.ExtensionRequested": "申请延期",
    "event.ExtensionDecided": "延期审批", "event.SlaWarningRaised": "催办", "event.SlaBreached": "超时",
    "event.AssignmentSupervised": "督办", "event.ClocksPaused": "暂停计时", "event.ClocksResumed": "恢复计时",
    "event.RatingRequested": "发送评价邀请", "event.TicketRated": "市民评价",
    "event.CallbackRecorded": "回访", "event.TicketClosed": "结案", "event.ReopenRequested": "重办",
    "satisfaction.satisfied": "满意", "satisfaction.basically_satisfied": "基本满意",
    "satisfaction.dissatisfied": "不满意",
  },
  en: {
    "nav.search": "Ticket search", "nav.dashboard": "Leaders' dashboard", "nav.pages": "Pages",
    "status.created": "Received", "status.pending_review": "Awaiting dispatch",
    "status.dispatched": "Dispatched", "status.acknowledged": "Acknowledged",
    "status.in_progress": "In progress", "status.returned": "Returned", "status.reopened": "Reopened",
    "status.resolved": "Resolved, awaiting rating", "status.answered": "Answered directly",
    "status.closed": "Closed",
    "urgency.urgent": "Urgent", "urgency.utilities": "Utilities", "urgency.general": "General",
    "urgency.complex": "Complex",
    "request_type.complaint": "Complaint", "request_type.help": "Help",
    "request_type.consultation": "Consultation", "request_type.suggestion": "Suggestion",
    "request_type.report": "Report", "request_type.praise": "Praise",
    "channel.phone": "Phone", "channel.web": "Web", "channel.app": "App", "channel.email": "Email",
    "sla_state.on_time": "On time", "sla_state.warned": "Warned", "sla_state.breached": "Late",
    "event.TicketCreated": "Received", "event.CallAttached": "Repeat call",
    "event.TicketAnsweredDirectly": "Answered directly", "event.TicketRaisedForSupervision": "Raised for supervision",
    "event.TicketQueuedForReview": "Queued for a dispatcher", "event.AssignmentDispatched": "Dispatched",
    "event.AssignmentAcknowledged": "Acknowledged", "event.CitizenContacted": "Citizen contacted",
    "event.ProgressNoted": "Progress", "event.AssignmentResolved": "Resolved",
    "event.AssignmentReturned": "Returned", "event.ExtensionRequested": "Extension asked",
    "event.ExtensionDecided": "Extension decided", "event.SlaWarningRaised": "Deadline warning",
    "event.SlaBreached": "Deadline missed", "event.AssignmentSupervised": "Supervised",
    "event.ClocksPaused": "Clocks paused", "event.ClocksResumed": "Clocks resumed",
    "event.RatingRequested": "Rating requested", "event.TicketRated": "Rated by citizen",
    "event.CallbackRecorded": "Callback", "event.TicketClosed": "Closed", "event.ReopenRequested": "Reopened",
    "satisfaction.satisfied": "Satisfied", "satisfaction.basically_satisfied": "Mostly satisfied",
    "satisfaction.dissatisfied": "Dissatisfied",
  },
});

// Tabs between the two pages; the dashboard only for those who may open it.
function searchNav(user, current) {
  const nav = document.querySelector("nav.tabs");
  if (!nav) return;
  const leader = user && ["leader", "dispatcher", "admin"].includes(user.role);
  const tabs = [["search", "nav.search"], ...(leader ? [["dashboard", "nav.dashboard"]] : [])];
  nav.replaceChildren(...tabs.map(([href, key]) => Hotline.el("a", {
    href: `${Hotline.BASE}/${href}`, "data-i18n": key, "aria-current": href === current ? "page" : undefined,
  }, Hotline.t(key))));
}
