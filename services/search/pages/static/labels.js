// Texts of the search page and the dashboard in both languages: the timeline's events.
// Names of statuses, urgencies, request types… come from the vocabulary (hotline.js).
"use strict";
Hotline.messages({
  zh: {
    "event.TicketCreated": "受理", "event.CallAttached": "重复来电", "event.TicketAnsweredDirectly": "直接答复",
    "event.TicketRaisedForSupervision": "提请督办", "event.TicketQueuedForReview": "待人工派单",
    "event.AssignmentDispatched": "派单", "event.AssignmentAcknowledged": "签收",
    "event.CitizenContacted": "联系市民", "event.ProgressNoted": "进展", "event.AssignmentResolved": "办结",
    "event.AssignmentReturned": "退单", "event.ExtensionRequested": "申请延期",
    "event.ExtensionDecided": "延期审批", "event.SlaWarningRaised": "催办", "event.SlaBreached": "超时",
    "event.AssignmentSupervised": "督办", "event.ClocksPaused": "暂停计时", "event.ClocksResumed": "恢复计时",
    "event.RatingRequested": "发送评价邀请", "event.TicketRated": "市民评价",
    "event.CallbackRecorded": "回访", "event.TicketClosed": "结案", "event.ReopenRequested": "重办",
  },
  en: {
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
  },
});
