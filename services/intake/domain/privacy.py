"""Who may see a caller's number in clear, and when a number is forgotten. Everyone else
sees 138****5678 (intake's pages) or only whether there is a number (other services).

A number is shown for the work, never for curiosity:
- "logged": the agent who took that call (logged it, or attached it to a ticket), within
  `window` after taking it — by default twelve hours, one shift — so they can call back
  about what they just wrote down. Not the agent's colleagues, not dispatchers, not admins,
  not the same agent on the next shift.
- "callback": any agent, for a ticket whose callback (回访) is due: feedback asked the
  citizen to rate and has no answer yet, so an agent must call them.
Every reveal and every refusal is recorded (see handlers.privacy). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Reason = Literal["logged", "callback"]


@dataclass(frozen=True)
class TakenCall:
    taken_by: str
    taken_at: datetime
    has_number: bool


def may_reveal(call: TakenCall, username: str, now: datetime, window: timedelta) -> bool:
    return call.has_number and call.taken_by == username and now - call.taken_at <= window


def callback_due(due_until: datetime | None, now: datetime) -> bool:
    """A callback is due from the rating request until the ticket is rated, closed or
    reopened (which clears `due_until`), and never past the invitation's expiry."""
    return due_until is not None and now <= due_until


def retention_cutoff(now: datetime, days: int) -> datetime:
    """Tickets closed before this instant have their callers' numbers erased."""
    return now - timedelta(days=days)
