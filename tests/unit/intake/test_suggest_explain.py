"""The words behind a suggestion: `Model.explain` gives the fragments of the caller's text
that weighed most for a leaf, strongest first, cut from the text as typed; both it and the
ranking read the text's tf-idf row without sklearn's per-call checks, to the same figures."""

import numpy as np
import pytest

from services.intake.adapters.suggester import Model, _grams, _Reading, _spans, _tfidf, train

TEXTS = [
    "半夜工地施工噪音太大",
    "工地晚上施工吵得睡不着",
    "夜间施工噪音扰民",
    "小区停水三天了",
    "家里没水了一直停水",
    "停水也不通知一声",
    "路灯不亮好几天",
    "门口路灯坏了黑漆漆",
    "路灯晚上不亮",
    "wifi信号差上不了网",
    "宽带wifi断网",
]
LABELS = ["noise"] * 3 + ["water"] * 3 + ["light"] * 3 + ["net"] * 2


@pytest.fixture(scope="module")
def model() -> Model:
    return train(TEXTS, LABELS)


def test_the_words_of_the_leaf_come_first_and_are_cut_from_the_text(model: Model) -> None:
    text = "你好，我家楼下工地半夜施工，吵死了"
    words = model.explain(text, "noise")
    assert words and all(w in text for w in words)
    assert any("工地" in w or "施工" in w for w in words[:2]), words
    # Another leaf reads other words in the same text, or none.
    assert not any("工地" in w for w in model.explain(text, "water"))


def test_the_fragments_are_the_callers_own_characters(model: Model) -> None:
    # Full-width Latin and runs of blanks are folded before the n-grams are read; what is
    # shown is the text as typed.
    text = "  家里ＷＩＦＩ信号差   路灯   不亮 "
    net = model.explain(text, "net")
    assert any("ＷＩＦＩ" in w for w in net), net
    assert all(w in text and w == w.strip() for w in net)
    light = model.explain(text, "light")
    assert any("路灯" in w for w in light) and all(w in text for w in light), light


def test_each_leaf_gets_its_own_words_in_one_analysis(model: Model) -> None:
    text = "停水了，门口路灯也不亮"
    each = model.explain_each(text, ["water", "light", "nope"])
    assert set(each) == {"water", "light"}
    assert any("水" in w for w in each["water"]) and not any("灯" in w for w in each["water"])
    assert any("灯" in w for w in each["light"])
    assert each["water"] == model.explain(text, "water")


def test_at_most_k_fragments_none_repeated_none_only_punctuation(model: Model) -> None:
    text = "工地施工！！工地施工，噪音。半夜噪音、夜间施工"
    assert len(model.explain(text, "noise", k=1)) == 1
    words = model.explain(text, "noise", k=5)
    assert 1 <= len(words) <= 5
    assert len(set(words)) == len(words)
    assert not any(a in b for a in words for b in words if a != b)
    assert all(w[0] not in "！，。、" and w[-1] not in "！，。、" for w in words)
    assert model.explain(text, "noise", k=0) == []


def test_nothing_to_explain_gives_no_words(model: Model) -> None:
    assert model.explain("工地施工", "no-such-leaf") == []
    assert model.explain("   ", "noise") == []
    assert model.explain("xyz", "noise") == []  # no character it learned
    assert train(["停水了"], ["water"]).explain("停水了", "water") == []
    assert train([], []).explain("停水了", "water") == []


def test_with_two_leaves_each_reads_its_own_side() -> None:
    model = train(["停水了", "没有水", "路灯不亮", "灯坏了"], ["a", "a", "b", "b"])
    text = "又停水了，灯也坏了"
    assert any("水" in w for w in model.explain(text, "a"))
    assert not any("灯" in w for w in model.explain(text, "a"))
    assert any("灯" in w for w in model.explain(text, "b"))


def test_the_weights_are_the_vectorisers_own_tf_idf(model: Model) -> None:
    text = "工地工地  施工噪音，ＷＩＦＩ断网"
    vectorizer = model._vectorizer
    features, values = _tfidf(_grams(_Reading.of(text).analysed, vectorizer), vectorizer)
    row = vectorizer.transform([text])
    ours = dict(zip(features.tolist(), values.tolist(), strict=True))
    theirs = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
    assert ours.keys() == theirs.keys()
    assert np.allclose([ours[f] for f in theirs], list(theirs.values()), atol=1e-6)


def test_overlapping_and_touching_n_grams_merge_and_the_heaviest_span_leads() -> None:
    # 0:"ab" at 0, 1:"bc" at 1 (overlaps), 2:"d" at 3 (touches "bc"), 3:"xy" at 6, 4:"z" weak
    grams = {0: (2, [0]), 1: (2, [1]), 2: (1, [3]), 3: (2, [6]), 4: (1, [9])}
    weights = {0: 1.0, 1: 1.0, 2: 1.5, 3: 4.0, 4: 0.1}
    assert _spans(weights, grams) == [(6, 8), (0, 4)]
    assert _spans({}, grams) == []


def test_a_reading_lines_up_with_the_text_as_typed() -> None:
    reading = _Reading.of(" ＡＢ  c\n")
    assert reading.analysed == "ab c"
    assert reading.fragments([(0, 4)], 5) == ["ＡＢ  c"]
    # Lower-casing may lengthen a character (İ gives i and a dot): still the caller's own.
    odd = _Reading.of("İstanbul 停水")
    assert odd.analysed == "i\u0307stanbul 停水"
    assert odd.fragments([(0, 9), (10, 12)], 5) == ["İstanbul", "停水"]


@pytest.mark.parametrize("two", [False, True])
def test_the_ranking_is_the_classifiers_own_predict_proba(two: bool) -> None:
    labels = ["a" if n < 6 else "b" for n in range(len(TEXTS))] if two else LABELS
    model = train(TEXTS, labels)
    texts = ["半夜工地施工", "停水了路灯也不亮", "ＷＩＦＩ  断网", "工地工地工地", "灯"]
    for text in texts:
        expected = model._classifier.predict_proba(model._vectorizer.transform([text]))[0]
        classes = model.labels
        ranked = sorted(range(len(classes)), key=lambda i: -expected[i])
        found = model.top(text, k=len(classes))
        assert [code for code, _ in found] == [classes[i] for i in ranked]
        assert [p for _, p in found] == pytest.approx([expected[i] for i in ranked], abs=1e-4)
