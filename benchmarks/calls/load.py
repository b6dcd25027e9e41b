"""Sending calls (closed and open loop) and reading back when each ticket was dispatched
and became searchable."""

from __future__ import annotations

import asyncio
import json
import random
import time
import tomllib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx

from tests.support.harness import ROOT

SEED_DIR = ROOT / "services" / "intake" / "seed"
# Used when the intake seed files cannot be read; valid in the catalogue of commit 8fff4bd.
FALLBACK_CATEGORIES = (("010101", "噪音扰民"), ("010102", "垃圾清运"), ("020101", "停水"))
FALLBACK_AREAS = ("110101001001", "110105001001", "110108001001")


def _leaves(file: str, key: str) -> list[tuple[str, str]]:
    """(code, name) of the leaves of a seed tree (codes that are no entry's parent)."""
    try:
        entries = tomllib.loads((SEED_DIR / file).read_text(encoding="utf-8"))[key]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return []
    parents = {e.get("parent") for e in entries}
    return [(e["code"], e.get("name", "")) for e in entries if e["code"] not in parents]


def _spread(items: list[tuple[str, str]], count: int) -> list[tuple[str, str]]:
    """Up to `count` items spread evenly over the list (deterministic)."""
    step = max(1, len(items) // count)
    return items[::step][:count]


CATEGORIES = _spread(_leaves("catalogue.toml", "categories"), 12) or list(FALLBACK_CATEGORIES)
AREAS = [c for c, _ in _spread(_leaves("addresses.toml", "areas"), 12)] or list(FALLBACK_AREAS)


# --------------------------------------------------------------------------- sending calls


@dataclass
class Sent:
    scheduled: float | None  # open loop: when the call was due (monotonic)
    started: float
    finished: float
    status: int
    ticket_id: str | None = None
    created_at: str | None = None
    error: str | None = None


def call_body(rng: random.Random, i: int) -> dict[str, Any]:
    code, name = rng.choice(CATEGORIES)
    return {
        "channel": rng.choice(("phone", "phone", "phone", "web", "app")),
        "request_type": rng.choice(("complaint", "complaint", "help", "consultation", "report")),
        "category_code": code,
        "area_code": rng.choice(AREAS),
        "urgency": "urgent" if rng.random() < 0.1 else "general",
        "description": f"市民来电反映{name}问题，希望尽快处理（压测 {i}）",
        "caller_phone": f"138{rng.randrange(10**8):08d}",
    }


async def post_call(
    client: aiohttp.ClientSession, body: dict[str, Any], scheduled: float | None
) -> Sent:
    started = time.monotonic()
    try:
        async with client.post("/api/v1/calls", json=body) as response:
            status, text = response.status, await response.text()
    except (aiohttp.ClientError, TimeoutError) as exc:
        return Sent(scheduled, started, time.monotonic(), 0, error=f"{type(exc).__name__}: {exc}")
    finished = time.monotonic()
    if status != 201:
        return Sent(scheduled, started, finished, status, error=text[:300])
    ticket = json.loads(text)
    return Sent(scheduled, started, finished, 201, ticket["id"], ticket["created_at"])


async def closed_loop(client: aiohttp.ClientSession, calls: int, concurrency: int) -> list[Sent]:
    """`concurrency` workers, each sending its next call as soon as the last one answered."""
    rng = random.Random(1)
    bodies = iter(enumerate(call_body(rng, i) for i in range(calls)))
    results: list[Sent] = []

    async def worker() -> None:
        for _, body in bodies:
            results.append(await post_call(client, body, None))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results


async def open_loop(
    client: aiohttp.ClientSession, rate: float, duration: float, max_in_flight: int
) -> tuple[list[Sent], int]:
    """A call every 1/rate seconds on a fixed schedule, whatever the answers take, with at
    most `max_in_flight` outstanding. A call that cannot start on time starts late (schedule
    slip, included in the from-schedule latency); calls that could not even start before
    the `duration` is over are not sent and are returned as the missed count.

    `max_in_flight` senders take the scheduled slots in turn, each waiting for its slot's
    time: the same schedule as one task per call behind a semaphore, at a fraction of the
    client's CPU (which shares the machine with the platform it measures)."""
    rng = random.Random(2)
    total = int(rate * duration)
    bodies = [call_body(rng, i) for i in range(total)]
    slots = iter(range(total))
    results: list[Sent] = []
    t0 = time.monotonic() + 0.05
    end = t0 + duration
    sent = 0

    async def sender() -> None:
        nonlocal sent
        for i in slots:
            due = t0 + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif time.monotonic() > end:
                return  # this slot and the ones after it are never sent
            sent += 1
            results.append(await post_call(client, bodies[i], due))

    await asyncio.gather(*(sender() for _ in range(max_in_flight)))
    return results, total - sent


# --------------------------------------------------------------------------- reading back


async def search_total(client: httpx.AsyncClient, **filters: str) -> int:
    r = await client.get("/api/v1/search", params={"limit": 1, **filters})
    r.raise_for_status()
    return int(r.json()["total"])


async def wait_settled(
    client: httpx.AsyncClient, expected: int, timeout: float, last: Sequence[str] = ()
) -> float | None:
    """Seconds until the search index holds `expected` dispatched tickets; None on timeout.

    Counting is a query over the whole index (on osmem-server 30,000 tickets take ~120 ms
    of its CPU), so it runs only once the `last` tickets sent are each found dispatched,
    and then at most once a second: polling the count itself would load the peer it
    measures and slow the drain."""
    started = time.monotonic()
    counted = 0.0
    while time.monotonic() - started < timeout:
        try:
            if await _all_dispatched(client, last) and time.monotonic() - counted >= 1.0:
                counted = time.monotonic()
                if await search_total(client, status="dispatched") >= expected:
                    return time.monotonic() - started
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.2)
    return None


async def _all_dispatched(client: httpx.AsyncClient, ticket_ids: Sequence[str]) -> bool:
    for ticket_id in ticket_ids:
        r = await client.get(f"/api/v1/tickets/{ticket_id}")
        if r.status_code != 200 or r.json().get("status") != "dispatched":
            return False
    return True


async def bounded(jobs: list[Callable[[], Awaitable[None]]], concurrency: int) -> None:
    queue = iter(jobs)

    async def worker() -> None:
        for job in queue:
            await job()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def read_back(
    search: httpx.AsyncClient,
    dispatch: httpx.AsyncClient,
    ids: list[str],
    concurrency: int,
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Each ticket's search document and its dispatched_at, by ticket id."""
    docs: dict[str, dict[str, Any]] = {}
    dispatched: dict[str, str] = {}

    def fetch(ticket_id: str) -> Callable[[], Awaitable[None]]:
        async def job() -> None:
            for _ in range(3):
                try:
                    r = await search.get(f"/api/v1/tickets/{ticket_id}")
                    if r.status_code == 200:
                        docs[ticket_id] = r.json()
                    a = await dispatch.get("/api/v1/assignments", params={"ticket_id": ticket_id})
                    if a.status_code == 200 and a.json():
                        dispatched[ticket_id] = min(x["dispatched_at"] for x in a.json())
                    return
                except httpx.HTTPError:
                    await asyncio.sleep(0.5)

        return job

    await bounded([fetch(t) for t in ids], concurrency)
    return docs, dispatched
