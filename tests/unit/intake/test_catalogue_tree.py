"""The catalogue's tree edits, pure: a move's new codes, the tree as of a version, and the
diff between two versions when moves follow each other."""

from __future__ import annotations

import pytest

from services.common.errors import Conflict, Invalid
from services.intake.domain.catalogue import (
    Catalogue,
    Category,
    Edit,
    Revision,
    as_of,
    diff,
    moved,
    restored,
)

TREE = Catalogue.of(
    1,
    [
        Category("01", "城乡建设"),
        Category("0101", "市容环境", "01"),
        Category("010101", "噪音扰民", "0101"),
        Category("010102", "垃圾清运", "0101", retired_in=1),
        Category("0102", "园林绿化", "01"),
        Category("010201", "树木修剪", "0102"),
        Category("02", "公共服务"),
        Category("0201", "供水", "02"),
    ],
)


def apply(tree: Catalogue, edit: Edit) -> tuple[Catalogue, list[Revision]]:
    version = tree.version + 1
    found = dict(tree.categories)
    for _, after in edit.pairs:
        found[after.code] = after
    revisions = [Revision(version, a.code, b, a) for b, a in edit.pairs]
    return Catalogue(version, found), revisions


def test_a_branch_moves_with_its_active_leaves_to_the_first_free_code() -> None:
    edit = moved(TREE, "0101", "02", 2)
    new = {after.code: after for before, after in edit.pairs if before is None}
    assert sorted(new) == ["0202", "020201"]  # 0201 is taken; the retired 010102 stays put
    assert new["020201"].parent == "0202" and new["020201"].introduced_in == 2
    old = {before.code: after for before, after in edit.pairs if before is not None}
    assert old["0101"].moved_to == "0202" and old["010101"].retired_in == 2
    assert (edit.before, edit.after) == (TREE.get("0101"), new["0202"])


@pytest.mark.parametrize(
    ("code", "parent", "error"),
    [("01", "02", Invalid), ("010101", "01", Invalid), ("010101", "0101", Invalid)],
)
def test_a_move_keeps_its_level_and_goes_somewhere_else(
    code: str, parent: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        moved(TREE, code, parent, 2)


def test_the_tree_as_of_a_version_and_a_move_followed_to_its_end() -> None:
    second, first_revs = apply(TREE, moved(TREE, "010101", "0102", 2))
    third, second_revs = apply(second, moved(second, "010202", "0201", 3))
    revisions = first_revs + second_revs
    assert as_of(third, 1, revisions).categories == TREE.categories
    assert as_of(third, 2, revisions).categories == second.categories
    found = diff(TREE, third)
    assert [(b.code, a.code) for b, a in found.moved] == [("010101", "020101")]
    assert found.added == [] and found.retired == []
    with pytest.raises(Conflict):
        restored(third, "010101")
