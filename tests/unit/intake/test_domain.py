from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.intake.adapters.seed import load_tree
from services.intake.domain.model import (
    InvalidPhone,
    caller_key,
    mask_phone,
    normalise_phone,
    ticket_number,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("13812345678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("010-65123456", "01065123456"),
        ("0086 13912345678", "13912345678"),
    ],
)
def test_phone_numbers_are_normalised(raw: str, clean: str) -> None:
    assert normalise_phone(raw) == clean


@pytest.mark.parametrize("raw", ["12345", "23812345678", "1381234567a", "", "138123456789"])
def test_invalid_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalise_phone(raw)


def test_mask_keeps_only_prefix_and_last_four() -> None:
    assert mask_phone("13812345678") == "138****5678"


def test_caller_key_depends_on_the_secret() -> None:
    assert caller_key("13812345678", "a") == caller_key("13812345678", "a")
    assert caller_key("13812345678", "a") != caller_key("13812345678", "b")
    assert "13812345678" not in caller_key("13812345678", "a")


def test_ticket_number_uses_the_beijing_day() -> None:
    late_utc = datetime(2026, 11, 27, 17, 30, tzinfo=UTC)  # 01:30 on the 28th in Beijing
    assert ticket_number(late_utc, 7) == "26112800007"


def test_seeded_trees_name_paths_and_leaves() -> None:
    categories = load_tree("catalogue.toml", "categories")
    assert categories.path("010101") == ["城乡建设", "市容环境", "噪音扰民"]
    assert categories.is_leaf("010101")
    assert not categories.is_leaf("0101")
    assert not categories.is_leaf("999999")
    areas = load_tree("addresses.toml", "areas")
    assert areas.path("110105001001") == ["朝阳区", "建外街道", "永安里社区"]
