"""What operators saw: a call stored just as the connection was cut, retried by its client,
became two tickets. Against the real server process: the client's connection is cut after
the server stored the call and before its answer is read; the retry with the same key gets
that call's answer, and there is one ticket."""

from __future__ import annotations

import json
import socket
import struct
import time
import uuid
from pathlib import Path

import httpx

from tests.support.harness import Cluster, call_body, embedded_env, eventually


def _tickets(client: httpx.Client, words: str) -> list[str]:
    rows = client.get("/api/v1/tickets", params={"limit": 200}).json()
    return [row["id"] for row in rows if row["description"] == words]


def _send_and_cut(port: int, token: str, key: str, body: bytes) -> socket.socket:
    """Sends the whole request on a raw connection and returns it unread."""
    head = (
        "POST /api/v1/calls HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\n"
        f"Idempotency-Key: {key}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(head.encode() + body)
    return sock


def _retry(client: httpx.Client, key: str, body: bytes) -> httpx.Response:
    """As a client would: again while the server says the first is still running."""
    headers = {"Idempotency-Key": key, "Content-Type": "application/json"}
    deadline = time.monotonic() + 30
    while True:
        response = client.post("/api/v1/calls", content=body, headers=headers)
        if response.status_code != 409 or time.monotonic() > deadline:
            return response
        time.sleep(float(response.headers.get("retry-after", "1")) / 10)


def test_a_call_retried_after_the_connection_was_cut_is_one_ticket(tmp_path: Path) -> None:
    cluster = Cluster(embedded_env(tmp_path), tmp_path)
    cluster.start("intake")
    try:
        words = f"施工噪音 断线重试 {uuid.uuid4().hex[:6]}"
        body = json.dumps(call_body(description=words)).encode()
        key = str(uuid.uuid4())
        with cluster.client("intake", "agent1") as client:
            sock = _send_and_cut(cluster.base_port, cluster.token("agent1"), key, body)
            eventually(lambda: _tickets(client, words))  # the server stored it
            # Reset, not a polite close: the answer is never read, as when a link drops.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            retry = _retry(client, key, body)
            stored = _tickets(client, words)
        assert retry.status_code == 201, retry.text
        assert retry.headers["idempotent-replayed"] == "true"
        assert stored == [retry.json()["id"]]
    finally:
        cluster.stop()
