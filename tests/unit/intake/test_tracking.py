"""Tracking links: signed, long-lived, revocable per ticket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.intake.domain.tracking import TRACKING_DAYS, TrackingSigner

NOW = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
TICKET = "0123456789abcdef0123456789abcdef"
SIGNER = TrackingSigner("s" * 40, "https://12345.example.gov.cn/intake/")


def test_link_opens_its_ticket():
    link = SIGNER.link(TICKET, NOW)
    assert link.startswith("https://12345.example.gov.cn/intake/track/")
    issued = SIGNER.read(link.rsplit("/", 1)[1], NOW + timedelta(days=30))
    assert issued is not None and issued.ticket_id == TICKET
    assert abs((issued.issued - NOW).total_seconds()) < 0.001


def test_forged_or_altered_tokens_are_refused():
    token = SIGNER.token(TICKET, NOW)
    other = "f" * 32 + token[32:]
    assert SIGNER.read(other, NOW) is None
    assert SIGNER.read(token[:-1] + ("A" if token[-1] != "A" else "B"), NOW) is None
    assert TrackingSigner("x" * 40, "").read(token, NOW) is None
    assert SIGNER.read("nonsense", NOW) is None


def test_links_expire_after_their_lifetime():
    token = SIGNER.token(TICKET, NOW)
    assert SIGNER.read(token, NOW + timedelta(days=TRACKING_DAYS - 1)) is not None
    assert SIGNER.read(token, NOW + timedelta(days=TRACKING_DAYS + 1)) is None


def test_revocation_kills_earlier_links_only():
    old = SIGNER.read(SIGNER.token(TICKET, NOW), NOW)
    fresh = SIGNER.read(SIGNER.token(TICKET, NOW + timedelta(seconds=1)), NOW)
    assert old is not None and fresh is not None
    revoked = NOW + timedelta(milliseconds=500)
    assert old.valid_after(None)
    assert not old.valid_after(revoked)
    assert fresh.valid_after(revoked)
