"""Appeals (申诉): a department disputes its assignment or the assessment of its work on a
ticket; a dispatcher or leader upholds or rejects it; a leader may turn that decision round.
Pure: the rules of docs/three-rates.md (Appeals), no storage.

An upheld appeal excludes the ticket from that department's rates; what the rates count is
decided in the ratings' GROUP BY from the appeals' statuses, so a reversal restores them.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Literal, get_args

from proto.feedback import AppealKind, AppealOutcome
from services.common.errors import Conflict

Status = Literal["pending", "upheld", "rejected"]
KINDS: tuple[AppealKind, ...] = get_args(AppealKind)
# "Not ours" disputes the assignment, counted from its dispatch; the others dispute the
# assessment, counted from the department's latest rating on the ticket.
AGAINST_ASSIGNMENT: frozenset[AppealKind] = frozenset({"not_ours"})
MAX_PHOTOS = 3
# Intake's photo ids (POST /api/v1/photos): a prefix and an unguessable token.
PHOTO_ID = r"^ph_[A-Za-z0-9_-]{8,64}$"
_PHOTO_ID = re.compile(PHOTO_ID)


def is_photo_id(value: str) -> bool:
    return _PHOTO_ID.fullmatch(value) is not None


def within_window(since: datetime, now: datetime, window: timedelta) -> bool:
    """Whether an appeal filed `now` is in time: no later than `window` after `since`."""
    return now <= since + window


def decided(status: str, outcome: AppealOutcome) -> AppealOutcome:
    """The status a first decision gives; only a pending appeal can be decided."""
    if status != "pending":
        raise Conflict("feedback.appeal_already_decided", status=status)
    return outcome


def reversed_(status: str) -> AppealOutcome:
    """The decision turned round (upheld ⇄ rejected); a pending appeal has none to turn."""
    if status == "upheld":
        return "rejected"
    if status == "rejected":
        return "upheld"
    raise Conflict("feedback.appeal_not_decided")
