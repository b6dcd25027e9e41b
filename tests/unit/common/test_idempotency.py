"""The pure parts of Idempotency-Key: which keys are accepted, what counts as the same
request, and what a request gets given what its key already holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.common.idempotency import (
    ANSWER_GRACE,
    RETENTION,
    InvalidKey,
    Stored,
    Verdict,
    fingerprint,
    kept_headers,
    parse_key,
    scope_of,
    verdict,
)

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
SECRET = b"k" * 32


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("8e03978e-40d5-43e8-bc93-6894a57f9324", "8e03978e-40d5-43e8-bc93-6894a57f9324"),
        ('"8e03978e-40d5-43e8-bc93-6894a57f9324"', "8e03978e-40d5-43e8-bc93-6894a57f9324"),
        ("  abcdefgh ", "abcdefgh"),
        ("a" * 128, "a" * 128),
        ("YWJj+/ZGVm=:x_y.z~", "YWJj+/ZGVm=:x_y.z~"),
    ],
)
def test_keys_bare_or_quoted_are_accepted(raw: str, key: str) -> None:
    assert parse_key(raw) == key


@pytest.mark.parametrize(
    "raw",
    ["", "short", "a" * 129, "has space in it", "中文的键也不行啊啊", 'quote"inside', '"unclosed'],
)
def test_keys_too_short_too_long_or_of_other_characters_are_refused(raw: str) -> None:
    with pytest.raises(InvalidKey):
        parse_key(raw)


def test_a_json_body_is_the_same_whatever_its_spacing_and_key_order() -> None:
    one = fingerprint(SECRET, "POST", "/api/v1/calls", "", b'{"a": 1, "b": [1, 2]}')
    two = fingerprint(SECRET, "POST", "/api/v1/calls", "", b'{"b":[1,2],\n "a":1}')
    assert one == two


@pytest.mark.parametrize(
    ("method", "path", "query", "body"),
    [
        ("POST", "/api/v1/calls", "", b'{"a": 2, "b": [1, 2]}'),
        ("POST", "/api/v1/calls", "", b'{"a": 1, "b": [2, 1]}'),
        ("PUT", "/api/v1/calls", "", b'{"a": 1, "b": [1, 2]}'),
        ("POST", "/api/v1/other", "", b'{"a": 1, "b": [1, 2]}'),
        ("POST", "/api/v1/calls", "x=1", b'{"a": 1, "b": [1, 2]}'),
    ],
)
def test_another_target_or_content_is_another_request(
    method: str, path: str, query: str, body: bytes
) -> None:
    first = fingerprint(SECRET, "POST", "/api/v1/calls", "", b'{"a": 1, "b": [1, 2]}')
    assert fingerprint(SECRET, method, path, query, body) != first


def test_a_body_that_is_not_json_counts_byte_for_byte() -> None:
    assert fingerprint(SECRET, "POST", "/x", "", b"a=1&b=2") != fingerprint(
        SECRET, "POST", "/x", "", b"b=2&a=1"
    )
    assert fingerprint(SECRET, "POST", "/x", "", b"") == fingerprint(SECRET, "POST", "/x", "", b"")


def test_the_scope_tells_callers_methods_and_routes_apart_and_hides_them() -> None:
    scope = scope_of(SECRET, "203.0.113.5", "POST", "/api/v1/calls")
    assert len(scope) == 64 and "203.0.113.5" not in scope
    others = [
        scope_of(SECRET, "203.0.113.6", "POST", "/api/v1/calls"),
        scope_of(SECRET, "203.0.113.5", "PUT", "/api/v1/calls"),
        scope_of(SECRET, "203.0.113.5", "POST", "/api/v1/calls/x"),
        scope_of(b"o" * 32, "203.0.113.5", "POST", "/api/v1/calls"),
    ]
    assert scope not in others and len(set(others)) == 4


def test_a_fingerprint_cannot_be_recomputed_without_the_secret() -> None:
    body = b'{"caller_phone": "13812345678"}'
    assert fingerprint(SECRET, "POST", "/x", "", body) != fingerprint(
        b"o" * 32, "POST", "/x", "", body
    )


def _stored(
    *, fingerprint_: str = "f", age: timedelta = timedelta(0), status: int | None = 201
) -> Stored:
    return Stored(fingerprint_, NOW - age, status, [("content-type", "application/json")], b"{}")


def test_a_key_never_seen_or_older_than_the_retention_is_new() -> None:
    assert verdict(None, "f", NOW) is Verdict.NEW
    assert verdict(_stored(age=RETENTION), "f", NOW) is Verdict.NEW
    assert verdict(_stored(age=RETENTION - timedelta(seconds=1)), "f", NOW) is Verdict.REPLAY


def test_the_same_request_with_its_answer_is_replayed_another_is_refused() -> None:
    assert verdict(_stored(), "f", NOW) is Verdict.REPLAY
    assert verdict(_stored(), "g", NOW) is Verdict.REUSED
    assert verdict(_stored(status=None), "g", NOW) is Verdict.REUSED


def test_a_key_without_its_answer_is_in_flight_then_lost() -> None:
    assert verdict(_stored(status=None), "f", NOW) is Verdict.IN_FLIGHT
    assert verdict(_stored(status=None, age=ANSWER_GRACE), "f", NOW) is Verdict.LOST


def test_a_replay_repeats_only_the_headers_that_describe_the_answer() -> None:
    raw = [
        (b"content-type", b"application/json"),
        (b"Content-Language", b"zh-CN"),
        (b"x-correlation-id", b"abc"),
        (b"content-length", b"2"),
        (b"set-cookie", b"a=b"),
    ]
    assert kept_headers(raw) == [
        ("content-type", "application/json"),
        ("Content-Language", "zh-CN"),
    ]
