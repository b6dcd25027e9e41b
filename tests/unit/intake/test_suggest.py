"""The suggester's pure parts (the measures, the keyword baseline, the held-out split, the
cold-start documents, the serving rule) and its model on a tiny catalogue."""

import pickle

import pytest

from services.intake.adapters.suggester import Model, train
from services.intake.domain.catalogue import Catalogue, Category
from services.intake.domain.knowledge import Entry
from services.intake.domain.suggest import (
    Labelled,
    evaluate,
    held_out,
    keyword_baseline,
    macro_f1,
    may_serve,
    priors,
    split,
)

CATALOGUE = Catalogue.of(
    1,
    [
        Category("01", "城乡建设"),
        Category("0101", "噪音", "01"),
        Category("010101", "施工噪音", "0101", ("工地", "夜间施工")),
        Category("010102", "生活噪音", "0101", ("楼上", "广场舞")),
        Category("02", "公共服务"),
        Category("0201", "供水", "02"),
        Category("020101", "停水", "0201", ("没水",)),
        Category("020102", "旧水管", "0201", retired_in=2),
    ],
)


def test_evaluate_counts_first_and_any_of_three_guesses():
    guesses = {"a": ["x", "y"], "b": ["y", "z", "x"], "c": [], "d": ["z"]}
    result = evaluate(guesses.__getitem__, ["a", "b", "c", "d"], ["x", "x", "x", "z"])
    assert result == {
        "top1": 0.5,
        "top3": 0.75,
        "macro_f1": 0.75,  # x: precision 1, recall 1/3; z: 1
        "n": 4,
    }


def test_macro_f1_weighs_a_rare_label_as_much_as_a_common_one():
    # Always guessing the common label: perfect recall there, nothing for the rare one.
    assert macro_f1(["x"] * 10, ["x"] * 9 + ["y"]) == pytest.approx((2 * 0.9 / 1.9) / 2)


def test_evaluate_with_nothing_to_evaluate_is_zero_not_an_error():
    assert evaluate(lambda _: [], [], []) == {"top1": 0.0, "top3": 0.0, "macro_f1": 0.0, "n": 0}


def test_keyword_baseline_finds_leaves_by_their_keywords_and_never_a_retired_one():
    predict = keyword_baseline(CATALOGUE)
    assert predict("半夜楼上一直在吵")[0] == "010102"
    assert predict("家里没水了")[0] == "020101"
    assert "020102" not in predict("旧水管")
    assert predict("完全无关的话") == []


def test_split_holds_out_about_a_fifth_the_same_way_every_time():
    items = [Labelled(f"t{i}", f"text {i}", "ab"[i % 2]) for i in range(500)]
    train, test = split(items)
    assert 70 <= len(test) <= 130
    assert len(train) + len(test) == 500
    assert split(reversed(items))[1] == sorted(test, key=lambda i: -int(i.key[1:]))


def test_a_leaf_with_one_ticket_trains_on_it():
    chosen = next(i for i in (Labelled(f"t{n}", "x", "only") for n in range(50)) if held_out(i))
    assert split([chosen]) == ([chosen], [])


def test_priors_cover_every_active_leaf_with_its_words_and_knowledge():
    entry = Entry("k1", "停水了怎么办", "请拨打供水热线", categories=("0201",))
    documents = priors(
        CATALOGUE, [entry, Entry("k2", "过期", "x", categories=("02",), active=False)]
    )
    leaves = {leaf for _, leaf in documents}
    assert leaves == {"010101", "010102", "020101"}
    assert ("停水", "020101") in documents
    assert ("城乡建设 噪音 施工噪音", "010101") in documents
    assert ("夜间施工", "010101") in documents
    assert any(text.startswith("停水了怎么办") and leaf == "020101" for text, leaf in documents)
    assert not any("过期" in text for text, _ in documents)


def test_a_new_model_serves_only_if_its_top3_is_not_worse():
    assert may_serve(0.8, None)
    assert may_serve(0.8, 0.8)
    assert not may_serve(0.79, 0.8)


def test_the_model_learns_leaves_from_priors_alone_and_survives_a_round_trip():
    model = train([], [], priors(CATALOGUE))
    assert model.top("家里没水了")[0][0] == "020101"
    again = Model.loads(model.dumps())
    assert again.top("工地夜间施工") == model.top("工地夜间施工")
    assert sum(confidence for _, confidence in model.top("工地", k=10)) == pytest.approx(
        1, abs=0.01
    )
    # Characters it never saw: no ranking rather than noise.
    assert model.top("xyz") == []
    assert model.top("  ") == []


def test_a_model_with_one_leaf_or_none_answers_without_choosing():
    assert train(["停水了"], ["020101"]).top("随便什么") == [("020101", 1.0)]
    assert train([], []).top("停水") == []
    with pytest.raises(TypeError):
        Model.loads(pickle.dumps({"not": "a model"}))


def test_the_same_labelled_texts_give_the_same_model() -> None:
    texts = ["楼下烧烤店油烟很大", "半夜工地施工噪音", "小区停水三天了", "路灯不亮好几天"] * 3
    labels = ["a", "b", "c", "d"] * 3
    first, second = train(texts, labels), train(texts, labels)
    for text in ("晚上工地太吵", "家里没水", "油烟熏人"):
        assert first.top(text, 3) == second.top(text, 3)
