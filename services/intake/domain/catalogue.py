"""The category catalogue (诉求分类): a three-level tree, versioned. Tickets carry leaf codes
(6 digits); a retired category stays readable on the tickets that carry it but is refused
for new calls. Pure: the initials come computed from the adapters."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

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
