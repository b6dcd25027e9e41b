from __future__ import annotations

from services.intake.domain import meaning
from services.intake.domain.duplicates import Match

STREET = [
    ("t1", "楼上住户夜里总是蹦跳，噪音太大没法睡觉"),
    ("t2", "小区门口的垃圾桶满了，好几天没人清理"),
    ("t3", "楼上卫生间漏水，我家天花板都泡了"),
    ("t4", "人行道上乱停了一堆共享单车，推轮椅都走不了"),
    ("t5", "小区停水了，也没有提前通知"),
]


def test_a_paraphrase_is_found_and_an_unrelated_ticket_is_not() -> None:
    scores = meaning.index(STREET).scores("共享单车堆在人行道上，轮椅过不去")
    assert scores["t4"] >= meaning.SAME_MEANING
    assert max(s for t, s in scores.items() if t != "t4") < meaning.SAME_MEANING


def test_new_tickets_join_a_kept_index_and_only_the_asked_ones_are_scored() -> None:
    kept = meaning.index(STREET[1:]).extend([STREET[0]])
    said = "楼上邻居半夜蹦蹦跳跳吵得睡不着"
    assert kept.scores(said)["t1"] >= meaning.SAME_MEANING
    assert "t1" not in kept.scores(said, among=["t2", "t3"])


def test_why_names_the_shared_phrases_in_the_tickets_own_words() -> None:
    why = meaning.index(STREET).why("共享单车堆在人行道上，轮椅过不去", "t4")
    assert set(why) >= {"共享单车", "轮椅"} and any("人行道" in f for f in why)
    assert all(len(f) > 1 and f in STREET[3][1] for f in why)


def test_matches_by_meaning_come_beside_the_category_matches_with_their_why() -> None:
    index = meaning.index(STREET)
    by_category = [Match("t2", 1.0, True, 0.0)]
    found = meaning.beside(by_category, index, "楼上邻居半夜蹦蹦跳跳吵得睡不着", limit=5)
    assert [(m.ticket_id, m.kind) for m in found] == [
        ("t2", "same_category"),
        ("t1", "same_meaning"),
    ]
    assert found[1].score == found[1].meaning >= meaning.SAME_MEANING and found[1].why
    assert meaning.beside(by_category, index, "", limit=5) == by_category
    # A place kept for it even when the category alone fills the list.
    two = [*by_category, Match("t5", 1.0, True, 0.0)]
    assert [m.ticket_id for m in meaning.beside(two, index, "楼上半夜蹦跳", 2)] == ["t2", "t1"]
