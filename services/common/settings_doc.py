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
from services.search.adapters.elastic import NODE_CLASS_ENV

# The platform's settings, then the services' own (each under its own sub-prefix).
SECTIONS: tuple[tuple[str, type[BaseSettings]], ...] = (
    ("Every service", Settings),
    ("Dispatch", DispatchOptions),
    ("Feedback", FeedbackSettings),
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
HEADER = """# Configuration reference

Every setting is an environment variable. There are {count} settings classes, one table each:

{classes}

Beside them, search's Elasticsearch client reads `{node_class}`: the import path of a
client node class, which the tests set to talk to an OpenSearch-compatible server;
production leaves it unset. Generated from the settings classes by
`python -m services.common.settings_doc`; do not edit by hand.
"""


def _class_line(title: str, settings: type[BaseSettings]) -> str:
    prefix = settings.model_config.get("env_prefix", "")
    readers = "every service" if title == "Every service" else title.lower()
    env_file = settings.model_config.get("env_file")
    source = f"and a `{env_file}` file in the working directory" if env_file else "only"
    where = f"`{settings.__module__}.{settings.__qualname__}`"
    return f"- {where}: `{prefix}*`, read by {readers} from the environment {source}."


def _header() -> str:
    classes = "\n".join(_class_line(title, cls) for title, cls in SECTIONS)
    return HEADER.format(count=len(SECTIONS), classes=classes, node_class=NODE_CLASS_ENV)


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
    return _header() + "".join(_section(title, cls) for title, cls in SECTIONS)


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
