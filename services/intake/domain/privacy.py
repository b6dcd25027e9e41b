"""Who may see a caller's number in clear. Everyone sees 138****5678; the agent handling
the call sees the number, and only while handling it.

"Handling" means: the agent who took that call (logged it, or attached it to a ticket),
within `window` after taking it — by default twelve hours, one shift — so they can call
back about what they just wrote down. Not the agent's colleagues, not dispatchers, not
admins, not the same agent on the next shift. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class TakenCall:
    taken_by: str
    taken_at: datetime
    has_number: bool


def may_reveal(call: TakenCall, username: str, now: datetime, window: timedelta) -> bool:
    return call.has_number and call.taken_by == username and now - call.taken_at <= window
