"""Feedback's rules without I/O: closing or reopening, months, signed
links, the rate limiter and the settings that guard them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from services.common.ratelimit import FixedWindowLimiter
from services.common.settings import PLACEHOLDER_SECRET, Settings
from services.feedback.adapters.links import ForgedLink, LinkSigner
from services.feedback.config import FeedbackSettings
from services.feedback.domain.answers import Answers, Close, Reopen, settle
from services.feedback.domain.months import Month

SECRET = "a-test-secret-that-is-long-enough-for-hmac"
T0 = datetime(2026, 5, 10, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("solved", "satisfaction", "accepted"),
    [
        (True, "satisfied", True),
        (True, "basically_satisfied", True),
        (True, "dissatisfied", False),
        (False, "satisfied", False),
        (False, "dissatisfied", False),
    ],
)
def test_solved_and_satisfied_closes_anything_else_reopens(
    solved: bool, satisfaction: str, accepted: bool
) -> None:
    answers = Answers(contacted=True, solved=solved, satisfaction=satisfaction)  # type: ignore[arg-type]
    decision = settle(answers, reopened=0, limit=2, answered_directly=False)
    assert decision == (Close("satisfied") if accepted else Reopen(count=1, supervise=False))


def test_reopening_goes_to_supervision_past_the_limit() -> None:
    refused = Answers(contacted=True, solved=False, satisfaction="dissatisfied")
    decisions = [settle(refused, reopened=n, limit=2, answered_directly=False) for n in range(4)]
    assert decisions == [
        Reopen(1, supervise=False),
        Reopen(2, supervise=False),
        Reopen(3, supervise=True),
        Reopen(4, supervise=True),
    ]
    assert settle(refused, reopened=0, limit=0, answered_directly=False) == Reopen(1, True)


def test_an_answer_at_the_hotline_closes_as_answered_directly() -> None:
    fine = Answers(contacted=True, solved=True, satisfaction="satisfied")
    assert settle(fine, reopened=0, limit=2, answered_directly=True) == Close("answered_directly")


def test_months_are_beijing_calendar_months() -> None:
    assert Month.parse("2026-05") == Month(2026, 5)
    assert str(Month(2026, 5)) == "2026-05"
    # 16:30 UTC on 31 May is 00:30 on 1 June in Beijing.
    assert Month.of(datetime(2026, 5, 31, 16, 30, tzinfo=UTC)) == Month(2026, 6)
    assert Month.of(datetime(2026, 5, 31, 15, 59, tzinfo=UTC)) == Month(2026, 5)
    assert Month(2026, 1).previous() == Month(2025, 12)
    assert Month(2026, 5) > Month(2026, 4) > Month(2025, 12)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-05", "2026-5", "2026-05-01", "", "x"])
def test_malformed_months_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Month.parse(text)


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_a_signed_link_names_its_invitation_until_it_expires() -> None:
    clock = _Clock(T0)
    signer = LinkSigner(SECRET, timedelta(hours=1), clock)
    token = signer.sign("inv-1")
    assert signer.read(token).invitation_id == "inv-1"
    assert not signer.read(token).expired
    clock.now = T0 + timedelta(hours=1, seconds=1)
    claim = signer.read(token)
    assert (claim.invitation_id, claim.expired) == ("inv-1", True)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: "inv-2" + t[t.index(".") :],  # another invitation, same signature
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
        lambda t: t.split(".")[0],
        lambda t: "",
        lambda t: "not a token at all",
    ],
)
def test_altered_or_foreign_tokens_are_forged(tamper: object) -> None:
    signer = LinkSigner(SECRET, timedelta(hours=1), _Clock(T0))
    token = signer.sign("inv-1")
    with pytest.raises(ForgedLink):
        signer.read(tamper(token))  # type: ignore[operator]
    other = LinkSigner("another-secret-that-is-also-long-enough", timedelta(hours=1))
    with pytest.raises(ForgedLink):
        other.read(token)


def test_the_limiter_allows_the_limit_per_window_and_key() -> None:
    now = [100.0]
    limiter = FixedWindowLimiter(3, 60, clock=lambda: now[0])
    assert [limiter.hit("a") for _ in range(3)] == [None, None, None]
    assert limiter.hit("a") == pytest.approx(20.0)  # the window 60..120 ends in 20 s
    assert limiter.hit("b") is None
    now[0] = 120.0
    assert limiter.hit("a") is None


def test_the_limiter_forgets_old_windows_when_full() -> None:
    now = [0.0]
    limiter = FixedWindowLimiter(1, 10, clock=lambda: now[0], max_keys=2)
    limiter.hit("a")
    limiter.hit("b")
    now[0] = 10.0
    assert limiter.hit("c") is None
    assert limiter.hit("a") is None  # its old window was forgotten, not carried over


def test_weights_that_do_not_add_up_are_refused_at_start() -> None:
    with pytest.raises(ValueError, match="add up to 1"):
        FeedbackSettings(response_weight="0.5")  # type: ignore[arg-type]


def test_production_needs_a_real_link_secret_and_a_public_address() -> None:
    # The shared secrets feedback holds are set: only its own are missing.
    shared = {"jwt_secret": SECRET, "rating_link_keys": Fernet.generate_key().decode()}
    production = Settings.model_construct(profile="production", users_file=Path("u"), **shared)
    public = "https://12345.example.gov.cn/feedback"
    with pytest.raises(ValueError, match="LINK_SECRET"):
        FeedbackSettings(link_secret=PLACEHOLDER_SECRET, public_url=public).checked_for(production)
    with pytest.raises(ValueError, match="PUBLIC_URL"):
        FeedbackSettings(link_secret=SECRET).checked_for(production)
    ready = FeedbackSettings(link_secret=SECRET, public_url=public).checked_for(production)
    assert ready.base_url(production) == public
    FeedbackSettings().checked_for(Settings.model_construct(profile="embedded"))
