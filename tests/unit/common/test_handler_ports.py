"""Use cases reach storage only through the repositories on their unit of work: no handler
module imports SQLAlchemy nor touches the session, and intake's import no adapter that
holds SQL (its phone vault and SMS gateway hold none)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
HANDLERS = sorted(ROOT.glob("services/*/handlers/*.py"))
PORTED = [p for p in HANDLERS if p.parts[-3] in {"dispatch", "feedback", "search", "intake"}]
INTAKE = [p for p in HANDLERS if p.parts[-3] == "intake"]


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


# Every intake adapter that speaks SQL, found rather than listed, so a new store is covered.
SQL_STORES = {
    "services.intake.adapters." + p.stem
    for p in ROOT.glob("services/intake/adapters/*.py")
    if any(m.split(".")[0] == "sqlalchemy" for m in _imports(p))
}


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_handlers_are_found() -> None:
    assert len(HANDLERS) > 20 and len(PORTED) > 10 and len(INTAKE) >= 8
    assert {"services.intake.adapters.repository", "services.intake.adapters.photo_store"} <= (
        SQL_STORES
    )


def test_no_service_imports_another() -> None:
    """Services meet only on the bus: shared code lives in services/common."""
    services = {p.name for p in ROOT.glob("services/*/") if (p / "bootstrap.py").exists()}
    crossing = []
    for path in ROOT.glob("services/*/**/*.py"):
        own = path.relative_to(ROOT).parts[1]
        if own not in services:
            continue
        for module in _imports(path):
            parts = module.split(".")
            if parts[0] == "services" and len(parts) > 1 and parts[1] in services - {own}:
                crossing.append(f"{_name(path)} imports {module}")
    assert len(services) == 4 and crossing == []


@pytest.mark.parametrize("path", HANDLERS, ids=_name)
def test_a_handler_module_imports_no_sqlalchemy(path: Path) -> None:
    assert not {m for m in _imports(path) if m.split(".")[0] == "sqlalchemy"}


@pytest.mark.parametrize("path", PORTED, ids=_name)
def test_a_ported_handler_module_never_touches_the_session(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    touched = [
        n.lineno for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "session"
    ]
    assert touched == []


@pytest.mark.parametrize("path", INTAKE, ids=_name)
def test_an_intake_handler_module_imports_no_sql_store(path: Path) -> None:
    assert not _imports(path) & SQL_STORES
