"""The search box's language and the marks on matching words."""

from __future__ import annotations

import pytest

from services.search.domain.highlight import highlight, spans
from services.search.domain.query import QuerySyntaxError, parse


def test_words_phrases_and_exclusions() -> None:
    parsed = parse('噪音 "夜间施工" -装修 -"广场舞"')
    assert [(c.text, c.terms, c.phrase) for c in parsed.include] == [
        ("噪音", ("噪音",), False),
        ("夜间施工", ("夜间", "间施", "施工"), True),
    ]
    assert [(c.terms, c.phrase) for c in parsed.exclude] == [
        (("装修",), False),
        (("广场", "场舞"), True),
    ]
    assert parsed.terms == ["噪音", "夜间", "间施", "施工"]


def test_blank_and_unsearchable_text() -> None:
    assert parse("  ").blank and not parse("  ").matches_nothing
    assert parse("，。！ the").matches_nothing
    assert not parse('"x"').matches_nothing
    assert parse('"水"').include[0].phrase is False  # one term is no phrase


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ('"夜间施工', "search.query_unclosed_quote"),
        ("噪音 -", "search.query_lone_minus"),
        ("-噪音 -装修", "search.query_only_exclusions"),
        (" ".join(f"词{n}" for n in range(40)), "search.query_too_long"),
    ],
)
def test_malformed_queries_say_what_is_wrong(text: str, code: str) -> None:
    with pytest.raises(QuerySyntaxError) as raised:
        parse(text)
    assert raised.value.code == code


def test_marks_join_adjacent_bigrams_and_escape_html() -> None:
    marked = highlight("<b>夜间施工</b>噪音扰民", parse("施工噪音").terms)
    assert marked == "&lt;b&gt;夜间<mark>施工</mark>&lt;/b&gt;<mark>噪音</mark>扰民"
    assert highlight("路灯不亮", ["停水"]) is None


def test_marks_respect_word_and_character_boundaries() -> None:
    assert spans("15号楼和5号楼", ["5", "号楼"]) == [(2, 4), (5, 8)]  # not the 5 of 15
    assert spans("WiFi坏了，wifi", ["wifi"]) == [(0, 4), (7, 11)]
    assert spans("停水；水、电", ["水"]) == [(3, 4)]  # 水 alone, not inside 停水


def test_long_texts_are_cut_around_the_first_mark() -> None:
    text = "前" * 200 + "噪音" + "后" * 200
    marked = highlight(text, ["噪音"], size=60)
    assert marked is not None and marked.startswith("…") and marked.endswith("…")
    assert "<mark>噪音</mark>" in marked and len(marked) < 90
