"""What a citizen answers about one round of handling, and what follows from it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from proto.vocabulary import Satisfaction

SATISFACTIONS: tuple[Satisfaction, ...] = get_args(Satisfaction)
CloseReason = Literal["satisfied", "answered_directly"]


@dataclass(frozen=True, slots=True)
class Answers:
    """The three questions and the optional comment, as given on the page or by phone."""

    contacted: bool
    solved: bool
    satisfaction: Satisfaction
    comment: str = ""

    @property
    def accepted(self) -> bool:
        """Solved and at least basically satisfied: the citizen accepts the result."""
        return self.solved and self.satisfaction != "dissatisfied"


@dataclass(frozen=True, slots=True)
class Close:
    reason: CloseReason


@dataclass(frozen=True, slots=True)
class Reopen:
    """重办 number `count` (1 for the first); `supervise` once `count` exceeds the limit."""

    count: int
    supervise: bool


def settle(
    answers: Answers, *, reopened: int, limit: int, answered_directly: bool
) -> Close | Reopen:
    """Closes an accepted result; otherwise asks for reopening number `reopened + 1`, which
    goes to supervision (督办) instead when more than `limit` reopenings would be needed."""
    if limit < 0 or reopened < 0:
        raise ValueError("the reopen limit and count cannot be negative")
    if answers.accepted:
        return Close("answered_directly" if answered_directly else "satisfied")
    count = reopened + 1
    return Reopen(count=count, supervise=count > limit)
