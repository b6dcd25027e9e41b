"""A citizen who wrote to the hotline by email asks for their copy or their erasure: the
admin finds them by the address, as a caller by their number, and both are recorded."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from services.common.db import uow_factory
from services.common.settings import Settings
from services.intake.adapters.orm import metadata
from services.intake.adapters.seed import load_addresses
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.adapters.vault import PhoneVault
from services.intake.bootstrap import build
from services.intake.config import IntakeSettings
from services.intake.domain.mail import Place, read_letter
from services.intake.handlers import mail
from services.intake.handlers.context import IntakeContext
from tests.support.intake import IntakeApi, app_of

WRITER, OTHER = "Wang.Li@Example.com", "zhao@example.org"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir: Path = tmp_path_factory.mktemp("intake-privacy-email")
    with TestClient(build(Settings(data_dir=data_dir), IntakeSettings())) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def api(client: TestClient) -> IntakeApi:
    return IntakeApi(client)


@pytest.fixture(scope="module")
def inbox(client: TestClient) -> IntakeContext:
    """The inbox's own use case on the app's database and keys, as its poller calls it."""
    options = IntakeSettings()
    return IntakeContext(
        uow=uow_factory(app_of(client).state.platform.engine, metadata, "intake", IntakeUnitOfWork),
        addresses=load_addresses(),
        vault=PhoneVault(options.phone_keys, options.caller_key_secret),
    )


def _receive(inbox: IntakeContext, uid: int, sender: str, **headers: str) -> mail.Accepted:
    message = EmailMessage()
    message["From"] = f"市民 <{sender}>"
    message["To"] = "12345@gov.example"
    message["Subject"] = f"来信 {uid}"
    message["Message-ID"] = f"<privacy-{uid}@example.com>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(f"路灯坏了，请修理。{uid}")
    letter = read_letter(message.as_bytes())
    return mail.accept(inbox, Place("INBOX", 1, uid), letter, [], [])


def _rows(client: TestClient, query: str) -> list[Any]:
    with app_of(client).state.platform.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(query))]


def test_an_admin_exports_then_erases_what_one_address_sent(
    api: IntakeApi, inbox: IntakeContext, client: TestClient
) -> None:
    first = _receive(inbox, 1, WRITER)
    _receive(inbox, 2, WRITER, Auto_Submitted="auto-replied")  # recorded, no ticket
    _receive(inbox, 3, OTHER)
    body = {"json": {"email": " wang.li@EXAMPLE.com "}}
    assert api.send("POST", "/api/v1/callers/export", user="agent1", **body).status_code == 403
    exported = api.send("POST", "/api/v1/callers/export", **body)
    assert exported.status_code == 200 and exported.headers["cache-control"] == "no-store"
    copy = exported.json()
    assert copy["email"] == "wang.li@example.com" and copy["phone"] is None
    found = [(m["state"], m["ticket_number"], m["answer_status"]) for m in copy["messages"]]
    assert found == [("ticket", first.ticket_number, "pending"), ("automatic", None, None)]
    assert "路灯坏了" in copy["messages"][0]["description"]
    assert OTHER not in exported.text

    erased = api.send("POST", "/api/v1/callers/erase", **body)
    assert erased.json() == {"erased_messages": 2}
    assert api.send("POST", "/api/v1/callers/export", **body).status_code == 404
    kept = _rows(client, "SELECT sender_masked, sender_key, sender_cipher FROM mail_messages")
    assert sorted(kept, key=str) == sorted([(None, None, None)] * 2 + [kept[2]], key=str)
    assert kept[2][0] == "z***@example.org" and kept[2][1], "another sender is untouched"
    answers = _rows(client, "SELECT status, to_cipher, to_masked, ticket_id FROM mail_outbox")
    assert ("failed", None, "", first.ticket_id) in answers, "its answer is given up"
    audit = api.get("/api/v1/privacy-audit", user="admin", limit=50).json()["items"]
    requests = [
        (a["action"], a["actor"], a["records"], a["ticket_id"])
        for a in audit
        if a["reason"] == "request"
    ]
    assert requests[:2] == [
        ("erase", "admin", 2, first.ticket_id),
        ("export", "admin", 2, first.ticket_id),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "phone"),
        ({"phone": "13911110003", "email": "a@example.com"}, "phone"),
        ({"email": "not an address"}, "email"),
        ({"email": "a@@example.com"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"email": 5}, "email"),
    ],
)
def test_a_request_names_one_number_or_one_address(
    api: IntakeApi, body: dict[str, Any], field: str
) -> None:
    refused = api.send("POST", "/api/v1/callers/export", json=body)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in refused.json()["errors"]] == [field]
