"""Open311's rules without I/O: what an app may post, the query window, what the public
list shows, and the XML form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree.ElementTree import fromstring

import pytest

from services.intake.api.open311_formats import errors, render
from services.intake.domain.open311 import (
    BEIJING,
    MAX_REQUESTS,
    WINDOW,
    Area,
    Open311Error,
    attribute_lines,
    description_for,
    hash_key,
    joined,
    nearest,
    new_key,
    own_photo,
    redact,
    request_query,
    service_request,
    submission,
    unknown_attributes,
)

NOW = datetime(2026, 5, 1, 4, 0, tzinfo=UTC)
BASE = "https://12345.example.gov.cn/intake"


def _form(**fields: str | list[str]) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [v] for k, v in fields.items()}


def _refused(status: int, key: str, call: Any, *args: Any) -> None:
    with pytest.raises(Open311Error) as caught:
        call(*args)
    assert (caught.value.status, caught.value.key) == (status, key)


def test_a_submission_needs_a_service_and_a_location() -> None:
    _refused(400, "open311.service_code_missing", submission, _form(lat="39.9", long="116.4"))
    _refused(400, "open311.location_missing", submission, _form(service_code="010101"))
    _refused(400, "open311.lat_long", submission, _form(service_code="x", lat="39.9"))
    _refused(400, "open311.lat_long", submission, _form(service_code="x", lat="99", long="1"))
    for place in (
        {"lat": "39.9", "long": "116.4"},
        {"address_string": "建外"},
        {"address_id": "1"},
    ):
        assert submission(_form(service_code="010101", **place)).service_code == "010101"


def test_a_phone_that_is_no_chinese_number_is_not_kept() -> None:
    located = {"service_code": "010102", "address_id": "1"}
    kept = submission(_form(phone="+86 138-1234-5678", **located))
    assert (kept.phone, kept.not_kept) == ("13812345678", ())
    foreign = submission(_form(phone="111111111", **located))  # the specification's example
    assert (foreign.phone, foreign.not_kept) == ("", ("phone",))
    assert submission(_form(**located)).not_kept == ()


def test_a_submission_reads_attributes_and_checks_media() -> None:
    form = _form(
        service_code="010101",
        address_id="110105001001",
        **{"attribute[noise_period]": "night", "attribute[tags][]": ["a", "b"]},
    )
    assert submission(form).attributes == {"noise_period": "night", "tags": ["a", "b"]}
    empty = form | _form(**{"attribute[other]": "", "attribute[tags][]": ["", " "]})
    assert submission(empty).attributes == {"noise_period": "night"}  # as if not sent
    bad = _form(service_code="x", address_id="1", media_url="javascript:alert(1)")
    _refused(400, "open311.media_url", submission, bad)
    long_text = _form(service_code="x", address_id="1", description="噪" * 4001)
    _refused(400, "open311.description_too_long", submission, long_text)


def test_attributes_are_checked_against_the_leaf() -> None:
    assert attribute_lines("010101", {"noise_period": "night"}) == ["噪音时段：夜间（22:00–6:00）"]
    _refused(400, "open311.attribute_required", attribute_lines, "010101", {})
    _refused(400, "open311.attribute_value", attribute_lines, "010101", {"noise_period": "noon"})
    assert attribute_lines("010102", {"x": "1"}) == []  # not the leaf's: left out
    assert unknown_attributes("010101", {"noise_period": "day", "x": "1"}) == ("attribute[x]",)
    _refused(
        400, "open311.attribute_number", attribute_lines, "020401", {"indoor_temperature": "x"}
    )
    assert attribute_lines("020401", {}) == []  # optional


def test_the_description_falls_back_to_the_service_name() -> None:
    sub = submission(_form(service_code="010102", address_id="1"))
    assert description_for(sub, "垃圾清运", []) == "垃圾清运"
    assert description_for(sub, "垃圾清运", ["地址：某处"]) == "地址：某处"


def test_the_default_window_is_the_last_90_days() -> None:
    query = request_query({}, NOW)
    assert (query.start, query.end, query.limit) == (NOW - WINDOW, NOW, MAX_REQUESTS)
    assert query.statuses == {"open", "closed"}
    start = request_query({"start_date": "2026-01-01T00:00:00+08:00"}, NOW)
    assert start.end is not None and start.start is not None
    assert start.end - start.start == timedelta(days=90)
    end = request_query({"end_date": "2026-02-01T00:00:00Z"}, NOW)
    assert end.start == datetime(2025, 11, 3, tzinfo=UTC)


def test_query_refusals() -> None:
    span = {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-04-02T00:00:00Z"}
    _refused(400, "open311.date_span", request_query, span, NOW)
    order = {"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}
    _refused(400, "open311.date_order", request_query, order, NOW)
    _refused(400, "open311.date", request_query, {"start_date": "2026-01-01T00:00:00"}, NOW)
    _refused(400, "open311.date", request_query, {"end_date": "yesterday"}, NOW)
    _refused(400, "open311.status", request_query, {"status": "open,pending"}, NOW)
    many = {"service_request_id": ",".join(str(i) for i in range(MAX_REQUESTS + 1))}
    _refused(400, "open311.too_many_ids", request_query, many, NOW)


def test_a_date_without_a_time_is_a_whole_period_of_the_citys_calendar() -> None:
    day = request_query({"start_date": "2026-01-31", "end_date": "2026-01-31"}, NOW)
    assert day.start == datetime(2026, 1, 31, tzinfo=BEIJING)
    assert day.end == datetime(2026, 2, 1, tzinfo=BEIJING) - timedelta(microseconds=1)
    month = request_query({"start_date": "2026-02", "end_date": "2026-02"}, NOW)
    assert (month.start, month.end) == (
        datetime(2026, 2, 1, tzinfo=BEIJING),
        datetime(2026, 3, 1, tzinfo=BEIJING) - timedelta(microseconds=1),
    )
    year = request_query({"end_date": "2025"}, NOW)
    assert year.end == datetime(2026, 1, 1, tzinfo=BEIJING) - timedelta(microseconds=1)
    unencoded = request_query({"start_date": "2026-01-01T00:00:00 08:00"}, NOW)  # "+" lost
    assert unencoded.start == datetime(2026, 1, 1, tzinfo=BEIJING)
    _refused(400, "open311.date", request_query, {"start_date": "2026-13-01"}, NOW)
    _refused(400, "open311.date", request_query, {"start_date": "2026-02-30"}, NOW)


def test_repeated_parameters_are_one_comma_list() -> None:
    pairs = [("status", "open"), ("service_code", "010101"), ("status", "closed")]
    assert joined(pairs) == {"status": "open,closed", "service_code": "010101"}
    query = request_query(joined([*pairs, ("service_code", "010102")]), NOW)
    assert query.codes == ("010101", "010102") and query.statuses == {"open", "closed"}


def test_ids_override_the_other_filters() -> None:
    query = request_query({"service_request_id": "1, 2,1", "status": "bogus"}, NOW)
    assert query.numbers == ("1", "2") and query.start is None
    listed = request_query({"service_code": "010101,010102", "status": "closed"}, NOW)
    assert listed.codes == ("010101", "010102") and listed.statuses == {"closed"}


def test_numbers_and_addresses_typed_into_texts_are_masked() -> None:
    text = "请联系 13812345678 或 +86 139-12345678，座机 010-88886666，邮箱 li.ming@example.cn"
    assert redact(text) == "请联系 *** 或 ***，座机 ***，邮箱 ***"
    assert redact("工单 26120300001 已办结") == "工单 26120300001 已办结"


def _row(**changes: Any) -> dict[str, Any]:
    row = {
        "number": "26050100001",
        "category_code": "010101",
        "description": "噪音 13812345678",
        "created_at": NOW,
        "status_at": None,
        "closed": False,
        "department_name": "朝阳区建外街道办事处",
        "address": None,
        "area_code": "110105001001",
        "status_notes": None,
        "expected_at": None,
        "lat": None,
        "lon": None,
        "media_url": None,
    }
    return row | changes


def test_a_ticket_as_the_public_sees_it() -> None:
    area = Area("朝阳区建外街道永安里社区", (39.9, 116.4))
    seen = service_request(_row(), "噪音扰民", area, BASE)
    assert seen["status"] == "open" and seen["description"] == "噪音 ***"
    assert seen["requested_datetime"] == "2026-05-01T12:00:00+08:00"
    assert seen["updated_datetime"] == seen["requested_datetime"]
    assert (seen["lat"], seen["long"]) == (39.9, 116.4)
    assert seen["address"] == "朝阳区建外街道永安里社区"
    assert seen["media_url"] is None
    closed = service_request(_row(closed=True, lat=1.0, lon=2.0), "噪音扰民", area, BASE)
    assert closed["status"] == "closed" and (closed["lat"], closed["long"]) == (1.0, 2.0)
    photo = service_request(_row(photo_id="ph_abcdefgh12"), "噪音扰民", None, BASE)
    assert photo["media_url"] == f"{BASE}/media/ph_abcdefgh12"


def test_a_link_to_an_uploaded_photo_is_the_photo_itself() -> None:
    assert own_photo(f"{BASE}/media/ph_abcdefgh12", BASE) == "ph_abcdefgh12"
    assert own_photo("https://elsewhere.cn/media/ph_abcdefgh12", BASE) is None
    assert own_photo(f"{BASE}/media/ph_abcdefgh12/thumbnail", BASE) is None


def test_keys_are_random_and_only_their_hash_is_kept() -> None:
    first, second = new_key(), new_key()
    assert first != second and len(hash_key(first)) == 64 and hash_key(first) != first


def test_nearest_place_within_reach() -> None:
    places = [("a", 39.90, 116.40), ("b", 39.95, 116.45)]
    assert nearest(places, 39.901, 116.401) == "a"
    assert nearest(places, 31.2, 121.5) is None


def test_xml_uses_the_specification_element_names() -> None:
    body = [{"service_request_id": "1", "status_notes": None, "lat": 1.5}]
    answer = bytes(render("xml", "service_requests", body).body)
    assert answer.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = fromstring(answer)
    assert root.tag == "service_requests" and root[0].tag == "request"
    assert [e.tag for e in root[0]] == ["service_request_id", "status_notes", "lat"]
    pasted = fromstring(render("xml", "service_requests", [{"description": "a\x07b"}]).body)
    assert pasted.find("request/description").text == "ab"  # type: ignore[union-attr]
    error = errors("xml", 400, "缺少位置")
    assert error.status_code == 400 and error.media_type == "text/xml; charset=utf-8"
    parsed = fromstring(error.body)
    assert parsed.tag == "errors" and parsed.find("error/code").text == "400"  # type: ignore[union-attr]
