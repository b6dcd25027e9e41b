"""The labelled complaint corpus the category suggester is judged on: big enough, labelled
with real leaves, split the same way every time, and free of phone numbers."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict

import pytest

from benchmarks.suggest import make_corpus
from services.intake.adapters.seed import load_categories

ROWS = [json.loads(line) for line in make_corpus.CORPUS.read_text(encoding="utf-8").splitlines()]
# A phone number said or typed with digits: seven or more in a row, gaps and dashes allowed.
PHONE_LIKE = re.compile(r"\d(?:[\s-]?\d){6,}")


def test_fifty_leaves_of_the_catalogue_with_forty_texts_each() -> None:
    leaves = {c.code for c in load_categories() if c.is_leaf}
    per_leaf = Counter(row["category"] for row in ROWS)
    assert len(per_leaf) == 50
    assert set(per_leaf) <= leaves
    assert min(per_leaf.values()) >= 40


def test_rows_have_the_contract_fields() -> None:
    for row in ROWS:
        assert set(row) == {"id", "text", "category", "split", "style"}
        assert row["split"] in ("train", "test")
        assert row["style"] in make_corpus.STYLES
    assert len({row["id"] for row in ROWS}) == len(ROWS)


def test_no_text_appears_twice() -> None:
    texts = [row["text"] for row in ROWS]
    assert len(set(texts)) == len(texts)


def test_no_phone_number_like_digits() -> None:
    assert [row["text"] for row in ROWS if PHONE_LIKE.search(row["text"])] == []


def test_split_is_stratified_about_a_fifth_per_leaf() -> None:
    splits: dict[str, Counter[str]] = defaultdict(Counter)
    for row in ROWS:
        splits[row["category"]][row["split"]] += 1
    for leaf, counts in splits.items():
        share = counts["test"] / (counts["test"] + counts["train"])
        assert 0.15 <= share <= 0.25, leaf


def test_the_file_is_what_the_fixed_seed_generates() -> None:
    assert make_corpus.render() == make_corpus.CORPUS.read_text(encoding="utf-8")


@pytest.mark.parametrize("text", ["请回电一三八", "楼号 12 单元 3", "花了 2800 块"])
def test_short_numbers_are_not_phone_numbers(text: str) -> None:
    assert not PHONE_LIKE.search(text)


def test_a_phone_number_is_caught() -> None:
    assert PHONE_LIKE.search("我电话是138 1234 5678")


def test_test_texts_use_wordings_no_training_text_of_their_leaf_uses() -> None:
    for bank in make_corpus.banks():
        rows = [row for row in ROWS if row["category"] == bank.code]
        for phrase in bank.what:
            sides = {row["split"] for row in rows if phrase in row["text"]}
            assert sides != {"train", "test"}, (bank.code, phrase)
