"""Feedback's own metrics. Departments are labels (a few hundred); tickets never are."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Gauge

RATINGS = Counter(
    "hotline_feedback_ratings_total",
    "Ratings stored, by the department they count for and how they came in",
    ["department", "via"],
)
ANSWERS = Counter(
    "hotline_feedback_answers_total",
    "Answers given in ratings, by department, question and answer",
    ["department", "question", "answer"],
)
CALLBACKS = Counter("hotline_feedback_callbacks_total", "Callbacks (回访) recorded", ["reached"])
TICKETS_CLOSED = Counter(
    "hotline_feedback_tickets_closed_total", "Tickets closed by feedback", ["reason"]
)
REOPENS = Counter(
    "hotline_feedback_reopen_requests_total",
    "Reopenings (重办) asked of dispatch; supervise=true past the limit",
    ["supervise"],
)
RATE_LIMITED = Counter(
    "hotline_feedback_rate_limited_total", "Public requests refused for coming too often"
)
MONTH_RATE = Gauge(
    "hotline_feedback_current_month_rate_ratio",
    "This month's rates so far (Beijing time), 0..1: response, resolution, satisfaction, score",
    ["department", "rate"],
)
MONTH_RATED = Gauge(
    "hotline_feedback_current_month_ratings", "Ratings this month so far", ["department"]
)
PENDING_INVITATIONS = Gauge(
    "hotline_feedback_pending_invitations", "Invitations sent and not yet answered or expired"
)

NO_DEPARTMENT = "none"
VIAS = ("link", "callback")


def declare(departments: Iterable[str]) -> None:
    """Creates the ratings counter at zero for every department known (and for ratings
    that count for none): a series born at 1 is invisible to rate() and increase()."""
    for department in (NO_DEPARTMENT, *departments):
        for via in VIAS:
            RATINGS.labels(department, via)


declare(())
