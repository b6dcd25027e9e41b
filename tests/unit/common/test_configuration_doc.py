import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services import cli, settings_doc
from services.common.settings import Settings
from services.settings_doc import DOC, SECTIONS, render, service_settings


def test_the_configuration_reference_matches_the_settings() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "run `python -m services.settings_doc` and commit docs/configuration.md"
    )


def test_every_service_has_its_own_settings_found_by_scanning_the_package() -> None:
    own = service_settings()
    assert sorted(own) == ["dispatch", "feedback", "intake", "search"]
    for name, cls in own.items():
        assert cls.__module__ == f"services.{name}.config"
        assert cls.__name__ == f"{name.capitalize()}Settings"
    assert [cls for _, cls in SECTIONS] == [Settings, *(own[n] for n in sorted(own))]


def test_every_settings_class_reads_the_environment_and_env_file_alike() -> None:
    for _, cls in SECTIONS:
        assert cls.model_config.get("env_file") == ".env", cls
        assert cls.model_config.get("extra") == "ignore", cls
        assert str(cls.model_config.get("env_prefix", "")).startswith("HOTLINE_"), cls


def test_no_variable_is_read_by_two_classes() -> None:
    names = [
        f"{cls.model_config.get('env_prefix', '')}{field}".upper()
        for _, cls in SECTIONS
        for field in cls.model_fields
    ]
    assert len(names) == len(set(names))


def test_the_shared_kit_imports_no_service() -> None:
    """The kit (services/common) is imported alone in a fresh interpreter: no service comes
    along, so the generator, not the kit, is what knows the services."""
    script = (
        "import pkgutil, importlib, sys, services.common as kit\n"
        "for m in pkgutil.walk_packages(kit.__path__, 'services.common.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(sorted({n.split('.')[1] for n in sys.modules if n.startswith('services.')}))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['common']"


def test_each_services_settings_read_a_dot_env_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/configuration.md says every class reads `.env`: dispatch's once did not."""
    for variable in [v for v in os.environ if v.startswith("HOTLINE_")]:
        monkeypatch.delenv(variable)
    (tmp_path / ".env").write_text(
        "HOTLINE_DISPATCH_SCHEDULER_BATCH=7\nHOTLINE_FEEDBACK_REOPEN_LIMIT=5\n"
        "HOTLINE_CALL_THREADS=3\nHOTLINE_ELASTICSEARCH_INDEX=from-dot-env\nHOTLINE_BASE_PORT=9001\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    own = service_settings()
    assert Settings().base_port == 9001
    assert own["dispatch"]().scheduler_batch == 7  # type: ignore[attr-defined]
    assert own["feedback"]().reopen_limit == 5  # type: ignore[attr-defined]
    assert own["intake"]().call_threads == 3  # type: ignore[attr-defined]
    assert own["search"]().elasticsearch_index == "from-dot-env"  # type: ignore[attr-defined]


def test_hotline_config_doc_writes_the_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "configuration.md"
    monkeypatch.setattr(settings_doc, "DOC", target)
    result = CliRunner().invoke(cli.app, ["config-doc"])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == settings_doc.render()
