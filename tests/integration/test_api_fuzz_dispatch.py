"""Dispatch's API fuzzed from its own OpenAPI document (tests/support/api_fuzz.py)."""

from pathlib import Path

from tests.support.api_fuzz import fuzz


def test_every_operation_answers_as_its_document_says(tmp_path: Path) -> None:
    fuzz("dispatch", tmp_path)
