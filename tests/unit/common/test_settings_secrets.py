"""Secrets a profile needs: production names every missing one at once, one line each; the
embedded profile keeps its published placeholders to loopback addresses."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from services.common.settings import PLACEHOLDER_SECRET, Settings
from services.dispatch.config import DispatchSettings
from services.feedback.config import FeedbackSettings
from services.intake.config import IntakeSettings
from services.search.config import SearchSettings

SECRET = "s" * 40


@pytest.fixture
def real(tmp_path: Path) -> dict[str, object]:
    users = tmp_path / "users.toml"
    users.write_text("users = []\n")
    key = Fernet.generate_key().decode()
    return {"jwt_secret": SECRET, "rating_link_keys": key, "users_file": users}


@pytest.fixture
def intake_real() -> dict[str, object]:
    return {
        "caller_key_secret": SECRET,
        "phone_keys": Fernet.generate_key().decode(),
        "portal_url": "https://12345.example.gov.cn/intake",
    }


def _message(exc: pytest.ExceptionInfo[BaseException]) -> str:
    return str(exc.value)


def test_production_names_each_missing_secret_on_its_own_line() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, profile="production")  # type: ignore[call-arg]
    lines = _message(refused).splitlines()
    for name in ("HOTLINE_JWT_SECRET", "HOTLINE_USERS_FILE"):
        assert sum(line.startswith(f"{name} must be set") for line in lines) == 1, lines


def test_production_intake_names_the_secrets_only_it_holds(real: dict[str, object]) -> None:
    shared = {k: v for k, v in real.items() if k in ("jwt_secret", "users_file")}
    settings = Settings(_env_file=None, profile="production", **shared)  # type: ignore[arg-type]
    with pytest.raises(ValueError) as refused:
        IntakeSettings(_env_file=None).checked_for(settings)  # type: ignore[call-arg]
    lines = _message(refused).splitlines()
    names = ("HOTLINE_CALLER_KEY_SECRET", "HOTLINE_PHONE_KEYS", "HOTLINE_RATING_LINK_KEYS")
    for name in names:  # its own secrets and the shared one it holds, all at once
        assert sum(line.startswith(f"{name} must be set") for line in lines) == 1, lines
    for own in (DispatchSettings, SearchSettings):  # they hold none of them
        own(_env_file=None).checked_for(settings)  # type: ignore[call-arg]


def test_a_short_secret_is_no_secret_in_production(
    real: dict[str, object], intake_real: dict[str, object]
) -> None:
    with pytest.raises(ValidationError, match="HOTLINE_JWT_SECRET must be set"):
        Settings(_env_file=None, profile="production", **(real | {"jwt_secret": "short"}))  # type: ignore[arg-type]
    settings = Settings(_env_file=None, profile="production", **real)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="HOTLINE_CALLER_KEY_SECRET must be set"):
        IntakeSettings(**(intake_real | {"caller_key_secret": "short"})).checked_for(settings)  # type: ignore[arg-type]
    IntakeSettings(**intake_real).checked_for(settings)  # type: ignore[arg-type]


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_the_embedded_placeholders_are_fine_on_loopback(host: str) -> None:
    settings = Settings(_env_file=None, host=host)  # type: ignore[call-arg]
    assert settings.jwt_secret == PLACEHOLDER_SECRET
    assert IntakeSettings(_env_file=None).checked_for(settings).placeholders()  # type: ignore[call-arg]
    FeedbackSettings(_env_file=None).checked_for(settings)  # type: ignore[call-arg]


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "hotline.example.gov.cn"])
def test_the_embedded_placeholders_are_refused_on_any_other_address(host: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, host=host)  # type: ignore[call-arg]
    message = _message(refused)
    assert f"HOTLINE_HOST={host} would expose" in message
    assert "HOTLINE_JWT_SECRET" in message and "HOTLINE_USERS_FILE" in message
    assert "listen on 127.0.0.1" in message


def test_the_embedded_profile_may_listen_widely_once_every_placeholder_is_replaced(
    real: dict[str, object], intake_real: dict[str, object]
) -> None:
    wide = Settings(_env_file=None, host="0.0.0.0", **real)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="HOTLINE_PHONE_KEYS"):
        IntakeSettings(_env_file=None, caller_key_secret=SECRET).checked_for(wide)  # type: ignore[call-arg]
    IntakeSettings(_env_file=None, **intake_real).checked_for(wide)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="HOTLINE_FEEDBACK_LINK_SECRET"):
        FeedbackSettings(_env_file=None).checked_for(wide)  # type: ignore[call-arg]
    FeedbackSettings(_env_file=None, link_secret=SECRET).checked_for(wide)  # type: ignore[call-arg]


def test_production_feedback_names_both_of_its_missing_values(real: dict[str, object]) -> None:
    settings = Settings(_env_file=None, profile="production", **real)  # type: ignore[arg-type]
    with pytest.raises(ValueError) as refused:
        FeedbackSettings(_env_file=None).checked_for(settings)  # type: ignore[call-arg]
    lines = _message(refused).splitlines()
    assert "HOTLINE_FEEDBACK_LINK_SECRET must be set" in lines
    assert "HOTLINE_FEEDBACK_PUBLIC_URL must be set" in lines


def test_production_intake_needs_the_citizens_address(
    real: dict[str, object], intake_real: dict[str, object]
) -> None:
    settings = Settings(_env_file=None, profile="production", **real)  # type: ignore[arg-type]
    unset = {**intake_real, "portal_url": ""}
    with pytest.raises(ValueError) as refused:
        IntakeSettings(_env_file=None, **unset).checked_for(settings)  # type: ignore[call-arg]
    assert "HOTLINE_PORTAL_URL must be set" in _message(refused).splitlines()
    IntakeSettings(_env_file=None, **intake_real).checked_for(settings)  # type: ignore[call-arg]
