"""`tokens` must give the terms Elasticsearch's `cjk` analyzer gives. Every expectation below
was taken from the `_analyze` API of the Elasticsearch-compatible test server."""

from __future__ import annotations

import pytest

from services.search.domain.tokenize import MAX_TOKEN_LENGTH, STOP_WORDS, tokens

CASES = [
    # CJK runs become overlapping bigrams; a lone character stays a unigram.
    ("小区夜间施工噪音扰民",
     ["小区", "区夜", "夜间", "间施", "施工", "工噪", "噪音", "音扰", "扰民"]),
    ("噪", ["噪"]),
    ("噪，音", ["噪", "音"]),
    ("噪 音", ["噪", "音"]),
    ("中a文", ["中", "文"]),  # "a" is a stop word, yet it still separates the two
    ("家中停了：水、电。", ["家中", "中停", "停了", "水", "电"]),
    # Digits and letters end a CJK run and are terms of their own.
    ("5号楼", ["5", "号楼"]),
    ("地铁10号线", ["地铁", "10", "号线"]),
    ("T3航站楼", ["t3", "航站", "站楼"]),
    ("138****5678", ["138", "5678"]),
    ("京B·12345", ["京", "b", "12345"]),
    # Punctuation inside words and numbers.
    ("3.5米 12,345 v1.2 don't foo_bar", ["3.5", "米", "12,345", "v1.2", "don't", "foo_bar"]),
    ("a:b 10:30 1;2 2024-05-01", ["a:b", "10", "30", "1;2", "2024", "05", "01"]),
    ("user@example.com http://x.cn/a", ["user", "example.com", "http", "x.cn"]),
    ("_foo ___ foo_ 5_号", ["_foo", "foo_", "5_", "号"]),
    # Width folding and lower case.
    ("ＡＢＣ１２３ ＷｉＦｉ ３．５", ["abc123", "wifi", "3.5"]),
    ("ｶﾞｷﾞ", ["ガギ"]),
    ("İstanbul ΣΟΦΟΣ", ["istanbul", "σοφοσ"]),
    ("① ² Ⅻ", ["ⅻ"]),  # only the half/full-width block is folded, as `cjk_width` does
    # Kana and Hangul runs are bigrammed too, across scripts when adjacent.
    ("カタカナ ひらがな 한국어", ["カタ", "タカ", "カナ", "ひら", "らが", "がな", "한국", "국어"]),
    ("ひらがな漢字", ["ひら", "らが", "がな", "な漢", "漢字"]),
    ("カタカナabc 한국어abc", ["カタ", "タカ", "カナ", "abc", "한국어abc"]),
    # Stop words of the analyzer; emoji are terms.
    ("the WiFi is on", ["wifi"]),
    ("太吵了😡👍🏽", ["太吵", "吵了", "😡", "👍🏽"]),
    # Nothing searchable.
    ("，。！？ …… —— ", []),
    ("", []),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_matches_the_cjk_analyzer(text: str, expected: list[str]) -> None:
    assert tokens(text) == expected


def test_combining_marks_stay_with_their_character() -> None:
    assert tokens("e\u0301te") == ["e\u0301te"]
    assert tokens("中\ufe00文") == ["中\ufe00", "\ufe00文"]


def test_long_words_are_cut_like_the_standard_tokenizer() -> None:
    assert tokens("a" * 300) == ["a" * MAX_TOKEN_LENGTH, "a" * (300 - MAX_TOKEN_LENGTH)]


def test_stop_words_are_the_analyzer_list() -> None:
    assert {"the", "and", "www", "s", "t"} <= STOP_WORDS
    assert tokens("an i me you") == ["an", "i", "me", "you"]


def test_repeats_are_kept_in_order() -> None:
    assert tokens("噪音，噪音") == ["噪音", "噪音"]
