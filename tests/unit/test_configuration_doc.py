import subprocess
import sys

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
