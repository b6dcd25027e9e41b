"""When a department's contact with the citizen counts as in time (for the response rate)."""

from __future__ import annotations

from datetime import datetime


def contact_on_time(contacted_at: datetime | None, contact_due: datetime | None) -> bool:
    """A first contact recorded by dispatch no later than its deadline; without a deadline,
    any recorded contact. No recorded contact is never on time, whatever the citizen says."""
    if contacted_at is None:
        return False
    return contact_due is None or contacted_at <= contact_due
