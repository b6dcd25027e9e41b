"""Published months on both databases, as two search instances publish them: however many
write the same month at once, one row is kept and never replaced, nobody fails, and a root
once written is never changed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker

from services.common.db import make_engine
from services.common.migrations import upgrade
from services.search.adapters.public import PublishedMonths
from tests.support import peers

AT = datetime(2026, 12, 16, 2, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PublishedMonths]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/search.db"
    else:
        server: peers.Peer = request.getfixturevalue("postgres")
        name = f"search_{uuid.uuid4().hex[:8]}"
        peers.create_databases(server, (name,))
        url = server.url.replace("{db}", name)
    upgrade("search", url)
    engine = make_engine(url)
    yield PublishedMonths(sessionmaker(engine))
    engine.dispose()


def test_many_publishing_one_month_at_once_keep_one_row(store: PublishedMonths) -> None:
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: store.add("2026-11", {"received": n}, AT), range(16)))
    kept = store.get("2026-11")
    assert kept is not None and kept["published_at"] == AT and kept["root"] is None
    store.add("2026-11", {"received": -1}, AT)
    assert store.get("2026-11") == kept
    assert [row["month"] for row in store.listed()] == ["2026-11"]


def test_a_root_once_written_is_kept(store: PublishedMonths) -> None:
    store.add("2026-10", {"received": 1}, AT)
    store.seal("2026-10", "ab" * 32)
    store.seal("2026-10", "cd" * 32)
    found = store.get("2026-10")
    assert found is not None and found["root"] == "ab" * 32
