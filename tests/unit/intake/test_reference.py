"""The catalogue, the address library and the knowledge base as pure rules."""

from __future__ import annotations

import pytest

from services.intake.adapters.seed import load_addresses, load_categories, load_knowledge
from services.intake.domain import knowledge
from services.intake.domain.addresses import AddressLibrary, Area
from services.intake.domain.catalogue import Catalogue, CatalogueError, Category, check_new

SEEDED = Catalogue.of(1, load_categories())
ADDRESSES = load_addresses()


def test_the_seed_catalogue_has_three_levels_and_enough_leaves() -> None:
    leaves = SEEDED.leaves()
    assert len(leaves) >= 150
    assert all(len(SEEDED.path(c.code)) == 3 for c in leaves)
    assert all(c.keywords for c in leaves)
    kept = {
        "010101": "噪音扰民",
        "010102": "垃圾清运",
        "010103": "违章建筑",
        "020101": "停水",
        "020102": "水质问题",
        "020201": "停电",
        "030101": "信号灯故障",
        "030102": "道路破损",
        "040101": "社保咨询",
    }
    assert {code: SEEDED.path(code)[-1] for code in kept} == kept
    assert SEEDED.path("0201")[-1] == "供水" and SEEDED.path("0202")[-1] == "供电"
    assert SEEDED.path("0401")[-1] == "社会保障"


def test_initials_and_keywords_find_leaves() -> None:
    assert SEEDED.search("zyrm")[0].category.code == "010101"
    assert SEEDED.search("楼道里电动车充电")[0].category.code == "090104"
    assert SEEDED.search("03")[0].category.code.startswith("03")
    assert SEEDED.search("   ") == []


def _retired(code: str) -> Catalogue:
    found = SEEDED.get(code)
    assert found is not None
    others = [c for c in SEEDED.categories.values() if c.code != code]
    return Catalogue.of(2, [*others, Category(**{**found.__dict__, "retired_in": 2})])


def test_a_retired_leaf_is_readable_but_not_usable() -> None:
    catalogue = _retired("010103")
    assert catalogue.path("010103") == ["城乡建设", "市容环境", "违章建筑"]
    with pytest.raises(CatalogueError) as refused:
        catalogue.usable_leaf("010103")
    assert refused.value.key == "intake.retired_category"
    assert "010103" not in [h.category.code for h in catalogue.search("违章建筑")]
    assert "010103" in [h.category.code for h in catalogue.search("违章建筑", include_retired=True)]


@pytest.mark.parametrize(
    ("code", "parent", "key"),
    [
        ("0101", "01", "intake.category_exists"),
        ("01010", "0101", "intake.category_code_format"),
        ("010199", "0102", "intake.category_parent_mismatch"),
        ("019901", "0199", "intake.category_parent_unknown"),
    ],
)
def test_new_categories_must_nest_under_a_live_parent(code: str, parent: str, key: str) -> None:
    with pytest.raises(CatalogueError) as refused:
        check_new(SEEDED, code, parent)
    assert refused.value.key == key


def test_not_a_leaf_is_not_usable() -> None:
    with pytest.raises(CatalogueError):
        SEEDED.usable_leaf("0101")


def test_the_address_library_covers_beijing() -> None:
    levels = [a.level for a in ADDRESSES.areas.values()]
    assert levels.count(1) == 16
    assert levels.count(2) >= 300
    assert levels.count(3) >= 2000
    for code in ("110101001001", "110105001001", "110105001002", "110105002001", "110108001001"):
        area = ADDRESSES.get(code)
        assert area is not None and area.level == 3
    assert ADDRESSES.path("110108001001") == ["海淀区", "中关村街道", "科源社区"]
    assert all(a.parent is None or a.code.startswith(a.parent) for a in ADDRESSES.areas.values())


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("朝阳区建外永安里小区3号楼", "110105001001"),
        ("东城区东华门多福巷12号", "110101001001"),
        ("海淀中关村街道", "110108001"),
    ],
)
def test_free_text_resolves_to_the_deepest_named_place(text: str, code: str) -> None:
    best = ADDRESSES.unambiguous(text)
    assert best is not None and best.area.code == code


def test_an_ambiguous_or_unknown_place_is_not_guessed() -> None:
    assert ADDRESSES.unambiguous("幸福社区") is None
    assert ADDRESSES.unambiguous("火星") is None
    assert ADDRESSES.resolve("火星殖民基地") == []


def test_suggestions_take_initials_and_several_parts() -> None:
    library = AddressLibrary(
        [
            Area("110105", "朝阳区"),
            Area("110105001", "建外街道", "110105"),
            Area("110105001001", "永安里社区", "110105001"),
        ],
        initials=lambda name: {"永安里社区": "yalsq", "建外街道": "jwjd", "朝阳区": "cyq"}[name],
    )
    assert [s.area.code for s in library.suggest("yal")] == ["110105001001"]
    assert library.suggest("朝阳 永安里")[0].area.code == "110105001001"
    assert library.suggest("海淀 永安里") == []


def test_the_knowledge_base_answers_by_what_the_caller_asks() -> None:
    entries = load_knowledge()
    assert knowledge.search(entries, "身份证丢了怎么办")[0][0].id == "kb-sfz-bb"
    assert knowledge.search(entries, "火箭发射") == []


def test_the_chosen_category_puts_its_entries_first() -> None:
    entries = load_knowledge()
    found = knowledge.search(entries, "", category_code="040302")
    assert [e.id for e, _ in found] == ["kb-xse-lh"]
    boosted = knowledge.search(entries, "丢失补办", category_code="040304")
    assert boosted[0][0].id == "kb-sfz-bb"


def test_the_precomputed_initials_match_pypinyin() -> None:
    from services.intake.adapters.pinyin import _precomputed, convert
    from services.intake.tools.build_initials import seed_names

    table = _precomputed()
    assert sorted(table) == seed_names()
    assert all(table[name] == convert(name) for name in table)
