"""What each event says about a ticket, recorded as facts in the ticket's document.

A fact lives in a slot (a path of keys into the document). Every slot remembers the version
of the event that last wrote it — `occurred_at|event_id` — and only a newer event may
overwrite it, so the facts come out the same whatever order the events arrive in. Counts
that only grow (calls, reopenings) keep their maximum instead.

The rating link of `RatingRequested` is a secret meant for the citizen's phone alone: it is
never recorded, sealed or not. Nothing derived from a caller's number is either (old events
still carry a masked number and a keyed hash): only whether the caller left one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from proto import assignments as a
from proto import feedback as f
from proto import tickets as t
from proto.envelope import Envelope, Event

Doc = dict[str, Any]
Recorder = Callable[[Doc, Any, str], None]


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def put(doc: Doc, path: tuple[str, ...], value: Any, version: str) -> None:
    """Writes `value` at `path` unless a newer event already wrote there."""
    slot = "/".join(path)
    versions: dict[str, str] = doc.setdefault("versions", {})
    if version < versions.get(slot, ""):
        return
    versions[slot] = version
    target = doc
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value


def _event_fields(event: Event, *exclude: str) -> dict[str, Any]:
    return event.model_dump(mode="json", exclude=set(exclude))


_NUMBER_FIELDS = ("caller_masked", "caller_key")


def _ticket(doc: Doc, e: t.TicketCreated, version: str) -> None:
    fields = {**_event_fields(e, *_NUMBER_FIELDS), "has_phone": e.with_number}
    put(doc, ("ticket",), fields, version)


def _call(doc: Doc, e: t.CallAttached, version: str) -> None:
    doc["calls_seen"] = max(int(doc.get("calls_seen", 1)), e.calls)
    fields = {**_event_fields(e, *_NUMBER_FIELDS, "call_id"), "has_phone": e.with_number}
    put(doc, ("calls_attached", e.call_id), fields, version)


def _answered(doc: Doc, e: t.TicketAnsweredDirectly, version: str) -> None:
    put(doc, ("answered",), _event_fields(e), version)


def _raised(doc: Doc, e: t.TicketRaisedForSupervision, version: str) -> None:
    put(doc, ("raised",), _event_fields(e), version)


def _queued(doc: Doc, e: a.TicketQueuedForReview, version: str) -> None:
    put(doc, ("review",), _event_fields(e), version)


def _assignment(part: str, *exclude: str) -> Recorder:
    """A recorder keeping an assignment event's fields under assignments/<id>/<part>."""

    def record(doc: Doc, e: Any, version: str) -> None:
        fields = _event_fields(e, "assignment_id", *exclude)
        put(doc, ("assignments", e.assignment_id, part), fields, version)

    return record


def _clock(part: str) -> Recorder:
    """A recorder for per-clock facts (warnings, breaches): one slot per clock."""

    def record(doc: Doc, e: a.SlaWarningRaised | a.SlaBreached, version: str) -> None:
        fields = {"due_at": _iso(e.due_at), "at": _iso(e.at), "sla_state": e.state}
        put(doc, ("assignments", e.assignment_id, part, e.clock), fields, version)

    return record


def _invitation(doc: Doc, e: f.RatingRequested, version: str) -> None:
    fields = _event_fields(e, "link", "sealed_link", "invitation_id")
    put(doc, ("invitations", e.invitation_id), fields, version)


def _keyed(part: str, key: Callable[[Any, Envelope], str]) -> Callable[..., None]:
    """A recorder keeping each event under <part>/<key>, e.g. one rating per invitation."""

    def record(doc: Doc, e: Any, version: str, envelope: Envelope) -> None:
        put(doc, (part, key(e, envelope)), _event_fields(e), version)

    return record


def _closed(doc: Doc, e: f.TicketClosed, version: str) -> None:
    put(doc, ("closed",), _event_fields(e), version)


def _appeal_filed(doc: Doc, e: f.AppealFiled, version: str) -> None:
    put(doc, ("appeals", e.appeal_id, "filed"), _event_fields(e, "appeal_id"), version)


def _appeal_decision(doc: Doc, e: f.AppealDecided | f.AppealReversed, version: str) -> None:
    """The appeal's decision now, and feedback's word on whether the ticket still counts in
    the department's rates: the newest decision or reversal says both."""
    put(doc, ("appeals", e.appeal_id, "decision"), _event_fields(e, "appeal_id"), version)
    put(doc, ("exclusions", e.department_code), e.excluded, version)


RECORDERS: dict[type[Event], Recorder] = {
    t.TicketCreated: _ticket,
    t.CallAttached: _call,
    t.TicketAnsweredDirectly: _answered,
    t.TicketRaisedForSupervision: _raised,
    a.TicketQueuedForReview: _queued,
    a.AssignmentDispatched: _assignment("dispatched"),
    a.AssignmentAcknowledged: _assignment("acknowledged"),
    a.CitizenContacted: _assignment("contacted"),
    a.ProgressNoted: _assignment("progress"),
    a.AssignmentResolved: _assignment("resolved"),
    a.AssignmentReturned: _assignment("returned"),
    a.ExtensionRequested: _assignment("extension_requested"),
    a.ExtensionDecided: _assignment("extension_decided"),
    a.SlaWarningRaised: _clock("warnings"),
    a.SlaBreached: _clock("breaches"),
    a.AssignmentSupervised: _assignment("supervised"),
    a.ClocksPaused: _assignment("paused"),
    a.ClocksResumed: _assignment("resumed"),
    f.RatingRequested: _invitation,
    f.TicketClosed: _closed,
    f.AppealFiled: _appeal_filed,
    f.AppealDecided: _appeal_decision,
    f.AppealReversed: _appeal_decision,
}
# Events of which a ticket may have many, each kept under its own key.
KEYED: dict[type[Event], Callable[..., None]] = {
    # One rating per round (a reopened ticket is rated again), as the feedback service counts.
    f.TicketRated: _keyed("ratings", lambda e, env: str(e.round)),
    f.CallbackRecorded: _keyed("callbacks", lambda e, env: e.callback_id),
    f.ReopenRequested: _keyed("reopens", lambda e, env: str(e.reopen_count)),
}
KNOWN: tuple[type[Event], ...] = (*RECORDERS, *KEYED)


def record(doc: Doc, envelope: Envelope, event: Event, version: str) -> None:
    """Records what `event` says in `doc`; raises TypeError for an event it does not know."""
    kind = type(event)
    if kind in RECORDERS:
        RECORDERS[kind](doc, event, version)
    elif kind in KEYED:
        KEYED[kind](doc, event, version, envelope)
    else:
        raise TypeError(f"no projection for {envelope.type}")
