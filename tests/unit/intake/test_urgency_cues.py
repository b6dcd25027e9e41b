"""Urgency cues as pure rules: words and patterns found through spaces and punctuation,
denials that do not fire, the most severe urgency suggested, and the cue file checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.intake.api.assist import BUILT_IN_CUES, load_cues
from services.intake.domain.urgency_cues import Cue, CueFileError, find, load, parse, suggested

REASON = {"zh": "原因", "en": "why"}
CUES = (
    Cue(("煤气味", "燃气泄漏"), "urgent", REASON),
    Cue(("独居老人…摔倒",), "urgent", REASON),
    Cue(("停水",), "utilities", REASON),
)


def _words(description: str) -> list[str]:
    return [f.word for f in find(CUES, description)]


@pytest.mark.parametrize(
    ("description", "words"),
    [
        ("家里厨房有很重的煤气味，怎么办", ["煤气味"]),
        ("煤 气-味好重", ["煤气味"]),  # whatever lies between the characters
        ("楼上独居老人今天早上在家摔倒了", ["独居老人…摔倒"]),
        ("独居老人说他上个月去医院看病，后来一直在家，没有摔倒", []),  # parts too far apart
        ("小区停水三天了，还闻到燃气泄漏的味道", ["燃气泄漏", "停水"]),  # most severe first
        ("楼道很干净", []),
        ("", []),
    ],
)
def test_words_and_patterns_are_found(description: str, words: list[str]) -> None:
    assert _words(description) == words


@pytest.mark.parametrize(
    "description",
    ["没有煤气味了", "我没闻到煤气味", "并没有发现燃气泄漏", "不是燃气泄漏，是油烟", "没 煤气味"],
)
def test_a_denied_word_does_not_fire(description: str) -> None:
    assert _words(description) == []


@pytest.mark.parametrize(
    "description",
    [
        "你们看看有没有煤气味",  # a question, not a denial
        "是不是燃气泄漏了",
        "家里没人，闻到煤气味",  # the negation belongs to another clause
        "没人管的独居老人摔倒了",  # too far before the word to deny it
    ],
)
def test_questions_and_distant_negations_still_fire(description: str) -> None:
    assert _words(description) != []


def test_the_most_severe_urgency_is_suggested() -> None:
    assert suggested(find(CUES, "停水了")) == "utilities"
    assert suggested(find(CUES, "停水了，还有煤气味")) == "urgent"
    assert suggested(find(CUES, "路灯不亮")) is None


def test_the_built_in_list_loads_and_knows_the_usual_dangers() -> None:
    cues = load_cues("")
    assert cues == load(BUILT_IN_CUES)
    for description in ["电梯困人了", "电箱进水", "楼下着火了", "路面塌陷", "电线掉落在地上"]:
        assert suggested(find(cues, description)) == "urgent", description


def test_a_named_file_replaces_the_built_in_list(tmp_path: Path) -> None:
    own = tmp_path / "cues.toml"
    own.write_text(
        '[[cues]]\nwords = ["蜂窝"]\nurgency = "complex"\nreason = { zh = "蜂", en = "bees" }\n',
        encoding="utf-8",
    )
    cues = load_cues(str(own))
    assert [(f.word, f.reason["en"]) for f in find(cues, "树上有个大蜂窝")] == [("蜂窝", "bees")]
    assert find(cues, "煤气味") == []


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("cues = [", "Invalid value"),  # not TOML
        ("", "no [[cues]]"),
        ('[[cue]]\nwords = ["x"]', "unknown key 'cue'"),
        ('[[cues]]\nwords = []\nurgency = "urgent"', "cue 1: words must be"),
        ('[[cues]]\nwords = ["，"]\nurgency = "urgent"', "cue 1: word '，' has no"),
        ('[[cues]]\nwords = ["火"]\nurgency = "soon"', "cue 1: urgency 'soon' is not one of"),
        ('[[cues]]\nwords = ["火"]\nurgency = "urgent"\nreason = { zh = "火" }', "zh and en"),
        ('[[cues]]\nwords = ["火"]\nurgency = "urgent"\nlevel = 1', "unknown key 'level'"),
    ],
)
def test_a_file_that_cannot_be_used_is_refused_naming_the_fault(
    tmp_path: Path, text: str, fault: str
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(CueFileError, match=r"urgency cues file .*bad\.toml") as refused:
        load(bad)
    assert fault in str(refused.value)


def test_a_missing_file_is_refused() -> None:
    with pytest.raises(CueFileError, match=r"nowhere\.toml"):
        load_cues("/nowhere.toml")


def test_parse_needs_a_list_of_tables() -> None:
    with pytest.raises(CueFileError, match="cue 1: not a table"):
        parse({"cues": ["煤气味"]})
