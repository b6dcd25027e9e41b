"""The email inbox against a real IMAP server (Dovecot) and a real SMTP server (aiosmtpd):
each message becomes one ticket and one answer even when intake is killed mid-batch, and a
mail server that is away is retried until it is back."""

from __future__ import annotations

import base64
import imaplib
import json
import socket
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import replace
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from prometheus_client import REGISTRY

from services.common.clock import utcnow
from services.common.db import make_engine, uow_factory
from services.common.migrations import upgrade
from services.intake.adapters.imap_inbox import ImapInbox, InboxError
from services.intake.adapters.orm import metadata
from services.intake.adapters.seed import load_addresses
from services.intake.adapters.smtp_outbox import SmtpOutbox
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.adapters.vault import PhoneVault
from services.intake.bootstrap import seed
from services.intake.domain.mail import Place
from services.intake.handlers import mail
from services.intake.handlers.context import IntakeContext
from services.intake.handlers.mail import forget_senders
from services.intake.handlers.mailroom import MailPoller, ReplySender
from tests.support import mail_peers
from tests.support.harness import Cluster, eventually
from tests.support.peers import Peer, create_databases
from tests.support.tcp_link import TcpLink

pytestmark = pytest.mark.peers

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


class SlowLink(TcpLink):
    """Forwards with a pause per chunk, so a batch takes long enough to be cut in the middle."""

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        with suppress(OSError):
            while data := src.recv(65536):
                time.sleep(0.03)
                dst.sendall(data)
        for s in (src, dst):
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Peer]:
    peer = mail_peers.start_dovecot()
    yield peer
    peer.stop()


@pytest.fixture(scope="module")
def sink() -> Iterator[mail_peers.Sink]:
    server = mail_peers.Sink()
    yield server
    server.down()


def _letter(n: int, mailbox_tag: str, **extra: str) -> bytes:
    message = EmailMessage()
    message["From"] = f"Citizen {n} <citizen{n}@example.com>"
    message["To"] = "12345@gov.example"
    message["Subject"] = extra.get("subject", f"第{n}封来信")
    message["Message-ID"] = extra.get("message_id", f"<{mailbox_tag}-{n}@example.com>")
    if extra.get("auto"):
        message["Auto-Submitted"] = "auto-replied"
    message.set_content(f"小区{n}号楼门口垃圾无人清运。", charset="gb2312")
    if n == 0:
        message.add_attachment(PNG, maintype="image", subtype="png", filename="photo.png")
    if n == 1:
        message.add_attachment(b"no jpeg", maintype="image", subtype="jpeg", filename="bad.jpg")
    return message.as_bytes()


def _mail_env(imap_port: int, sink: mail_peers.Sink, **more: str) -> dict[str, str]:
    return {
        "HOTLINE_MAIL_IMAP_HOST": "127.0.0.1",
        "HOTLINE_MAIL_IMAP_PORT": str(imap_port),
        "HOTLINE_MAIL_IMAP_TLS": "none",
        "HOTLINE_MAIL_IMAP_USER": mail_peers.USER,
        "HOTLINE_MAIL_IMAP_PASSWORD": mail_peers.PASSWORD,
        "HOTLINE_MAIL_SMTP_HOST": "127.0.0.1",
        "HOTLINE_MAIL_SMTP_PORT": str(sink.port),
        "HOTLINE_MAIL_SMTP_TLS": "none",
        "HOTLINE_MAIL_SMTP_FROM": "12345@gov.example",
        **more,
    }


def _rows(db: Path, query: str) -> list[tuple[Any, ...]]:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute(query).fetchall()
    except sqlite3.OperationalError:  # not created yet, or mid-migration
        return []


def test_a_batch_killed_midway_becomes_one_ticket_and_one_answer_per_message(
    tmp_path: Path, dovecot: Peer, sink: mail_peers.Sink, monkeypatch: Any
) -> None:
    batch = 12
    for n in range(batch):
        mail_peers.deliver(dovecot.port, _letter(n, "kill"))
    # The same message delivered twice (same Message-ID) is one citizen's one request.
    mail_peers.deliver(dovecot.port, _letter(0, "kill"))
    link = SlowLink(dovecot.port)
    # A lease far longer than the test may take: the restarted instance must take back the
    # mailbox and the answers it had claimed at once, as the same instance, not wait it out.
    lease = 600
    env = _mail_env(
        link.port, sink, HOTLINE_MAIL_POLL_SECONDS="0.2", HOTLINE_MAIL_LEASE_SECONDS=str(lease)
    )
    cluster = Cluster({"HOTLINE_DATA_DIR": str(tmp_path), **env}, tmp_path)
    db = tmp_path / "intake.db"
    read = "SELECT count(*) FROM mail_messages"
    holder = "SELECT holder FROM mail_mailboxes"
    try:
        cluster.start("intake")
        eventually(lambda: _rows(db, read)[0][0] >= 3, timeout=60, every=0.01)
        cluster.kill("intake")
        done_before = _rows(db, read)[0][0]
        assert 3 <= done_before < batch + 1, "the kill must fall within the batch"
        held_before = _rows(db, holder)
        link.cut()  # and the mail server is away while intake starts again
        cluster.start("intake")
        _restore(link)
        bound = lease / 10  # a correctness bound, far below the lease
        eventually(lambda: _rows(db, read)[0][0] == batch + 1, timeout=bound)
        unsent = "SELECT count(*) FROM mail_outbox WHERE status != 'sent'"
        eventually(lambda: _rows(db, unsent)[0][0] == 0, timeout=bound)
        assert _rows(db, holder) == held_before, "the same instance, by name, holds the lease"
    finally:
        cluster.stop()
        link.close()
    assert "intake-mail failed; retrying" in (tmp_path / "intake.log").read_text()
    tickets = _rows(db, "SELECT id, number, channel, category_code FROM tickets")
    assert len(tickets) == batch
    assert {(t[2], t[3]) for t in tickets} == {("email", "990101")}
    states = _rows(
        db, "SELECT state, count(*), count(DISTINCT ticket_id) FROM mail_messages GROUP BY state"
    )
    assert sorted(states) == [("duplicate", 1, 1), ("ticket", batch, batch)]
    # At least once: every ticket's number reached the citizen with its tracking link.
    answers = [m for m in sink.received if m["To"].startswith("citizen")]
    for _, number, *_ in tickets:
        texts = [a.get_payload(decode=True).decode() for a in answers if number in a["Subject"]]
        assert texts and all(f"工单号：{number}" in t and "/track/" in t for t in texts)
    assert mail_peers.flags(dovecot.port) == [True] * (batch + 1)
    notes = dict(_rows(db, "SELECT message_id, note FROM mail_messages WHERE note IS NOT NULL"))
    assert notes == {
        "<kill-1@example.com>": "image bad.jpg not stored: intake.photo_unsupported_type"
    }
    # Once sent, an answer keeps only the masked address.
    assert _rows(db, "SELECT count(*) FROM mail_outbox WHERE to_cipher IS NOT NULL") == [(0,)]
    _no_address_in_events(db)
    tables = [t for (t,) in _rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    stored = repr([_rows(db, f"SELECT * FROM {t}") for t in tables])
    assert "citizen3@example.com" not in stored and "c***@example.com" in stored


def _no_address_in_events(db: Path) -> None:
    events = [json.loads(p) for (p,) in _rows(db, "SELECT payload FROM outbox")]
    created = [e["payload"] for e in events if e["type"] == "TicketCreated"]
    assert created and all(c["review"] == "email" and c["channel"] == "email" for c in created)
    assert "example.com" not in json.dumps(events)
    assert any(c["photos"] for c in created), "the image attachment became a photo"


# --- outages, driven step by step in this process ------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def mailroom(
    request: pytest.FixtureRequest, tmp_path: Path, dovecot: Peer, sink: mail_peers.Sink
) -> Iterator[tuple[TcpLink, MailPoller, ReplySender]]:
    """The poller and the sender as intake's bootstrap builds them, on a database of their
    own: SQLite, and PostgreSQL (the production store)."""
    url = f"sqlite:///{tmp_path / 'intake.db'}"
    if request.param == "postgresql":
        server: Peer = request.getfixturevalue("postgres")
        name = f"mail_{uuid.uuid4().hex[:8]}"
        create_databases(server, (name,))
        url = server.url.replace("{db}", name)
    upgrade("intake", url)
    engine = make_engine(url)
    intake = IntakeContext(
        uow=uow_factory(engine, metadata, "intake", IntakeUnitOfWork),
        addresses=load_addresses(),
        vault=PhoneVault(Fernet.generate_key().decode(), "k" * 32),
    )
    seed(intake)
    link = TcpLink(dovecot.port)
    inbox = ImapInbox(
        "127.0.0.1", link.port, mail_peers.USER, mail_peers.PASSWORD, "Outage", "none"
    )
    outbox = SmtpOutbox("127.0.0.1", sink.port, "12345@gov.example", tls="none")
    yield (
        link,
        MailPoller(intake, inbox, 10_000_000, timedelta(minutes=1)),
        ReplySender(intake, outbox),
    )
    inbox.close()
    link.close()
    engine.dispose()


def test_a_mail_server_that_is_away_is_retried_and_nothing_is_lost(
    dovecot: Peer,
    sink: mail_peers.Sink,
    mailroom: tuple[TcpLink, MailPoller, ReplySender],
) -> None:
    link, poller, sender = mailroom
    folder = f"Outage{uuid.uuid4().hex[:6]}"
    poller.inbox.mailbox = folder
    _create_folder(dovecot.port, folder)
    assert poller.step() == 0  # nothing yet; the mailbox is this poller's now
    rival = replace(poller, inbox=ImapInbox("127.0.0.1", 1, "-", "-", folder, "none"), holder="b")
    assert rival.step() == 0, "one poller at a time: the other instance waits for the lease"
    mail_peers.deliver(dovecot.port, _letter(1, folder), folder)
    link.cut()
    with pytest.raises(InboxError):
        poller.step()  # the worker backs off and calls again
    _restore(link)
    counted = _mail_counts()
    assert poller.step() == 1
    assert poller.step() == 0
    # The citizen's out-of-office answer to our answer: recorded, neither ticket nor answer.
    mail_peers.deliver(dovecot.port, _letter(1, folder, message_id="<ooo@x>", auto="yes"), folder)
    assert poller.step() == 1
    sink.down()
    before = len(sink.received)
    try:
        assert sender.step() == 1  # tried, failed, kept for later
    finally:
        sink.up()
    assert _sample("hotline_mail_replies_waiting") == 1
    later = replace(
        sender, intake=replace(sender.intake, clock=lambda: utcnow() + timedelta(hours=1))
    )
    assert sender.step() == 0, "not due again before its back-off"
    assert later.step() == 1
    assert len(sink.received) == before + 1
    assert _mail_counts() - counted == Counter(
        {"messages:ticket": 1, "messages:automatic": 1, "replies:retried": 1, "replies:sent": 1}
    )
    assert "工单号" in sink.texts()[-1]
    poller.release()  # on shutdown: the other instance need not wait out the lease
    with pytest.raises(InboxError):
        rival.step()  # it holds the mailbox now, and its (unreachable) server is asked
    with poller.intake.uow() as uow:
        assert len(uow.tickets.recent("email", 5)) == 1
    _forget_past_retention(poller)


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _mail_counts() -> Counter[str]:
    """The inbox's counters by outcome, e.g. {"messages:ticket": 3}."""
    found: Counter[str] = Counter()
    for kind, outcomes in (
        ("messages", ("ticket", "duplicate", "automatic", "failed")),
        ("replies", ("sent", "retried", "failed")),
    ):
        for outcome in outcomes:
            found[f"{kind}:{outcome}"] = int(_sample(f"hotline_mail_{kind}_total", outcome=outcome))
    return found


def _forget_past_retention(poller: MailPoller) -> None:
    intake = poller.intake
    with intake.uow() as uow:
        (ticket,) = uow.tickets.recent("email", 5)
        uow.tickets.close(ticket.id, "closed", utcnow())
        uow.commit()
    later = replace(intake, clock=lambda: utcnow() + timedelta(days=181))
    assert forget_senders(intake, 180) == 0, "not before retention"
    assert forget_senders(later, 180) == 2  # the ticket's mail and the out-of-office reply
    assert forget_senders(later, 180) == 0
    with intake.uow() as uow:
        audit = uow.audit.page(("retention",), None, 5)
    assert [(a["reason"], a["records"]) for a in audit] == [("mail closed>180d", 2)]


def _restore(link: TcpLink) -> None:
    """The cut listener lingers until its accept loop wakes (50 ms): wait for the port."""
    for _ in range(100):
        try:
            return link.restore()
        except OSError:
            time.sleep(0.01)
    raise TimeoutError("the link's port stayed taken")


def _create_folder(port: int, name: str) -> None:
    conn = imaplib.IMAP4("127.0.0.1", port)
    conn.login(mail_peers.USER, mail_peers.PASSWORD)
    conn.create(name)
    conn.logout()


def test_a_message_that_cannot_be_stored_is_recorded_and_the_inbox_moves_on(
    dovecot: Peer,
    mailroom: tuple[TcpLink, MailPoller, ReplySender],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, poller, _ = mailroom
    folder = f"Poison{uuid.uuid4().hex[:6]}"
    poller.inbox.mailbox = folder
    _create_folder(dovecot.port, folder)
    for n in range(2):
        mail_peers.deliver(dovecot.port, _letter(n + 5, folder), folder)
    real = mail._ticket
    calls = iter([RuntimeError("a fault this message causes"), None])

    def first_fails(*args: Any) -> Any:
        if fault := next(calls):
            raise fault
        return real(*args)

    monkeypatch.setattr(mail, "_ticket", first_fails)
    assert poller.step() == 2
    assert poller.step() == 0, "both are marked seen: the failed one is not read forever"
    with poller.intake.uow() as uow:
        assert len(uow.tickets.recent("email", 5)) == 1
        assert uow.mail.known(Place(folder, poller.inbox.open(), 1))
