"""Intake's series exist from start-up, before anything happened: a series born with its
first increment is invisible to rate() and increase(), so the first email ticket, failed
answer or refused request would raise no alert and leave a dashboard's panel empty."""

from __future__ import annotations

from typing import get_args

import pytest
from prometheus_client import REGISTRY

from proto.vocabulary import Channel
from services.intake import metrics  # noqa: F401  # creates the series


def _exists(name: str, **labels: str) -> bool:
    return REGISTRY.get_sample_value(name, labels) is not None


@pytest.mark.parametrize("channel", get_args(Channel))
def test_every_channel_has_its_calls_series(channel: str) -> None:
    for outcome in ("created", "attached"):
        assert _exists(
            "hotline_intake_calls_total", channel=channel, request_type="complaint", outcome=outcome
        )
    assert _exists(
        "hotline_intake_calls_total",
        channel=channel,
        request_type="consultation",
        outcome="answered",
    )
    # Only a consultation is answered at intake: no series that can never move.
    assert not _exists(
        "hotline_intake_calls_total", channel=channel, request_type="complaint", outcome="answered"
    )


def test_the_inbox_and_the_public_limits_have_theirs() -> None:
    for outcome in ("ticket", "duplicate", "automatic", "failed"):
        assert _exists("hotline_mail_messages_total", outcome=outcome)
    for outcome in ("sent", "retried", "failed"):
        assert _exists("hotline_mail_replies_total", outcome=outcome)
    for scope in ("portal", "media", "open311"):
        assert _exists("hotline_intake_rate_limited_total", scope=scope)
    assert _exists("hotline_mail_replies_waiting")
    assert _exists("hotline_mail_last_read_timestamp_seconds")
