"""The ledger as search's bootstrap builds it, on SQLite: every event consumed on the
tickets, assignments, feedback and audit topics is entered once in its chain however often
it is delivered; an untouched export verifies against the chains and the day's seal; an
upheld appeal is a correction of the rating it takes out of the rates; and any stored row
edited in the database makes `hotline verify` fail naming that entry."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import sessionmaker
from typer.testing import CliRunner

from proto.audit import ConfigurationChanged
from proto.envelope import Envelope
from services.cli import app as cli
from services.common.settings import Settings
from services.search.adapters.ledger import ledgers
from services.search.adapters.orm import ledger_entries, ledger_seals
from services.search.bootstrap import build
from services.search.domain import ledger as domain
from services.search.handlers.ledger import Sealer, month_root
from services.search.tools.rebuild import rebuild
from tests.support.dispatch import put_on_bus
from tests.support.harness import PASSWORDS, drain, driven
from tests.support.monthly import SATISFIED, story

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC) - timedelta(days=3)
RATED = f"tk-{uuid.uuid4().hex[:8]}"  # rated, then its rating excluded by an upheld appeal
PLAIN = f"tk-{uuid.uuid4().hex[:8]}"
TICKETS = story(RATED, NOW, "110105001001", answers=SATISFIED, excluded=True)
TICKETS += story(PLAIN, NOW, "110108001001")
AUDITED = [
    Envelope.wrap(
        ConfigurationChanged(
            kind="routing_rule", key="R12", action=action, summary=action, by="admin", at=NOW
        ),
        producer="dispatch",
        ticket_id="config:routing_rule",
    )
    for action in ("schedule", "cancel")
]
EVENTS = TICKETS + AUDITED


def publish(client: TestClient, envelopes: list[Envelope]) -> None:
    put_on_bus(client.app.state.platform.bus, *envelopes)  # type: ignore[attr-defined]
    drain(client.app)  # type: ignore[arg-type]


def engine_of(client: TestClient) -> Engine:
    return client.app.state.platform.engine  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("ledger"))


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(driven(build(settings))) as test_client:
        publish(test_client, EVENTS)
        publish(test_client, EVENTS[:4] + AUDITED)  # delivered again
        Sealer(ledgers(sessionmaker(engine_of(test_client)))).seal(domain.day_of(datetime.now(UTC)))
        yield test_client


def hotline(settings: Settings, *args: str) -> Any:
    env = {"HOTLINE_DATA_DIR": str(settings.data_dir)}
    if settings.database_url:
        env["HOTLINE_DATABASE_URL"] = settings.database_url
    return CliRunner().invoke(cli, list(args), env=env)


def rows(client: TestClient, chain: str) -> list[dict[str, Any]]:
    query = select(ledger_entries).where(ledger_entries.c.chain == chain)
    with engine_of(client).connect() as db:
        return [dict(r) for r in db.execute(query.order_by(ledger_entries.c.position)).mappings()]


def test_each_event_is_entered_once_in_its_chain_however_often_delivered(
    client: TestClient,
) -> None:
    with engine_of(client).connect() as db:
        count = db.execute(select(func.count()).select_from(ledger_entries)).scalar_one()
    assert count == len(EVENTS)
    rated = rows(client, f"ticket:{RATED}")
    assert [r["type"] for r in rated] == [e.type for e in TICKETS if e.ticket_id == RATED]
    assert [r["position"] for r in rated] == list(range(1, len(rated) + 1))
    assert rated[0]["prev_hash"] == domain.GENESIS
    assert all(b["prev_hash"] == a["hash"] for a, b in pairwise(rated))
    assert [r["type"] for r in rows(client, "audit:routing_rule:R12")] == [
        "ConfigurationChanged"
    ] * 2


def test_an_upheld_appeal_corrects_the_rating_it_takes_out_of_the_rates(
    client: TestClient,
) -> None:
    rated = {r["type"]: r for r in rows(client, f"ticket:{RATED}")}
    assert rated["AppealDecided"]["corrects"] == rated["TicketRated"]["hash"]
    assert [r["corrects"] for r in rows(client, f"ticket:{PLAIN}")] == [None] * 3
    schedule, cancel = rows(client, "audit:routing_rule:R12")
    assert cancel["corrects"] == schedule["hash"]

    form = {"username": "leader", "password": PASSWORDS["leader"]}
    token = client.post("/api/v1/auth/token", data=form).json()["access_token"]
    shown = client.get(
        f"/api/v1/ledger/tickets/{RATED}", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert shown["verified"] is True and shown["problem"] is None
    marked = [e["type"] for e in shown["entries"] if e["corrects"]]
    assert marked == ["AppealDecided"]
    seals = client.get("/api/v1/ledger/seals", headers={"Authorization": f"Bearer {token}"})
    assert seals.json()["seals"][0]["entries"] == len(EVENTS)


def test_an_untouched_export_verifies_every_link_and_the_sealed_day(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "ledger.jsonl"
    written = hotline(settings, "ledger", "export", "--out", str(out))
    assert written.exit_code == 0, written.output
    checked = hotline(settings, "verify", str(out))
    assert checked.exit_code == 0, checked.output
    assert f"verified {len(EVENTS)} entries in 3 chains, 1 sealed day(s)" in checked.output
    rating = rows(client, f"ticket:{RATED}")[-1]
    assert f"entry {rating['sequence']} (event {rating['event_id']}) corrects" in checked.output
    ticket = hotline(settings, "verify", "--ticket", RATED)
    assert ticket.exit_code == 0 and "1 correction(s)" in ticket.output, ticket.output


def test_the_documented_snippet_verifies_an_export_without_this_code(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "day.jsonl"
    day = datetime.now(UTC).astimezone(domain.SHANGHAI).date().isoformat()
    assert hotline(settings, "ledger", "export", "--day", day, "--out", str(out)).exit_code == 0
    docs = (ROOT / "docs" / "ledger.md").read_text(encoding="utf-8")
    snippet = docs.split("```python\n", 1)[1].split("```", 1)[0]
    script = tmp_path / "check.py"
    script.write_text(snippet, encoding="utf-8")
    ran = subprocess.run([sys.executable, "-I", str(script), str(out)], capture_output=True)
    assert ran.returncode == 0 and b"OK" in ran.stdout, ran
    lines = out.read_bytes().splitlines()
    lines[1] = lines[1].replace(b'"position":1', b'"position":9')
    out.write_bytes(b"\n".join(lines) + b"\n")
    ran = subprocess.run([sys.executable, "-I", str(script), str(out)], capture_output=True)
    assert ran.returncode != 0


TAMPERING = {
    "content": lambda row: {"content": row["content"].replace('"satisfied"', '"dissatisfied"')},
    "type": lambda row: {"type": "TicketClosed"},
    "recorded_at": lambda row: {"recorded_at": row["recorded_at"] - timedelta(minutes=5)},
    "hash": lambda row: {"hash": "f" * 64},
}


@pytest.mark.parametrize("column", list(TAMPERING))
def test_a_row_edited_in_the_database_fails_verify_naming_it(
    client: TestClient, settings: Settings, tmp_path: Path, column: str
) -> None:
    target = next(r for r in rows(client, f"ticket:{RATED}") if r["type"] == "TicketRated")
    changes = TAMPERING[column](target)
    edit = update(ledger_entries).where(ledger_entries.c.sequence == target["sequence"])
    with engine_of(client).begin() as db:
        db.execute(edit.values(**changes))
    try:
        named = f"entry {target['sequence']} (chain ticket:{RATED}, event {target['event_id']})"
        ticket = hotline(settings, "verify", "--ticket", RATED)
        assert ticket.exit_code == 1 and named in ticket.stderr, ticket.output
        assert column in ticket.stderr or "hash" in ticket.stderr
        if column in ("content", "hash"):
            out = tmp_path / "all.jsonl"
            assert hotline(settings, "ledger", "export", "--out", str(out)).exit_code == 0
            whole = hotline(settings, "verify", str(out))
            assert whole.exit_code == 1 and named in whole.stderr, whole.output
    finally:
        original = {name: target[name] for name in changes}
        with engine_of(client).begin() as db:
            db.execute(edit.values(**original))
    assert hotline(settings, "verify", "--ticket", RATED).exit_code == 0


def test_an_entry_removed_from_the_end_of_a_chain_is_named_by_its_head(
    client: TestClient, settings: Settings
) -> None:
    last = rows(client, f"ticket:{PLAIN}")[-1]
    with engine_of(client).begin() as db:
        db.execute(ledger_entries.delete().where(ledger_entries.c.sequence == last["sequence"]))
    try:
        checked = hotline(settings, "verify", "--ticket", PLAIN)
        assert checked.exit_code == 1 and "entries were removed" in checked.stderr
    finally:
        with engine_of(client).begin() as db:
            db.execute(ledger_entries.insert().values(**last))


def test_a_month_has_a_root_only_once_every_day_of_it_is_sealed(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    engine = engine_of(client)
    today = datetime.now(UTC).astimezone(domain.SHANGHAI).date()
    month = today.strftime("%Y-%m")
    assert month_root(ledgers(sessionmaker(engine)), month) is None
    sealer = Sealer(ledgers(sessionmaker(engine)))
    days = domain.month_days(month)
    for day in days:
        if day != today:
            sealer.seal(day)  # None where the platform's own worker sealed it first
    try:
        with engine.connect() as db:
            roots = dict(db.execute(select(ledger_seals.c.day, ledger_seals.c.root)).all())
        expected = domain.merkle_root([roots[day] for day in days])
        assert month_root(ledgers(sessionmaker(engine)), month) == expected
        assert sealer.seal(days[0]) is None  # sealed once
        out = tmp_path / "month.jsonl"
        assert (
            hotline(settings, "ledger", "export", "--month", month, "--out", str(out)).exit_code
            == 0
        )
        checked = hotline(settings, "verify", str(out))  # every day's seal, empty days too
        assert f"{len(days)} sealed day(s) match" in checked.output, checked.output
    finally:
        with engine.begin() as db:
            db.execute(ledger_seals.delete().where(ledger_seals.c.day != today))


def test_json_lines_name_what_they_hold(client: TestClient, settings: Settings) -> None:
    printed = hotline(settings, "ledger", "export", "--ticket", RATED)
    lines = [json.loads(line) for line in printed.stdout.splitlines()]
    assert lines[0]["ledger"]["ticket"] == RATED
    entries = [line for line in lines if "sequence" in line]
    assert [e["content"]["event"]["ticket_id"] for e in entries] == [RATED] * len(entries)
    assert [line["seal"]["entries"] for line in lines if "seal" in line] == [len(EVENTS)]


def test_a_ticket_the_ledger_never_held_does_not_verify(settings: Settings) -> None:
    checked = hotline(settings, "verify", "--ticket", "tk-nowhere")
    assert checked.exit_code == 1 and "no entry of chain ticket:tk-nowhere" in checked.stderr


def test_an_index_rebuild_leaves_the_ledger_as_it_was(
    client: TestClient, settings: Settings
) -> None:
    with engine_of(client).connect() as db:
        before = db.execute(select(ledger_entries.c.sequence, ledger_entries.c.hash)).all()
    report = rebuild(settings, poll_seconds=0.05)
    assert report.tickets == 2
    with engine_of(client).connect() as db:
        after = db.execute(select(ledger_entries.c.sequence, ledger_entries.c.hash)).all()
    assert after == before and len(after) == len(EVENTS)
