"""Writes docs/configuration.md from the settings classes: `python -m services.settings_doc`
(or `hotline config-doc`).

The platform's `Settings`, then each service's own: every `ServiceSettings` subclass found in
`services/<name>/config.py`, found by scanning the package, so the shared kit knows no
service. A test fails while the file and the classes disagree, so the reference cannot go
stale.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
from pathlib import Path

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

import services
from services.common.settings import ServiceSettings, Settings
from services.search.adapters.elastic import NODE_CLASS_ENV

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
HEADER = """# Configuration reference

Every setting is an environment variable. There are {count} settings classes, one table each:

{classes}

Beside them, search's Elasticsearch client reads `{node_class}`: the import path of a
client node class, which the tests set to talk to an OpenSearch-compatible server;
production leaves it unset. Generated from the settings classes by
`python -m services.settings_doc`; do not edit by hand.
"""


def service_settings() -> dict[str, type[ServiceSettings]]:
    """Service name → its own settings class, from every `services/<name>/config.py`."""
    found: dict[str, type[ServiceSettings]] = {}
    for package in pkgutil.iter_modules(services.__path__):
        name = f"{services.__name__}.{package.name}.config"
        if not package.ispkg or importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, ServiceSettings) and cls.__module__ == module.__name__:
                found[cls.service] = cls
    return found


def sections() -> tuple[tuple[str, type[BaseSettings]], ...]:
    """(title, class): the platform's settings, then each service's own, by service name."""
    own = service_settings()
    return (("Every service", Settings), *((name.capitalize(), own[name]) for name in sorted(own)))


SECTIONS = sections()


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


def write() -> Path:
    """Writes the reference; returns where."""
    DOC.write_text(render(), encoding="utf-8")
    return DOC


if __name__ == "__main__":
    write()
