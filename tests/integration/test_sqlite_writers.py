"""SQLite writers of one process queue on the file's writer lock, released however the
transaction ends, so a failed writer never blocks the next one."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select
from sqlalchemy.exc import IntegrityError

from services.common.db import make_engine

metadata = MetaData()
rows = Table("rows", metadata, Column("id", Integer, primary_key=True))


def test_a_second_writer_queues_on_the_lock_until_the_first_commits(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    metadata.create_all(engine)
    first_wrote, order = threading.Event(), []

    def first() -> None:
        with engine.begin() as conn:
            conn.execute(insert(rows), {"id": 1})
            first_wrote.set()
            time.sleep(0.3)  # still inside its transaction
            order.append("first commits")

    def second() -> None:
        first_wrote.wait()
        with engine.begin() as conn:
            # Without the writer lock, SQLite would refuse at once: no busy wait allowed.
            conn.exec_driver_sql("PRAGMA busy_timeout = 0")
            conn.execute(insert(rows), {"id": 2})
            order.append("second wrote")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert order == ["first commits", "second wrote"]
    with engine.connect() as conn:
        assert sorted(conn.scalars(select(rows.c.id))) == [1, 2]


def test_a_failed_writer_lets_the_next_one_in(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(rows), {"id": 1})
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(rows), {"id": 1})
    done = threading.Event()

    def write() -> None:
        with engine.begin() as conn:
            conn.execute(insert(rows), {"id": 2})
        done.set()

    threading.Thread(target=write, daemon=True).start()
    assert done.wait(5), "the writer lock was not released after the failed transaction"
