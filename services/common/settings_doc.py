"""Writes docs/configuration.md from the Settings class: `python -m services.common.settings_doc`.

A test fails while the file and the class disagree, so the reference cannot go stale.
"""

from __future__ import annotations

from pathlib import Path

from pydantic.fields import FieldInfo

from services.common.settings import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
HEADER = """# Configuration reference

Every service reads the same settings from environment variables with the prefix `HOTLINE_`
(or a `.env` file in the working directory). Generated from `services/common/settings.py`
by `python -m services.common.settings_doc`; do not edit by hand.

| variable | default | meaning |
|---|---|---|
"""


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        return "(computed)"
    value = field.default
    if isinstance(value, Path):
        value = value.as_posix()
        value = value[value.find("services/") :] if "services/" in value else value
    text = str(value)
    return f"`{text}`" if text else "(empty)"


def render() -> str:
    rows = [
        f"| `HOTLINE_{name.upper()}` | {_default(field)} | {field.description or ''} |"
        for name, field in Settings.model_fields.items()
    ]
    return HEADER + "\n".join(rows) + "\n"


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
