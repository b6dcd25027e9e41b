"""`EmbeddedGenerations`: the embedded index as a series of files, one of them current.

Generation N lives in `<dir>/search-index-gN.db`; the file `<dir>/search-index.current` names
the current one. A rebuild fills the next generation beside the current one and promotes it
by replacing the pointer file (`os.replace`, atomic), so every process that reads or writes
through this class moves to the new file at its next call, while the old one keeps answering
until then. Older generations stay, to go back to, until `prune` deletes them.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from services.search.adapters.fts import EmbeddedIndex
from services.search.adapters.index import Doc, SearchIndex, SearchRequest, SearchResult

STEM = "search-index"
_FILE = re.compile(rf"^{STEM}-g(\d+)\.db$")


class EmbeddedGenerations:
    """`SearchIndex` and `Rebuildable` over generation files in `directory`."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._dir = directory
        self._pointer = directory / f"{STEM}.current"
        self._lock = threading.Lock()
        self._name = ""
        self._seen: tuple[int, int] | None = None
        self._index: EmbeddedIndex | None = None
        self._retired: list[EmbeddedIndex] = []

    def ensure(self) -> None:
        if not self._pointer.exists():
            self._point_at(f"{STEM}-g1.db")
        self._current().ensure()

    def put(self, doc: Mapping[str, Any]) -> None:
        self._current().put(doc)

    def put_many(self, docs: Iterable[Mapping[str, Any]]) -> int:
        return self._current().put_many(docs)

    def get(self, ticket_id: str) -> Doc | None:
        return self._current().get(ticket_id)

    def search(self, request: SearchRequest) -> SearchResult:
        return self._current().search(request)

    def refresh(self) -> None:
        self._current().refresh()

    def drop(self) -> None:
        self._current().drop()
        for _, path in self._files():
            if path.name != self._name:
                _remove(path)

    def ping(self) -> bool:
        try:
            return self._current().ping()
        except OSError:
            return False

    def close(self) -> None:
        with self._lock:
            for index in [*self._retired, *([self._index] if self._index else [])]:
                index.close()
            self._retired.clear()
            self._index = None

    def next_generation(self) -> SearchIndex:
        number = max((n for n, _ in self._files()), default=0) + 1
        index = EmbeddedIndex(self._dir / f"{STEM}-g{number}.db")
        index.ensure()
        return index

    def promote(self, generation: SearchIndex) -> None:
        self._point_at(self._own(generation).path.name)

    def discard(self, generation: SearchIndex) -> None:
        index = self._own(generation)
        if index.path.name == self.live_generation():
            raise ValueError("the live generation cannot be discarded")
        index.close()
        _remove(index.path)

    def generations(self) -> list[str]:
        return [path.name for _, path in self._files()]

    def live_generation(self) -> str:
        return self._pointer.read_text().strip() if self._pointer.exists() else ""

    def prune(self, keep: int) -> list[str]:
        names = self.generations()
        kept = {*names[-keep:], self.live_generation()} if keep > 0 else {self.live_generation()}
        deleted = [name for name in names if name not in kept]
        for name in deleted:
            _remove(self._dir / name)
        return deleted

    def _own(self, generation: SearchIndex) -> EmbeddedIndex:
        if not isinstance(generation, EmbeddedIndex) or generation.path.parent != self._dir:
            raise ValueError("not a generation of this index")
        return generation

    @property
    def current_file(self) -> Path:
        self._current()
        return self._dir / self._name

    def _current(self) -> EmbeddedIndex:
        """The index the pointer names, reopened when the pointer changed since last call."""
        with self._lock:
            stat = self._pointer.stat() if self._pointer.exists() else None
            seen = (stat.st_ino, stat.st_mtime_ns) if stat else None
            if self._index is None or seen != self._seen:
                name = self._pointer.read_text().strip() if stat else f"{STEM}-g1.db"
                if name != self._name or self._index is None:
                    self._switch(name)
                self._seen = seen
            assert self._index is not None
            return self._index

    def _switch(self, name: str) -> None:
        index = EmbeddedIndex(self._dir / name)
        index.ensure()
        if self._index is not None:
            # Not closed at once: another thread may be inside a call on it right now.
            self._retired.append(self._index)
            while len(self._retired) > 1:
                self._retired.pop(0).close()
        self._index, self._name = index, name

    def _point_at(self, name: str) -> None:
        temporary = self._pointer.with_suffix(".tmp")
        temporary.write_text(name + "\n")
        os.replace(temporary, self._pointer)

    def _files(self) -> list[tuple[int, Path]]:
        found = [(_FILE.match(p.name), p) for p in self._dir.iterdir()]
        return sorted((int(m.group(1)), p) for m, p in found if m)


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
