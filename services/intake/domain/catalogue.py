"""The category catalogue (诉求分类): a three-level tree, versioned. Tickets carry leaf codes
(6 digits); a retired category stays readable on the tickets that carry it but is refused
for new calls. Pure: the initials come computed from the adapters.

A code is its path (a child's code starts with its parent's), and dispatch relies on that:
routing rules and SLA policies match code prefixes, and dispatch learns the tree by cutting
a ticket's code into two-digit levels. So a move gives the category (and everything below
it) new codes under the new parent, and the old codes stay, retired, pointing at their new
place (`moved_to`): old tickets still read, new calls route by the new parent's rules.
Codes are never reused, retired or not."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from services.common.errors import Conflict, Invalid, NotFound
from services.intake.domain.text import bigrams, containment, is_initials_query, normalise

LEVELS = 3
CODE = re.compile(r"^(\d{2}){1,3}$")


class CatalogueError(ValueError):
    """A rule of the catalogue was broken; `key` is the i18n key, `field` the bad input."""

    def __init__(self, key: str, field: str, /, **params: Any):
        super().__init__(key)
        self.key = key
        self.field = field
        self.params = params


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    parent: str | None = None
    keywords: tuple[str, ...] = ()
    initials: str = ""
    introduced_in: int = 1
    retired_in: int | None = None
    moved_to: str | None = None

    @property
    def level(self) -> int:
        return len(self.code) // 2

    @property
    def is_leaf(self) -> bool:
        return self.level == LEVELS

    @property
    def retired(self) -> bool:
        return self.retired_in is not None


@dataclass(frozen=True)
class Hit:
    category: Category
    path: list[str]
    score: float


@dataclass
class Catalogue:
    version: int
    categories: dict[str, Category] = field(default_factory=dict)

    @classmethod
    def of(cls, version: int, categories: Iterable[Category]) -> Catalogue:
        return cls(version, {c.code: c for c in categories})

    def get(self, code: str) -> Category | None:
        return self.categories.get(code)

    def path(self, code: str) -> list[str]:
        """Names from the top level down to `code`; empty for an unknown code."""
        names: list[str] = []
        node = self.categories.get(code)
        while node is not None:
            names.append(node.name)
            node = self.categories.get(node.parent) if node.parent else None
        return names[::-1]

    def usable_leaf(self, code: str) -> Category:
        """The leaf a new call may carry; raises CatalogueError why not otherwise."""
        node = self.categories.get(code)
        if node is None or not node.is_leaf:
            raise CatalogueError("intake.unknown_category", "category_code", code=code)
        if node.retired:
            raise CatalogueError("intake.retired_category", "category_code", code=code)
        return node

    def leaves(self, include_retired: bool = False) -> list[Category]:
        return [
            c for c in self.categories.values() if c.is_leaf and (include_retired or not c.retired)
        ]

    def search(self, query: str, limit: int = 10, include_retired: bool = False) -> list[Hit]:
        """Leaves ranked by how well `query` names them: code prefix, pinyin initials,
        name, keywords, then the names above them. An empty query finds nothing."""
        q = normalise(query)
        if not q:
            return []
        hits = [self._hit(leaf, q) for leaf in self.leaves(include_retired)]
        ranked = sorted((h for h in hits if h.score > 0), key=lambda h: (-h.score, h.category.code))
        return ranked[:limit]

    def _hit(self, leaf: Category, q: str) -> Hit:
        path = self.path(leaf.code)
        return Hit(leaf, path, score_leaf(leaf, path, q))


def score_leaf(leaf: Category, path: list[str], q: str) -> float:
    """Higher is better; 0 means no match. `q` is already normalised."""
    if q.isdigit():
        return 100.0 if leaf.code.startswith(q) else 0.0
    if is_initials_query(q):
        return _initials_score(leaf.initials, q)
    return max(_name_score(leaf.name, q), _keyword_score(leaf.keywords, q), _path_score(path, q))


def _initials_score(initials: str, q: str) -> float:
    if initials.startswith(q):
        return 80.0 + len(q)
    return 50.0 if q in initials else 0.0


def _name_score(name: str, q: str) -> float:
    if name == q:
        return 100.0
    if name.startswith(q):
        return 90.0
    if q in name:
        return 75.0
    return 60.0 * containment(bigrams(q), bigrams(name)) if len(q) > 1 else 0.0


def _keyword_score(keywords: tuple[str, ...], q: str) -> float:
    best = 0.0
    for word in keywords:
        if word == q:
            best = max(best, 85.0)
        elif q in word or word in q:
            # A sentence that contains a keyword: longer keywords say more.
            best = max(best, 55.0 + min(len(word), 10))
    return best


def _path_score(path: list[str], q: str) -> float:
    return 40.0 if any(q in name for name in path[:-1]) else 0.0


def check_new(catalogue: Catalogue, code: str, parent: str | None) -> None:
    """A new category nests under an active parent, one level down, with a free code."""
    if not CODE.match(code):
        raise CatalogueError("intake.category_code_format", "code", code=code)
    if code in catalogue.categories:
        raise CatalogueError("intake.category_exists", "code", code=code)
    expected_parent = code[:-2] or None
    if parent != expected_parent:
        raise CatalogueError("intake.category_parent_mismatch", "parent", code=code)
    if expected_parent is None:
        return
    above = catalogue.get(expected_parent)
    if above is None or above.retired:
        raise CatalogueError("intake.category_parent_unknown", "parent", code=expected_parent)


def subtree(catalogue: Catalogue, code: str) -> list[Category]:
    """`code` and everything below it (codes nest by prefix)."""
    return [c for c in catalogue.categories.values() if c.code.startswith(code)]


Pair = tuple[Category | None, Category]


@dataclass(frozen=True)
class Edit:
    """One change of the catalogue: every category it touches (before, after; before is None
    for a new code), and the one it is about, as people see it (a move's `before` is the
    old place, its `after` the new one)."""

    action: str
    code: str
    pairs: tuple[Pair, ...]
    before: Category | None
    after: Category


def existing(catalogue: Catalogue, code: str) -> Category:
    found = catalogue.get(code)
    if found is None:
        raise NotFound("intake.category_not_found", code=code)
    return found


def created(catalogue: Catalogue, made: Category) -> Edit:
    try:
        check_new(catalogue, made.code, made.parent)
    except CatalogueError as exc:
        raise Invalid(exc.key, field=exc.field, **exc.params) from None
    return Edit("create", made.code, ((None, made),), None, made)


def changed(
    catalogue: Catalogue, code: str, name: str | None, keywords: list[str] | None, initials: str
) -> Edit:
    """A new name (with its `initials`) or keywords; tickets keep the path they were
    logged with. A moved code is changed at its new place."""
    before = existing(catalogue, code)
    if before.moved_to:
        raise Conflict("intake.category_moved", code=code, to=before.moved_to)
    after = replace(
        before,
        name=name or before.name,
        initials=initials if name else before.initials,
        keywords=tuple(keywords) if keywords is not None else before.keywords,
    )
    if after == before:
        raise Conflict("intake.category_unchanged", code=code)
    return Edit("change", code, ((before, after),), before, after)


def moved(catalogue: Catalogue, code: str, parent: str, version: int) -> Edit:
    """`code` and its active descendants under `parent`, one level above it, with new codes
    (the first free two digits there); the old codes retire pointing at the new ones."""
    node = existing(catalogue, code)
    if node.retired:
        raise Conflict("intake.category_retired_move", code=code)
    target = catalogue.get(parent)
    if target is None or target.retired:
        raise Invalid("intake.category_parent_unknown", field="parent", code=parent)
    if target.level != node.level - 1:
        raise Invalid("intake.category_move_level", field="parent", code=code, parent=parent)
    if target.code == node.parent:
        raise Invalid("intake.category_move_same", field="parent", code=code, parent=parent)
    new_code = free_code(catalogue, parent)
    pairs: list[Pair] = []
    for old in sorted(subtree(catalogue, code), key=lambda c: c.code):
        if old.retired:
            continue  # already off the tree: it stays readable where it was
        to = new_code + old.code[len(code) :]
        moved_here = replace(
            old, code=to, parent=to[:-2], introduced_in=version, retired_in=None, moved_to=None
        )
        pairs += [(old, replace(old, retired_in=version, moved_to=to)), (None, moved_here)]
    return Edit("move", code, tuple(pairs), node, pairs[1][1])


def free_code(catalogue: Catalogue, parent: str) -> str:
    """The first child code of `parent` never used (the table keeps every code ever used)."""
    taken = {c.code for c in catalogue.categories.values() if c.parent == parent}
    for number in range(1, 100):
        if f"{parent}{number:02d}" not in taken:
            return f"{parent}{number:02d}"
    raise Conflict("intake.category_parent_full", code=parent)


def retired(catalogue: Catalogue, code: str, version: int) -> Edit:
    """The category and everything below it that is still active."""
    node = existing(catalogue, code)
    below = sorted(subtree(catalogue, code), key=lambda c: c.code)
    pairs = tuple((c, replace(c, retired_in=version)) for c in below if not c.retired)
    return _edit("retire", node, pairs)


def restored(catalogue: Catalogue, code: str) -> Edit:
    """A retired category and its retired parents, so its path is usable again; a moved
    one lives on at its new code and is not brought back here."""
    node = existing(catalogue, code)
    chain = sorted(
        (c for c in catalogue.categories.values() if code.startswith(c.code)),
        key=lambda c: -len(c.code),
    )
    for c in chain:
        if c.moved_to:
            raise Conflict("intake.category_moved", code=c.code, to=c.moved_to)
    pairs = tuple((c, replace(c, retired_in=None)) for c in chain if c.retired)
    return _edit("restore", node, pairs)


def _edit(action: str, node: Category, pairs: tuple[tuple[Category, Category], ...]) -> Edit:
    if not pairs:
        raise Conflict("intake.category_unchanged", code=node.code)
    main = next((p for p in pairs if p[0].code == node.code), pairs[0])
    return Edit(action, node.code, pairs, main[0], main[1])


@dataclass(frozen=True)
class Revision:
    """What one version did to one category (before is None: the code was new)."""

    version: int
    code: str
    before: Category | None
    after: Category | None


def as_of(current: Catalogue, version: int, later: Iterable[Revision]) -> Catalogue:
    """The tree as it stood after `version`: the current one with every later revision
    undone, newest first."""
    found = dict(current.categories)
    for rev in sorted(later, key=lambda r: -r.version):
        if rev.version <= version:
            continue
        if rev.before is None:
            found.pop(rev.code, None)
        else:
            found[rev.code] = rev.before
    return Catalogue(version, found)


@dataclass
class Diff:
    """What changed from `older` to `newer`: (before, after) pairs where both exist."""

    older: Catalogue
    newer: Catalogue
    added: list[Category] = field(default_factory=list)
    renamed: list[tuple[Category, Category]] = field(default_factory=list)
    rekeyworded: list[tuple[Category, Category]] = field(default_factory=list)
    moved: list[tuple[Category, Category]] = field(default_factory=list)
    retired: list[Category] = field(default_factory=list)
    restored: list[Category] = field(default_factory=list)


def diff(older: Catalogue, newer: Catalogue) -> Diff:
    """A move is reported once, from its old code to where it ended up (following moves
    in between); the new codes it made are not reported as added."""
    result = Diff(older, newer)
    landed: set[str] = set()
    for code in sorted(newer.categories):
        after, before = newer.categories[code], older.get(code)
        if before is None or before.moved_to:
            continue
        if after.moved_to:
            end = _end_of_moves(newer, after)
            landed.add(end.code)
            result.moved.append((before, end))
        elif before.retired and not after.retired:
            result.restored.append(after)
        elif after.retired and not before.retired:
            result.retired.append(after)
        if not after.moved_to and before.name != after.name:
            result.renamed.append((before, after))
        if not after.moved_to and before.keywords != after.keywords:
            result.rekeyworded.append((before, after))
    result.added = [
        c
        for code, c in sorted(newer.categories.items())
        if code not in older.categories and code not in landed and not c.moved_to
    ]
    return result


def _end_of_moves(tree: Catalogue, node: Category) -> Category:
    seen = {node.code}
    while node.moved_to and node.moved_to not in seen:
        nxt = tree.get(node.moved_to)
        if nxt is None:
            break
        seen.add(nxt.code)
        node = nxt
    return node
