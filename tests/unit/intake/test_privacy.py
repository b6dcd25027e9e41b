"""Caller privacy, duplicates and SMS retries as pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from services.common.settings import Settings
from services.dispatch.config import DispatchSettings
from services.intake.adapters.vault import PhoneVault, VaultError
from services.intake.config import IntakeSettings
from services.intake.domain import duplicates
from services.intake.domain.model import supervision_due
from services.intake.domain.privacy import TakenCall, may_reveal
from services.intake.domain.sms import RetryPolicy, rating_text

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
SHIFT = timedelta(hours=12)


def test_the_vault_encrypts_masks_and_keys_the_number() -> None:
    vault = PhoneVault(Fernet.generate_key().decode(), "secret")
    caller = vault.seal("13812345678")
    assert caller.masked == "138****5678"
    assert caller.cipher is not None and "13812345678" not in caller.cipher
    assert caller.key == vault.seal("13812345678").key
    assert caller.cipher != vault.seal("13812345678").cipher  # a fresh IV each time
    assert vault.open(caller.cipher) == "13812345678"
    assert vault.seal(None).cipher is None


def test_keys_rotate_without_losing_old_numbers() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored = PhoneVault(old, "s").seal("01065123456").cipher
    assert stored is not None
    rotated = PhoneVault(f"{new},{old}", "s")
    assert rotated.open(stored) == "01065123456"
    assert PhoneVault(new, "s").open(rotated.rotate(stored)) == "01065123456"
    with pytest.raises(VaultError):
        PhoneVault(new, "s").open(stored)


@pytest.mark.parametrize(
    ("who", "age", "has_number", "allowed"),
    [
        ("agent1", timedelta(minutes=3), True, True),
        ("agent1", timedelta(hours=11), True, True),
        ("agent1", timedelta(hours=13), True, False),
        ("agent2", timedelta(minutes=3), True, False),
        ("admin", timedelta(0), True, False),
        ("agent1", timedelta(0), False, False),
    ],
)
def test_only_the_agent_handling_the_call_sees_the_number(
    who: str, age: timedelta, has_number: bool, allowed: bool
) -> None:
    call = TakenCall("agent1", NOW - age, has_number)
    assert may_reveal(call, who, NOW, SHIFT) is allowed


def test_supervision_is_raised_once_at_the_third_call() -> None:
    assert supervision_due(2, "a", NOW) is None
    raised = supervision_due(3, "a", NOW)
    assert raised is not None and (raised.calls, raised.raised_by) == (3, "a")
    assert supervision_due(4, "a", NOW) is None


def _candidate(n: int, category: str, text: str) -> duplicates.Candidate:
    return duplicates.Candidate(f"t{n}", category, text)


def test_duplicates_need_the_same_category_or_similar_text() -> None:
    candidates = [
        _candidate(1, "020101", "小区停水两天了"),
        _candidate(2, "010101", "楼下餐馆噪音"),
        _candidate(3, "010501", "夜间施工噪音扰民严重"),
        _candidate(4, "010101", "夜间施工噪音扰民，影响休息"),
    ]
    ranked = duplicates.rank(candidates, "010101", "夜间施工噪音扰民", limit=10)
    assert [m.ticket_id for m in ranked] == ["t4", "t2", "t3"]
    assert ranked[0].same_category and ranked[0].similarity > 0.5
    assert not ranked[2].same_category and ranked[2].similarity >= duplicates.SIMILAR_TEXT


def test_failed_texts_back_off_and_give_up() -> None:
    policy = RetryPolicy(max_attempts=4, base_seconds=5, max_seconds=12)
    assert policy.after_failure(1, NOW) == NOW + timedelta(seconds=5)
    assert policy.after_failure(2, NOW) == NOW + timedelta(seconds=10)
    assert policy.after_failure(3, NOW) == NOW + timedelta(seconds=12)
    assert policy.after_failure(4, NOW) is None


def test_the_rating_text_names_the_ticket_the_link_and_the_beijing_day() -> None:
    text = rating_text("26112800001", "https://x/r/abc", datetime(2026, 11, 30, 17, tzinfo=UTC))
    assert "26112800001" in text and text.endswith("https://x/r/abc")
    assert "12月01日" in text


def test_the_placeholder_phone_key_is_refused_outside_the_embedded_profile(
    tmp_path: Path,
) -> None:
    users = tmp_path / "users.toml"
    users.write_text("users = []\n")
    real: dict[str, Any] = {"jwt_secret": "s" * 40, "users_file": users}
    key = Fernet.generate_key().decode()
    # Only intake holds the phone keys: the other services start without them.
    others = Settings(profile="production", rating_link_keys=key, **real)
    with pytest.raises(ValueError, match="HOTLINE_PHONE_KEYS"):
        IntakeSettings(caller_key_secret="k" * 40).checked_for(others)
    assert DispatchSettings().checked_for(others).scheduler
    portal = "https://12345.example.gov.cn/intake"
    ready = IntakeSettings(phone_keys=key, caller_key_secret="k" * 40, portal_url=portal)
    ready = ready.checked_for(others)
    assert ready.phone_keys == key
    with pytest.raises(ValidationError, match="SMS_GATEWAY_URL"):
        IntakeSettings(sms_gateway="http")
