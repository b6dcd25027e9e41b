"""The ledger's rules, pure: how an event becomes a chained entry, how a day is sealed, and
how an export is checked. docs/ledger.md states the same byte for byte for outside parties.

- An entry's content is the canonical JSON (keys sorted, no spaces, UTF-8 as is) of
  `{"chain", "corrects", "event", "position", "recorded_at"}`, `event` being the envelope
  as consumed. Its hash is SHA-256 over the previous entry's hash in the chain (64 ASCII hex
  characters; 64 zeros for the first) followed by the content's UTF-8 bytes.
- A day's root (Asia/Shanghai, by `recorded_at`) is the RFC 6962 Merkle tree hash over the
  day's entry hashes (32 bytes each) in sequence order: leaf = SHA-256(0x00 || hash),
  node = SHA-256(0x01 || left || right); the root of no entries is SHA-256 of nothing.
  A month's root is the same tree over its day roots in day order.
"""

from __future__ import annotations

import hashlib
import json
from binascii import unhexlify
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
GENESIS = "0" * 64
RECORDED_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # always 27 characters, so a reader can slice it
# Chain names keep to these characters, so a chain's name never needs escaping in JSON.
_CHAIN_SAFE = ":-_.@"
_sha256 = hashlib.sha256


def canonical(value: Any) -> str:
    """The one text of a JSON value: keys sorted, no spaces, non-ASCII kept as is."""
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )


def chain_of(event: dict[str, Any]) -> str:
    """The chain an envelope (as a dict) is entered in: its ticket's, or for an audit event
    the audited record's (a configuration record, or the ticket whose personal data it is)."""
    payload = event["payload"]
    if event["type"] == "ConfigurationChanged":
        name = f"audit:{payload['kind']}:{payload['key']}"
    elif event["type"] == "PersonalDataAccessed":
        name = f"audit:privacy:{payload.get('ticket_id') or payload['action']}"
    else:
        name = f"ticket:{event['ticket_id']}"
    return quote(name, safe=_CHAIN_SAFE)


def ticket_chain(ticket_id: str) -> str:
    return quote(f"ticket:{ticket_id}", safe=_CHAIN_SAFE)


def recorded_text(at: datetime) -> str:
    return at.astimezone(UTC).strftime(RECORDED_FORMAT)


def content_of(
    chain: str, position: int, recorded_at: datetime, corrects: str | None, event: dict[str, Any]
) -> str:
    return canonical(
        {
            "chain": chain,
            "corrects": corrects,
            "event": event,
            "position": position,
            "recorded_at": recorded_text(recorded_at),
        }
    )


def entry_hash(prev_hash: str, content: str) -> str:
    """SHA-256(prev_hash as 64 ASCII hex characters || content as UTF-8), in hex."""
    return _sha256((prev_hash + content).encode()).hexdigest()


def merkle_root(hashes: Sequence[str | bytes]) -> str:
    """RFC 6962 Merkle tree hash over hex hashes (taken as 32 bytes each), in hex.

    Level by level, an odd node at the end is carried up as it is: the same tree as the
    RFC's split at the largest power of two below n."""
    if not hashes:
        return _sha256(b"").hexdigest()
    level = [_sha256(b"\x00" + unhexlify(h)).digest() for h in hashes]
    while len(level) > 1:
        paired = [
            _sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0].hex()


class MerkleTree:
    """The same root as `merkle_root`, built leaf by leaf in O(log n) memory: the stack
    holds the perfect subtrees of n's binary decomposition, largest first, and the root
    joins them from the right (so a month's export is checked without holding its hashes)."""

    __slots__ = ("_stack", "count")

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []
        self.count = 0

    def add(self, hash_: str | bytes) -> None:
        self._push(1, _sha256(b"\x00" + unhexlify(hash_)).digest())
        self.count += 1

    def extend(self, hashes: Sequence[str | bytes]) -> None:
        """`add` for each; a run of a power of two (a verifier's buffer) is joined into one
        perfect subtree with list comprehensions first, which is faster per leaf."""
        level = [_sha256(b"\x00" + unhexlify(h)).digest() for h in hashes]
        self.count += len(level)
        top = self._stack[-1][0] if self._stack else len(level)
        if len(level) & (len(level) - 1) or top < len(level):
            for node in level:
                self._push(1, node)
            return
        while len(level) > 1:
            pairs = zip(level[::2], level[1::2], strict=True)  # a power of two: even
            level = [_sha256(b"\x01" + a + b).digest() for a, b in pairs]
        if level:
            self._push(len(hashes), level[0])

    def _push(self, size: int, node: bytes) -> None:
        stack = self._stack
        while stack and stack[-1][0] == size:
            node = _sha256(b"\x01" + stack.pop()[1] + node).digest()
            size *= 2
        stack.append((size, node))

    def root(self) -> str:
        if not self._stack:
            return _sha256(b"").hexdigest()
        node = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            node = _sha256(b"\x01" + left + node).digest()
        return node.hex()


# --- days and months (Asia/Shanghai) ---


def day_of(at: datetime) -> date:
    return at.astimezone(SHANGHAI).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants a Shanghai day starts and the next one starts."""
    start = datetime.combine(day, time(), SHANGHAI)
    end = datetime.combine(day + timedelta(days=1), time(), SHANGHAI)
    return start.astimezone(UTC), end.astimezone(UTC)


def month_days(month: str) -> list[date]:
    """The days of "YYYY-MM"; ValueError for anything else."""
    first = datetime.strptime(month, "%Y-%m").date()
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return [first + timedelta(days=n) for n in range((following - first).days)]


def days_to_seal(first_recorded: date | None, sealed: set[date], today: date) -> list[date]:
    """Closed days not sealed yet: from the first day of the month the ledger began in
    (earlier days of that month are sealed empty, so the month can have a root) to the
    day before `today`."""
    if first_recorded is None:
        return []
    day, found = first_recorded.replace(day=1), []
    while day < today:
        if day not in sealed:
            found.append(day)
        day += timedelta(days=1)
    return found


# --- corrections: a new entry that refers to the earlier one whose effect it changes ---


@dataclass(frozen=True)
class Earlier:
    """An earlier entry of the same chain: its hash and the event it holds."""

    hash: str
    type: str
    payload: dict[str, Any]


CORRECTING = frozenset(
    {"AppealDecided", "AppealReversed", "ReopenRequested", "ConfigurationChanged"}
)
_UNDONE_BY = {"cancel": ("schedule",), "restore": ("retire", "delete")}


def corrected(event: dict[str, Any], earlier: Sequence[Earlier]) -> str | None:
    """The hash of the entry `event` corrects, or None. `earlier` is oldest first.

    - an appeal decision that takes the ticket out of a department's rates corrects the
      department's latest rating of it (or the appeal, before any rating);
    - a reversal corrects the appeal's decision it turns;
    - a reopening (重办) corrects the result it refuses (the resolution, else the closing);
    - a configuration change that cancels or restores corrects what it undoes."""
    kind, p = event["type"], event["payload"]
    newest_first = list(reversed(earlier))
    if kind == "AppealDecided" and p.get("excluded"):
        return _first(
            newest_first,
            lambda e: (
                e.type == "TicketRated"
                and e.payload.get("department_code") in (None, p["department_code"])
            ),
        ) or _first(newest_first, _appeal(p, ("AppealFiled",)))
    if kind == "AppealReversed":
        return _first(newest_first, _appeal(p, ("AppealDecided", "AppealReversed")))
    if kind == "ReopenRequested":
        wanted = p.get("assignment_id")
        return _first(
            newest_first,
            lambda e: (
                e.type == "AssignmentResolved" and wanted in (None, e.payload.get("assignment_id"))
            ),
        ) or _first(newest_first, lambda e: e.type == "TicketClosed")
    if kind == "ConfigurationChanged" and p.get("action") in _UNDONE_BY:
        undone = _UNDONE_BY[p["action"]]
        return _first(newest_first, lambda e: e.payload.get("action") in undone)
    return None


def _appeal(p: dict[str, Any], types: tuple[str, ...]) -> Any:
    return lambda e: e.type in types and e.payload.get("appeal_id") == p["appeal_id"]


def _first(entries: Iterable[Earlier], test: Any) -> str | None:
    return next((e.hash for e in entries if test(e)), None)


# --- checking ---


@dataclass(frozen=True)
class Mismatch:
    """The first entry (or sealed day) that does not match, and what differs."""

    what: str
    sequence: int | None = None
    chain: str = ""
    event_id: str = ""
    day: date | None = None

    def __str__(self) -> str:
        if self.sequence is None:
            return f"day {self.day}: {self.what}" if self.day else self.what
        return f"entry {self.sequence} (chain {self.chain}, event {self.event_id}): {self.what}"


@dataclass
class Checked:
    """What a check went through; `mismatch` is None when everything matched."""

    entries: int = 0
    chains: int = 0
    days: int = 0  # sealed days whose root was recomputed and matched
    corrections: list[tuple[int, str, str]] = field(default_factory=list)  # (seq, event, hash)
    partial_days: list[date] = field(default_factory=list)  # sealed, not all entries here
    unsealed: int = 0  # entries of days with no seal in the export (not sealed yet)
    mismatch: Mismatch | None = None

    @property
    def ok(self) -> bool:
        return self.mismatch is None


@dataclass(frozen=True)
class Seal:
    day: date
    root: str
    entries: int
    first_sequence: int | None
    last_sequence: int | None
    sealed_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "root": self.root,
            "entries": self.entries,
            "first_sequence": self.first_sequence,
            "last_sequence": self.last_sequence,
            "sealed_at": self.sealed_at.astimezone(UTC).isoformat(),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Seal:
        return cls(
            day=date.fromisoformat(raw["day"]),
            root=raw["root"],
            entries=int(raw["entries"]),
            first_sequence=raw["first_sequence"],
            last_sequence=raw["last_sequence"],
            sealed_at=datetime.fromisoformat(raw["sealed_at"]),
        )


# An export line of an entry is exactly this, `content` being the entry's stored text:
ENTRY_LINE = (
    '{{"sequence":{sequence},"hash":"{hash}","prev_hash":"{prev_hash}","content":{content}}}'
)
_HASH_AT = len('{"sequence":')
_CHAIN_AT = len('{"chain":"')
# Every content ends with `,"position":<n>,"recorded_at":"<27 characters>"}`.
_POSITION_END = -len(',"recorded_at":"2026-01-01T00:00:00.000000Z"}')
_RECORDED_HOUR = slice(-29, -16)  # "YYYY-MM-DDTHH" of recorded_at (UTC)
_QUOTE = ord('"')
_LEAVES_AT_ONCE = 1024  # a power of two: see MerkleTree.extend


def entry_line(sequence: int, hash_: str, prev_hash: str, content: str) -> str:
    return ENTRY_LINE.format(sequence=sequence, hash=hash_, prev_hash=prev_hash, content=content)


def verify_lines(lines: Iterable[bytes]) -> Checked:
    """Checks an export (its lines as bytes): every entry's hash over its stored text, every
    link to the entry before it in its chain (a chain may start mid-way in a partial
    export: its first prev_hash is taken as given), and every sealed day's root over the
    day's entries when the export holds all of them. Stops at the first mismatch.

    Slices the fixed layout of `ENTRY_LINE` rather than parsing JSON: this runs over
    months of entries."""
    checked = Checked()
    heads: dict[bytes, tuple[bytes, int]] = {}
    by_day: dict[date, MerkleTree] = {}
    buffers: dict[date, list[bytes]] = {}  # leaves not in their day's tree yet
    hour_day: dict[bytes, date] = {}
    seals: list[Seal] = []
    sha = _sha256
    header, line = False, b""
    try:
        for line in lines:
            if line.startswith(b'{"seal":'):
                seals.append(Seal.from_json(json.loads(line)["seal"]))
                continue
            if not line.startswith(b'{"sequence":'):
                header = header or line.startswith(b'{"ledger":')
                continue  # the header, blank lines
            comma = line.index(b",", _HASH_AT)
            h, prev = line[comma + 9 : comma + 73], line[comma + 88 : comma + 152]
            content = line[comma + 164 : -1]
            checked.entries += 1
            if sha(prev + content).hexdigest().encode() != h:
                checked.mismatch = _explain(
                    line, "its hash does not match its content and prev_hash"
                )
                return checked
            end = content.index(b'"', _CHAIN_AT)
            chain = content[_CHAIN_AT:end]
            position = int(content[content.rindex(b'"position":') + 11 : _POSITION_END])
            head = heads.get(chain)
            if head is not None and (head[0] != prev or head[1] + 1 != position):
                what = "prev_hash is not the hash of the chain's entry before it"
                if head[1] + 1 != position:
                    what = f"position {position} follows {head[1]}: an entry is missing or moved"
                checked.mismatch = _explain(line, what)
                return checked
            heads[chain] = (h, position)
            hour = content[_RECORDED_HOUR]
            day = hour_day.get(hour)
            if day is None:
                day = hour_day[hour] = day_of(
                    datetime.strptime(hour.decode(), "%Y-%m-%dT%H").replace(tzinfo=UTC)
                )
            buffer = buffers.get(day)
            if buffer is None:
                buffer, by_day[day] = buffers.setdefault(day, []), MerkleTree()
            buffer.append(h)
            if len(buffer) == _LEAVES_AT_ONCE:
                by_day[day].extend(buffer)
                buffer.clear()
            if content[end + 13] == _QUOTE:  # `"corrects":"<hash>"` rather than `null`
                checked.corrections.append(_correction(line))
    except (ValueError, IndexError, KeyError, TypeError):
        checked.mismatch = _explain(line, "not a well-formed line of an export")
        return checked
    if not header:
        checked.mismatch = Mismatch('not a ledger export: no {"ledger": …} header line')
        return checked
    for day, buffer in buffers.items():
        by_day[day].extend(buffer)
    checked.chains = len(heads)
    sealed = {seal.day for seal in seals}
    checked.unsealed = sum(tree.count for day, tree in by_day.items() if day not in sealed)
    _check_seals(checked, seals, by_day)
    return checked


def _check_seals(checked: Checked, seals: list[Seal], days: dict[date, MerkleTree]) -> None:
    for seal in sorted(seals, key=lambda s: s.day):
        tree = days.get(seal.day) or MerkleTree()
        if tree.count and tree.count < seal.entries:
            checked.partial_days.append(seal.day)  # a ticket's export: its root is not here
            continue
        checked.mismatch = _against(seal, tree.count, tree.root)
        if checked.mismatch is not None:
            return
        checked.days += 1


def check_seal(seal: Seal, hashes: Sequence[str | bytes]) -> Mismatch | None:
    """Whether the day's entry hashes (in sequence order) give the sealed root."""
    return _against(seal, len(hashes), lambda: merkle_root(hashes))


def _against(seal: Seal, count: int, root: Callable[[], str]) -> Mismatch | None:
    if count != seal.entries:
        what = f"the seal counts {seal.entries} entries, {count} are there now"
        return Mismatch(what, day=seal.day)
    found = root()
    if found != seal.root:
        return Mismatch(f"the entries give root {found}, the seal says {seal.root}", day=seal.day)
    return None


def check_chain(chain: str, rows: Sequence[dict[str, Any]], head: Any) -> Checked:
    """Checks a chain's stored rows (by position): each column against the hashed content,
    each hash, each link, and the head (`.position`, `.hash`) against the last entry."""
    checked = Checked(chains=1 if rows else 0)
    if not rows and head is None:
        checked.mismatch = Mismatch(f"the ledger holds no entry of chain {chain}")
        return checked
    prev = GENESIS
    for number, row in enumerate(rows, start=1):
        checked.entries += 1
        what = _row_differs(chain, number, prev, row)
        if what:
            event_id = row["event_id"]
            checked.mismatch = Mismatch(what, row["sequence"], row["chain"], event_id)
            return checked
        if row["corrects"]:
            checked.corrections.append((row["sequence"], row["event_id"], row["corrects"]))
        prev = row["hash"]
    last = len(rows)
    if head is not None and (head.position, head.hash) != (last, prev):
        what = f"the chain's head is entry {head.position} ({head.hash}), its last is {last}"
        checked.mismatch = Mismatch(f"chain {chain}: {what}: entries were removed")
    return checked


def _row_differs(chain: str, position: int, prev: str, row: dict[str, Any]) -> str:
    """What differs in one stored row, or ""."""
    if entry_hash(row["prev_hash"], row["content"]) != row["hash"]:
        return "its hash does not match its content and prev_hash (content edited?)"
    if row["prev_hash"] != prev:
        return "prev_hash is not the hash of the chain's entry before it"
    try:
        content = json.loads(row["content"])
        event = content["event"]
    except (ValueError, KeyError, TypeError):
        return "its content is not an entry"
    stored = {
        "chain": (row["chain"], content["chain"], chain),
        "position": (row["position"], content["position"], position),
        "event_id": (row["event_id"], event["event_id"]),
        "type": (row["type"], event["type"]),
        "occurred_at": (row["occurred_at"], datetime.fromisoformat(event["occurred_at"])),
        "recorded_at": (recorded_text(row["recorded_at"]), content["recorded_at"]),
        "corrects": (row["corrects"], content["corrects"]),
    }
    for name, values in stored.items():
        if len(set(values)) > 1:
            return f"{name} is {values[0]!r} in its row, {values[1]!r} in its hashed content"
    return ""


def _explain(line: bytes, what: str) -> Mismatch:
    """The slow path, once: the entry named from its parsed line."""
    try:
        raw = json.loads(line)
        content = raw["content"]
        return Mismatch(
            what, raw.get("sequence"), content.get("chain", ""), content["event"]["event_id"]
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        start = line[:60].decode(errors="replace")
        return Mismatch(f"{what}; the line is not a well-formed entry: {start}…")


def _correction(line: bytes) -> tuple[int, str, str]:
    raw = json.loads(line)
    return raw["sequence"], raw["content"]["event"]["event_id"], raw["content"]["corrects"]


def iter_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Lines of a binary file read in large chunks (faster than line by line)."""
    rest = b""
    for chunk in chunks:
        parts = (rest + chunk).split(b"\n")
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest
