"""The ledger's pure rules: the RFC 6962 tree, the entry's hash over its stored text, the
fast check of an export (each kind of rewrite named), corrections and Beijing days."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.search.domain import ledger as domain
from services.search.domain.ledger import Earlier, Seal

AT = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)  # 11:00 in Beijing


def rfc6962(leaves: list[bytes]) -> bytes:
    """The RFC's recursive definition, as written there."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + rfc6962(leaves[:k]) + rfc6962(leaves[k:])).digest()


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 31, 33])
def test_the_merkle_root_is_the_rfc_6962_tree(n: int) -> None:
    hashes = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(n)]
    expected = rfc6962([bytes.fromhex(h) for h in hashes]).hex()
    assert domain.merkle_root(hashes) == expected
    tree = domain.MerkleTree()
    for h in hashes:
        tree.add(h)
    assert tree.root() == expected and tree.count == n
    for runs in ([hashes[:16], hashes[16:]], [hashes[:3], hashes[3:7], hashes[7:]], [hashes]):
        joined = domain.MerkleTree()
        for run in runs:
            joined.extend(run)
        assert joined.root() == expected and joined.count == n


def envelope(ticket: str, type_: str = "ProgressNoted", **payload: Any) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4().hex,
        "type": type_,
        "schema_version": 1,
        "occurred_at": "2026-11-30T03:00:00Z",
        "producer": "test",
        "correlation_id": "c",
        "ticket_id": ticket,
        "payload": payload or {"note": '路灯不亮\n"已报修"'},
    }


def export(events: list[dict[str, Any]], at: datetime = AT) -> list[bytes]:
    """Lines of an export of `events`, entered in order, and the seal of their day."""
    heads: dict[str, tuple[str, int]] = {}
    lines, hashes = [b'{"ledger":{"format":1}}'], []
    for sequence, event in enumerate(events, start=1):
        chain = domain.chain_of(event)
        prev, position = heads.get(chain, (domain.GENESIS, 0))
        content = domain.content_of(chain, position + 1, at, None, event)
        hash_ = domain.entry_hash(prev, content)
        heads[chain] = (hash_, position + 1)
        hashes.append(hash_)
        lines.append(domain.entry_line(sequence, hash_, prev, content).encode())
    seal = Seal(domain.day_of(at), domain.merkle_root(hashes), len(hashes), 1, len(hashes), at)
    lines.append(f'{{"seal":{domain.canonical(seal.as_json())}}}'.encode())
    return lines


EVENTS = [envelope("t1"), envelope("t2"), envelope("t1", "AssignmentResolved"), envelope("t1")]


def test_an_untouched_export_verifies() -> None:
    checked = domain.verify_lines(export(EVENTS))
    assert checked.ok and (checked.entries, checked.chains, checked.days) == (4, 2, 1)


def test_the_hash_is_sha256_of_prev_hash_hex_then_the_stored_text() -> None:
    content = domain.content_of("ticket:t1", 1, AT, None, EVENTS[0])
    assert content.startswith('{"chain":"ticket:t1","corrects":null,"event":{')
    assert content.endswith(',"position":1,"recorded_at":"2026-11-30T03:00:00.000000Z"}')
    assert "路灯不亮" in content  # UTF-8 as is, not escaped
    expected = hashlib.sha256((domain.GENESIS + content).encode("utf-8")).hexdigest()
    assert domain.entry_hash(domain.GENESIS, content) == expected


def named(lines: list[bytes]) -> str:
    checked = domain.verify_lines(lines)
    assert not checked.ok
    return str(checked.mismatch)


def test_an_edited_content_is_named() -> None:
    lines = export(EVENTS)
    lines[3] = lines[3].replace(b"AssignmentResolved", b"AssignmentReturned")
    assert named(lines).startswith(f"entry 3 (chain ticket:t1, event {EVENTS[2]['event_id']})")
    assert "its hash does not match" in named(lines)


def test_an_entry_left_out_is_named_at_the_next_one_of_its_chain() -> None:
    lines = export(EVENTS)
    del lines[3]
    assert named(lines).startswith("entry 4 (chain ticket:t1")
    assert "position 3 follows 1" in named(lines)


def test_an_entry_rewritten_with_its_own_hash_breaks_the_next_link() -> None:
    lines = export(EVENTS)
    forged = export([EVENTS[0], EVENTS[1], envelope("t1", "AssignmentReturned")])[3]
    lines[3] = forged
    assert "prev_hash is not the hash" in named(lines)
    assert named(lines).startswith("entry 4 (chain ticket:t1")


def test_a_whole_chain_rewritten_still_fails_its_day_root() -> None:
    lines = export(EVENTS)
    rewritten = export([EVENTS[0], EVENTS[1], envelope("t1", "AssignmentReturned"), EVENTS[3]])
    lines[1:5] = rewritten[1:5]
    assert named(lines).startswith("day 2026-11-30: the entries give root")


def test_a_seal_over_more_entries_than_the_export_holds_is_partial_not_failed() -> None:
    lines = export(EVENTS)
    ticket = [x for x in lines if b'"chain":"ticket:t1"' in x or b"seal" in x or b"ledger" in x]
    checked = domain.verify_lines(ticket)
    assert checked.ok and checked.partial_days == [date(2026, 11, 30)] and checked.days == 0


def test_corrections_are_listed() -> None:
    rated = envelope("t1", "TicketRated", department_code="D1", satisfaction="dissatisfied")
    content = domain.content_of("ticket:t1", 1, AT, "ab" * 32, rated)
    line = domain.entry_line(7, domain.entry_hash(domain.GENESIS, content), domain.GENESIS, content)
    checked = domain.verify_lines([b'{"ledger":{"format":1}}', line.encode()])
    assert checked.corrections == [(7, rated["event_id"], "ab" * 32)]
    assert checked.unsealed == 1  # no seal of its day in this export


def test_what_is_not_an_export_is_named() -> None:
    assert named([]) == 'not a ledger export: no {"ledger": …} header line'
    lines = export(EVENTS)
    lines[2] = lines[2][:40]
    assert "entry 2" not in named(lines) and "not a well-formed" in named(lines)


def earlier(*entries: tuple[str, dict[str, Any]]) -> list[Earlier]:
    return [Earlier(f"h{n}", type_, payload) for n, (type_, payload) in enumerate(entries)]


def test_what_each_correcting_event_corrects() -> None:
    chain = earlier(
        ("AssignmentResolved", {"assignment_id": "a1"}),
        ("TicketRated", {"department_code": "D1"}),
        ("AppealFiled", {"appeal_id": "p1"}),
        ("AppealDecided", {"appeal_id": "p1"}),
        ("TicketClosed", {}),
    )

    def fix(type_: str, **payload: Any) -> str | None:
        return domain.corrected({"type": type_, "payload": payload}, chain)

    appeal = {"appeal_id": "p1", "department_code": "D1"}
    assert fix("AppealDecided", excluded=True, **appeal) == "h1"  # the rating excluded
    assert fix("AppealDecided", excluded=False, **appeal) is None  # nothing taken out
    assert fix("AppealReversed", **appeal) == "h3"
    assert fix("ReopenRequested", assignment_id="a1") == "h0"
    assert fix("ReopenRequested", assignment_id="a9") == "h4"  # else the closing
    assert fix("TicketRated") is None
    config = earlier(("ConfigurationChanged", {"action": "schedule"}))
    cancel = {"type": "ConfigurationChanged", "payload": {"action": "cancel"}}
    assert domain.corrected(cancel, config) == "h0"


def test_days_are_beijing_days_and_chains_need_no_escaping() -> None:
    midnight = datetime(2026, 11, 30, 16, tzinfo=UTC)  # 00:00 on 1 December in Beijing
    assert domain.day_of(midnight - timedelta(microseconds=1)) == date(2026, 11, 30)
    assert domain.day_of(midnight) == date(2026, 12, 1)
    assert domain.day_bounds(date(2026, 12, 1))[0] == midnight
    assert len(domain.month_days("2026-02")) == 28
    odd = {"type": "ConfigurationChanged", "payload": {"kind": "category", "key": 'a"b\\c 供'}}
    assert domain.chain_of(odd) == "audit:category:a%22b%5Cc%20%E4%BE%9B"


def test_closed_days_from_the_first_of_the_ledger_s_first_month_are_sealed() -> None:
    found = domain.days_to_seal(date(2026, 11, 28), {date(2026, 11, 2)}, date(2026, 12, 2))
    assert found[0] == date(2026, 11, 1) and date(2026, 11, 2) not in found
    assert found[-1] == date(2026, 12, 1) and len(found) == 30
    assert domain.days_to_seal(None, set(), date(2026, 12, 2)) == []
