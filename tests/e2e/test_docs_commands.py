"""Every fenced block in README.md and docs/*.md is either run or checked, and says which.

The blocks are found anew on every run, so a command added to the docs is picked up without
touching this file; a block that none of the kinds below recognises fails the test, so
nothing can be documented that is neither run nor checked.

- **shell** (no language, sh, bash, shell): each line is run by bash (`set -euo pipefail`,
  `curl` failing on HTTP errors) against the platform running on the embedded profile as
  real processes on free ports (ports 8001-8004 in the text are rewritten to them), in a
  scratch folder that sees the repository with a private copy of `deploy/` (so `cp` there
  writes nothing into the tree), stdin holding a password twice (for `hotline
  hash-password`), with `.venv/bin` first on PATH. Except, line by line:
  - `docker compose …`: no Docker engine here, so it is only checked: the compose file
    parses, every service and file it names exists, and only known options are used;
    `docker compose exec <svc> hotline …` then runs the `hotline …` part on this machine
    (same image, same command), while exec into a peer container is checked only;
  - `./scripts/test` is the command that runs this very test: never run from here;
  - `./scripts/up` is not run here: it is `hotline up` after preparing the venv (checked
    below), and `hotline up` is exercised by tests/reliability/test_launcher.py.
- **settings** (only `HOTLINE_…=…` assignments and `# <service> also:` comments): checked:
  every name is a real setting, and a production block holds everything each service needs
  to start (each `...` stands for a secret of one's own).
- **layout** (a tree of paths with descriptions): checked: every path exists.
- **toml / json / python**: checked: they parse.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet

from services.common.settings import PORTS, Settings
from services.settings_doc import SECTIONS, service_settings
from tests.support.harness import ROOT, SERVICES, Cluster, embedded_env

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(```|~~~)\s*([\w+-]*)\s*$")
SHELL_LANGS = {"", "sh", "bash", "shell"}
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
LAUNCHER_TEST = ROOT / "tests" / "reliability" / "test_launcher.py"
PASSWORD = "a long example passphrase"


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    lang: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def lines(self) -> list[str]:
        return [line for line in self.text.splitlines() if line.strip()]


def fenced_blocks() -> list[Block]:
    found: list[Block] = []
    for path in DOCS:
        opened: tuple[int, str, str] | None = None
        body: list[str] = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = FENCE.match(line.strip())
            if opened is None and match:
                opened, body = (number, match.group(1), match.group(2).lower()), []
            elif opened is not None and line.strip() == opened[1]:
                found.append(Block(path, opened[0], opened[2], "\n".join(body)))
                opened = None
            elif opened is not None:
                body.append(line)
        assert opened is None, f"{path.name}:{opened[0]}: a fence is never closed"
    return found


BLOCKS = fenced_blocks()

# --- kinds ---------------------------------------------------------------------------------

ASSIGNMENT = re.compile(r"HOTLINE_[A-Z0-9_]+=\S*")
SECTION = re.compile(r"#\s*(\w+) also:\s*$")
LAYOUT_LINE = re.compile(r"^(\S+/)\s{2,}\S")


def is_settings(block: Block) -> bool:
    return block.lang in SHELL_LANGS and all(
        SECTION.match(line.strip()) or all(ASSIGNMENT.fullmatch(t) for t in line.split())
        for line in block.lines
    )


def is_layout(block: Block) -> bool:
    return block.lang in SHELL_LANGS and all(
        LAYOUT_LINE.match(line) or line.startswith(" ") for line in block.lines
    )


def kind(block: Block) -> str:
    if is_settings(block):
        return "settings"
    if is_layout(block):
        return "layout"
    if block.lang in SHELL_LANGS:
        return "shell"
    if block.lang in {"toml", "json", "python"}:
        return block.lang
    return "unknown"


def test_the_docs_have_blocks_of_every_kind_this_test_knows() -> None:
    # A guard for the test itself: a parser that finds nothing would pass everything.
    kinds = {kind(b) for b in BLOCKS}
    assert {"shell", "settings", "layout"} <= kinds


def test_the_checks_refuse_what_they_cannot_vouch_for() -> None:
    """Guards for the test itself: an unknown block, a service compose lacks."""
    readme = ROOT / "README.md"
    assert kind(Block(readme, 1, "promql", "up == 0")) == "unknown"
    assert kind(Block(readme, 1, "", "HOTLINE_BUS=kafka")) == "settings"
    for line in ("docker compose exec nosuch hotline up", "docker compose frobnicate"):
        with pytest.raises(AssertionError):
            script_for(Block(readme, 1, "", line))
    assert script_for(Block(readme, 1, "", "docker compose exec search hotline x"))[0] == (
        "hotline x"
    )


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.where)
def test_every_block_is_of_a_kind_that_is_run_or_checked(block: Block) -> None:
    assert kind(block) != "unknown", (
        f"{block.where}: a ```{block.lang} block is neither run nor checked by "
        "tests/e2e/test_docs_commands.py: give it a kind there"
    )
    # Data and code blocks are checked here, not run: they parse.
    if block.lang == "toml":
        tomllib.loads(block.text)
    elif block.lang == "json":
        json.loads(block.text)
    elif block.lang == "python":
        compile(block.text, block.where, "exec")


# --- settings ------------------------------------------------------------------------------


def _known_settings() -> set[str]:
    return {
        f"{cls.model_config.get('env_prefix', '')}{name}".upper()
        for _, cls in SECTIONS
        for name in cls.model_fields
    }


def _settings_by_service(block: Block) -> dict[str, dict[str, str]]:
    """The variables each service is given: the common lines, then its own section."""
    common: dict[str, str] = {}
    own: dict[str, dict[str, str]] = {service: {} for service in PORTS}
    target = common
    for line in block.lines:
        section = SECTION.match(line.strip())
        if section:
            assert section.group(1) in PORTS, f"{block.where}: no service {section.group(1)}"
            target = own[section.group(1)]
            continue
        for token in line.split():
            name, value = token.split("=", 1)
            target[name] = value
    return {service: common | own[service] for service in PORTS}


def _secret_for(name: str, value: str) -> str:
    if value != "...":
        return value
    return Fernet.generate_key().decode() if name.endswith("_KEYS") else "s" * 48


SETTINGS_BLOCKS = [b for b in BLOCKS if kind(b) == "settings"]


@pytest.mark.parametrize("block", SETTINGS_BLOCKS, ids=lambda b: b.where)
def test_settings_blocks_name_real_settings_and_are_complete(
    block: Block, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked, not run: the names exist, and a production block starts every service."""
    by_service = _settings_by_service(block)
    named = {name for env in by_service.values() for name in env}
    assert named <= _known_settings(), f"{block.where}: {sorted(named - _known_settings())}"
    for service, env in by_service.items():
        if env.get("HOTLINE_PROFILE") != "production":
            continue
        for variable in [v for v in os.environ if v.startswith("HOTLINE_")]:
            monkeypatch.delenv(variable)
        for name, value in env.items():
            monkeypatch.setenv(name, _secret_for(name, value))
        try:
            settings = Settings(_env_file=None)  # type: ignore[call-arg]
            service_settings()[service](_env_file=None).checked_for(settings)  # type: ignore[call-arg]
        except ValueError as exc:
            pytest.fail(f"{block.where}: {service} would not start on this block: {exc}")


# --- layout ------------------------------------------------------------------------------


@pytest.mark.parametrize("block", [b for b in BLOCKS if kind(b) == "layout"], ids=lambda b: b.where)
def test_layout_blocks_name_paths_that_exist(block: Block) -> None:
    """Checked, not run: each path of the tree exists (`<name>` is every service)."""
    for line in block.lines:
        match = LAYOUT_LINE.match(line)
        if match is None:
            continue
        for service in SERVICES:
            path = ROOT / match.group(1).replace("<name>", service)
            assert path.is_dir(), f"{block.where}: {path.relative_to(ROOT)} does not exist"


# --- shell ---------------------------------------------------------------------------------


def logical_lines(text: str) -> list[str]:
    """Lines with their backslash continuations joined (quoted newlines are kept)."""
    return [line for line in re.sub(r"\\\n", " ", text).splitlines() if line.strip()]


def _words(line: str) -> list[str]:
    return line.split("#", 1)[0].split()


# Subcommands whose other arguments all name services; options are passed to Docker as given.
ON_SERVICES = {"up", "down", "ps", "logs", "stop", "start", "restart", "pull", "build", "config"}
IN_CONTAINER = {"exec", "run"}
# Options of exec/run that take a value (the service is the first argument after them).
WITH_VALUE = {"-e", "--env", "-u", "--user", "-w", "--workdir", "--index"}


def _check_compose(block: Block, words: list[str]) -> str:
    """Checks a `docker compose …` line; returns what bash runs in its place."""
    args = words[2:]
    if args[:1] == ["--env-file"]:
        env_file = args[1]
        copied = re.search(rf"^cp \S+ {re.escape(env_file)}\b", block.text, re.M)
        assert copied or (ROOT / env_file).exists(), f"{block.where}: no {env_file}"
        args = args[2:]
    command, rest = args[0], args[1:]
    services = COMPOSE["services"]
    if command in IN_CONTAINER:
        while rest and rest[0].startswith("-"):
            rest = rest[2:] if rest[0] in WITH_VALUE else rest[1:]
        service, inner = rest[0], rest[1:]
        assert service in services, f"{block.where}: compose has no service {service}"
        if inner[:1] == ["hotline"]:
            assert services[service]["image"].startswith("hotline:")
            return " ".join(inner)  # the same command, run here on the embedded platform
        return ":"  # a peer's own tool in its container: checked only
    assert command in ON_SERVICES, f"{block.where}: docker compose {command} is not checked here"
    for i, arg in enumerate(rest):
        named = rest[i - 1] == "--scale" if i else False
        if named or not arg.startswith("-"):
            service = arg.split("=")[0]
            assert service in services, f"{block.where}: compose has no service {service}"
    return ":"


def _check_scripts_up() -> str:
    script = (ROOT / "scripts" / "up").read_text(encoding="utf-8")
    assert 'exec .venv/bin/hotline up "$@"' in script, "scripts/up no longer runs `hotline up`"
    assert LAUNCHER_TEST.exists(), "`hotline up` must be exercised by test_launcher.py"
    return ":"


def script_for(block: Block) -> tuple[str, list[str]]:
    """The bash script that runs a shell block, and what was only checked in it."""
    out, checked = [], []
    for line in logical_lines(block.text):
        words = _words(line)
        if words[:2] == ["docker", "compose"] or words[:1] == ["docker-compose"]:
            words = ["docker", "compose", *words[1:]] if words[0] == "docker-compose" else words
            replacement = _check_compose(block, words)
            out.append(replacement)
            if replacement == ":":
                checked.append(line)
        elif words[:1] == ["./scripts/test"]:
            out.append(":")
            checked.append(line)
        elif words[:1] == ["./scripts/up"]:
            out.append(_check_scripts_up())
            checked.append(line)
        else:
            out.append(line)
    return "\n".join(out), checked


SHELL_BLOCKS = [b for b in BLOCKS if kind(b) == "shell"]
PRELUDE = """set -euo pipefail
curl() { command curl --fail-with-body --show-error "$@"; }
"""


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    data = tmp_path_factory.mktemp("docs-platform")
    cluster = Cluster(embedded_env(data), data)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def _sandbox(folder: Path) -> Path:
    """The repository seen through symlinks, with a private copy of deploy/."""
    for entry in ROOT.iterdir():
        if entry.name == "deploy":
            shutil.copytree(entry, folder / entry.name)
        elif entry.name not in {".git", "data"}:
            (folder / entry.name).symlink_to(entry)
    return folder


def _with_ports(script: str, cluster: Cluster) -> str:
    def port(match: re.Match[str]) -> str:
        service = SERVICES[int(match.group(2)) - 8001]
        return cluster.url(service).removeprefix("http://")

    return re.sub(r"\b(127\.0\.0\.1|localhost):(800[1-4])\b", port, script)


@pytest.mark.parametrize("block", SHELL_BLOCKS, ids=lambda b: b.where)
def test_shell_blocks_run(block: Block, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    script, checked = script_for(block)
    if not script.replace(":", "").strip():
        return  # every line was checked above, nothing is left to run
    cluster: Cluster = request.getfixturevalue("platform")
    env = {**cluster.env, "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"}
    result = subprocess.run(
        ["bash", "-c", PRELUDE + _with_ports(script, cluster)],
        cwd=_sandbox(tmp_path),
        env=env,
        input=f"{PASSWORD}\n{PASSWORD}\n",
        capture_output=True,
        text=True,
        timeout=180,
        start_new_session=True,  # no terminal: password prompts read stdin
    )
    assert result.returncode == 0, (
        f"{block.where} failed (exit {result.returncode}); only checked: {checked}\n"
        f"--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"
    )
