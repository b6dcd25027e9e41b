"""The standard address library (标准地址库): district › street/township › community.
Codes nest by prefix (6, 9 and 12 digits), so a ticket's area code tells dispatch both the
street office and the district. Free text resolves to ranked suggestions. Pure."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from services.intake.domain.text import bigrams, dice, is_initials_query, normalise

# Suffixes a caller often leaves out: "建外" for 建外街道, "永安里" for 永安里社区.
_SUFFIX = re.compile(r"(社区|村|街道|地区|镇|乡|区)$")
# How much a matched level says about the place: the community pins it down.
_LEVEL_WEIGHT = {1: 1.0, 2: 2.0, 3: 4.0}
# Below this share of character pairs a name is no suggestion, only noise.
_CLOSE_ENOUGH = 0.2


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    parent: str | None = None
    lat: float | None = None
    lon: float | None = None

    @property
    def level(self) -> int:
        return {6: 1, 9: 2}.get(len(self.code), 3)

    @property
    def core(self) -> str:
        """The name without its kind (永安里 for 永安里社区); the name itself if too short."""
        core = _SUFFIX.sub("", self.name)
        return core if len(core) >= 2 else self.name


@dataclass(frozen=True)
class Suggestion:
    area: Area
    path: list[str]
    score: float


class AddressLibrary:
    def __init__(self, areas: Iterable[Area], initials: Callable[[str], str] = lambda _: ""):
        """`initials` gives a name's pinyin initials; they are worked out on first use, so
        a service starts without converting thousands of names it may never need."""
        self.areas = {a.code: a for a in areas}
        self._grams: dict[str, frozenset[str]] = {}
        self._initials_of = initials
        self._initials: dict[str, str] = {}

    def initials(self, area: Area) -> str:
        found = self._initials.get(area.code)
        if found is None:
            found = self._initials[area.code] = self._initials_of(area.name)
        return found

    def get(self, code: str) -> Area | None:
        return self.areas.get(code)

    def lineage(self, code: str) -> list[Area]:
        """The area and its ancestors, top level first."""
        chain: list[Area] = []
        node = self.areas.get(code)
        while node is not None:
            chain.append(node)
            node = self.areas.get(node.parent) if node.parent else None
        return chain[::-1]

    def path(self, code: str) -> list[str]:
        return [a.name for a in self.lineage(code)]

    def suggest(self, query: str, limit: int = 10) -> list[Suggestion]:
        """Autocompletion: every blank-separated part of the query must name some level of
        the area's path (name, or pinyin initials); deeper and tighter matches rank first."""
        parts = normalise(query).split()
        if not parts:
            return []
        found = [s for s in (self._suggestion(a, parts) for a in self.areas.values()) if s]
        return _ranked(found, limit)

    def _suggestion(self, area: Area, parts: list[str]) -> Suggestion | None:
        chain = self.lineage(area.code)
        total = 0.0
        for part in parts:
            score = max(self._part_score(a, part) for a in chain)
            if score == 0:
                return None
            total += score
        # Matching the area itself beats matching only its ancestors.
        if max(self._part_score(area, p) for p in parts) == 0:
            return None
        return Suggestion(area, [a.name for a in chain], total + area.level / 10)

    def resolve(self, text: str, limit: int = 5) -> list[Suggestion]:
        """Ranked places a free-text address may mean: each level of an area's path whose
        name (or its core) appears in the text counts, weighted by depth; with no such
        place, the closest names by shared character pairs."""
        clean = normalise(text)
        if not clean:
            return []
        found = [s for s in (self._mentioned(a, clean) for a in self.areas.values()) if s]
        return _ranked(found, limit) or self._closest(clean, limit)

    def _mentioned(self, area: Area, text: str) -> Suggestion | None:
        if area.core not in text:
            return None
        chain = self.lineage(area.code)
        score = sum(_LEVEL_WEIGHT[a.level] * len(a.core) for a in chain if a.core in text)
        score += sum(0.5 for a in chain if a.name in text)
        return Suggestion(area, [a.name for a in chain], score)

    def _closest(self, text: str, limit: int) -> list[Suggestion]:
        grams = bigrams(text)
        if not self._grams:  # only free text that names no place needs these
            self._grams = {code: bigrams(a.name) for code, a in self.areas.items()}
        scored = [(dice(grams, g), code) for code, g in self._grams.items()]
        best = sorted((s for s in scored if s[0] >= _CLOSE_ENOUGH), reverse=True)[:limit]
        return [Suggestion(self.areas[code], self.path(code), round(s, 3)) for s, code in best]

    def unambiguous(self, text: str) -> Suggestion | None:
        """The one place the text means, if the best guess clearly beats the next."""
        ranked = self.resolve(text, limit=2)
        if not ranked or ranked[0].area.core not in normalise(text):
            return None
        if len(ranked) > 1 and ranked[1].score >= ranked[0].score:
            return None
        return ranked[0]

    def _part_score(self, area: Area, part: str) -> float:
        if is_initials_query(part):
            return 2.0 if self.initials(area).startswith(part) else 0.0
        return _name_score(area, part)


def _name_score(area: Area, part: str) -> float:
    if part.isdigit():
        return 3.0 if area.code.startswith(part) else 0.0
    if area.core == part or area.name == part:
        return 4.0
    if area.name.startswith(part):
        return 3.0
    return 2.0 if part in area.name else 0.0


def _ranked(found: list[Suggestion], limit: int) -> list[Suggestion]:
    return sorted(found, key=lambda s: (-s.score, s.area.code))[:limit]
