"""Writes docs/configuration.md from the Settings class: `python -m services.common.settings_doc`.

A test fails while the file and the class disagree, so the reference cannot go stale.
"""

from __future__ import annotations

from pathlib import Path

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from services.common.settings import Settings
from services.dispatch.options import DispatchOptions
from services.feedback.config import FeedbackSettings

# The platform's settings, then the services' own (each under its own sub-prefix).
SECTIONS: tuple[tuple[str, type[BaseSettings]], ...] = (
    ("Every service", Settings),
    ("Dispatch", DispatchOptions),
    ("Feedback", FeedbackSettings),
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
HEADER = """# Configuration reference

Every service reads its settings from environment variables with the prefix `HOTLINE_`
(or a `.env` file in the working directory); dispatch and feedback add their own under
`HOTLINE_DISPATCH_` and `HOTLINE_FEEDBACK_`. Generated from the settings classes by
`python -m services.common.settings_doc`; do not edit by hand.
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


def _section(title: str, settings: type[BaseSettings]) -> str:
    prefix = str(settings.model_config.get("env_prefix", ""))
    rows = [
        f"| `{prefix}{name.upper()}` | {_default(field)} | {field.description or ''} |"
        for name, field in settings.model_fields.items()
    ]
    table = "| variable | default | meaning |\n|---|---|---|\n" + "\n".join(rows)
    return f"\n## {title}\n\n{table}\n"


def render() -> str:
    return HEADER + "".join(_section(title, cls) for title, cls in SECTIONS)


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
