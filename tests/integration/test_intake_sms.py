"""Texts for citizens: feedback asks (RatingRequested on the real bus), intake texts the
first caller through its gateway, retrying failures in the background."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from proto.feedback import RatingRequested
from proto.registry import encode
from services.common.bus import Message
from services.common.sealed_links import LinkSeal
from services.common.settings import Settings
from services.intake.bootstrap import build
from services.intake.config import IntakeSettings
from tests.support.harness import eventually
from tests.support.intake import IntakeApi, publish


class Gateway:
    """A local SMS gateway that refuses the first `failures` requests with 503."""

    def __init__(self, failures: int):
        self.received: list[dict[str, Any]] = []
        self.failures = failures
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gateway.received.append(body | {"auth": self.headers.get("Authorization")})
                failing = len(gateway.received) <= gateway.failures
                self.send_response(503 if failing else 202)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/send"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _rating(invitation: str) -> RatingRequested:
    now = datetime.now(UTC)
    return RatingRequested(
        invitation_id=invitation,
        link=f"http://127.0.0.1/rate/{invitation}",
        expires_at=now + timedelta(days=3),
        department_code="D-JXS",
        at=now,
    )


def _sms(api: IntakeApi, ticket_id: str) -> dict[str, Any] | None:
    rows = api.get("/api/v1/sms", user="admin").json()
    return next((r for r in rows if r["ticket_id"] == ticket_id), None)


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    server = Gateway(failures=2)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def http_api(tmp_path_factory: pytest.TempPathFactory, gateway: Gateway) -> Iterator[IntakeApi]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("intake-sms-http"))
    options = IntakeSettings(
        sms_gateway="http",
        sms_gateway_url=gateway.url,
        sms_gateway_token="gateway-token",
        sms_retry_base_seconds=0.2,
    )
    with TestClient(build(settings, options)) as client:
        yield IntakeApi(client)


def test_a_failing_gateway_is_retried_until_the_text_is_delivered(
    http_api: IntakeApi, gateway: Gateway
) -> None:
    ticket = http_api.call().json()
    publish(http_api.client, _rating("inv-1"), ticket["id"], "feedback")
    sent = eventually(lambda: (m := _sms(http_api, ticket["id"])) and m["status"] == "sent" and m)
    assert sent["attempts"] == 3
    assert sent["caller_masked"] == "138****5678"
    assert "13812345678" not in json.dumps(sent)
    assert [r["to"] for r in gateway.received] == ["13812345678"] * 3
    assert {r["id"] for r in gateway.received} == {sent["id"]}
    assert gateway.received[0]["auth"] == "Bearer gateway-token"
    assert "http://127.0.0.1/rate/inv-1" in gateway.received[0]["text"]
    assert ticket["number"] in gateway.received[0]["text"]
    # The gateway has it: intake keeps the text without its single-use link.
    assert "/rate/" not in sent["text"] and "[链接已隐去]" in sent["text"]
    status = http_api.get(f"/api/v1/tickets/{ticket['id']}").json()["status"]
    assert status == "rating"


@pytest.fixture(scope="module")
def local_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IntakeApi]:
    data_dir: Path = tmp_path_factory.mktemp("intake-sms-local")
    with TestClient(build(Settings(data_dir=data_dir))) as client:
        yield IntakeApi(client)


def test_the_embedded_outbox_keeps_texts_for_the_page(local_api: IntakeApi) -> None:
    ticket = local_api.call().json()
    anonymous = local_api.call(caller_phone=None).json()
    publish(local_api.client, _rating("inv-2"), ticket["id"], "feedback")
    publish(local_api.client, _rating("inv-3"), anonymous["id"], "feedback")
    sent = eventually(lambda: (m := _sms(local_api, ticket["id"])) and m["status"] == "sent" and m)
    assert sent["text"].startswith("【12345市民服务热线】")
    skipped = eventually(lambda: _sms(local_api, anonymous["id"]))
    assert (skipped["status"], skipped["attempts"]) == ("no_number", 0)
    failed = local_api.get("/api/v1/sms", user="admin", status="failed").json()
    assert failed == []
    assert local_api.get("/api/v1/sms", user="agent1").status_code == 403


def test_a_redelivered_request_is_texted_once(local_api: IntakeApi) -> None:
    ticket = local_api.call().json()
    envelope = publish(local_api.client, _rating("inv-4"), ticket["id"], "feedback")
    eventually(lambda: _sms(local_api, ticket["id"]))
    publisher = local_api.client.app.state.platform.bus.publisher()  # type: ignore[attr-defined]
    publisher.publish([Message("hotline.feedback", ticket["id"], encode(envelope), {})])
    publisher.close()
    again = _rating("inv-5")
    publish(local_api.client, again, ticket["id"], "feedback")
    eventually(lambda: len(_all(local_api, ticket["id"])) == 2)
    assert sorted(m["text"][-5:] for m in _all(local_api, ticket["id"])) == ["inv-4", "inv-5"]


def _all(api: IntakeApi, ticket_id: str) -> list[dict[str, Any]]:
    return [r for r in api.get("/api/v1/sms", user="admin").json() if r["ticket_id"] == ticket_id]


def test_a_sealed_link_is_opened_only_for_the_gateway(
    http_api: IntakeApi, gateway: Gateway
) -> None:
    """Feedback seals the link (RatingRequested.sealed_link): intake opens it with the key
    the two share, and what it keeps after delivery holds no link."""
    ticket = http_api.call(caller_phone="13812340000").json()
    link = f"https://12345.example.gov.cn/feedback/rate?ticket={ticket['id']}&t=SEALED-TOKEN"
    now = datetime.now(UTC)
    sealed = RatingRequested(
        invitation_id="inv-sealed",
        sealed_link=LinkSeal(Settings().rating_link_keys).seal(link),
        expires_at=now + timedelta(days=3),
        department_code="D-JXS",
        at=now,
    )
    publish(http_api.client, sealed, ticket["id"], "feedback")
    sent = eventually(lambda: (m := _sms(http_api, ticket["id"])) and m["status"] == "sent" and m)
    texts = [r["text"] for r in gateway.received if r["to"] == "13812340000"]
    assert texts and link in texts[-1]
    assert "SEALED-TOKEN" not in sent["text"]
