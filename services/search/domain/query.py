"""The query language of the search box: words, "quoted phrases" and -exclusions.

- `噪音 施工` — every term of every word must occur (in any field, in any order);
- `"夜间施工"` — the phrase's terms must occur next to each other, in this order;
- `-装修`, `-"广场舞"` — tickets holding the word (all its terms) or the phrase are left out.

Terms are what `tokenize.tokens` makes of the text, so both backends agree on them. One
corner where they may not: a phrase with an English stop word inside ("wifi is bad"), where
Elasticsearch keeps the stop word's position and the embedded index does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.search.domain.tokenize import tokens

MAX_CLAUSES = 32
# A chunk: an optional minus, then a quoted phrase (closed or not) or a bare word.
_CHUNK = re.compile(r'(-?)(?:"([^"]*)("?)|([^\s"]+))')


class QuerySyntaxError(ValueError):
    """The text cannot be read as a query; `code` names the problem for messages."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Clause:
    """Terms that must all occur; in this order and adjacent when `phrase`."""

    text: str
    terms: tuple[str, ...]
    phrase: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    include: tuple[Clause, ...] = ()
    exclude: tuple[Clause, ...] = ()
    blank: bool = True

    @property
    def matches_nothing(self) -> bool:
        """Text was given but nothing in it can be searched (punctuation, stop words)."""
        return not self.blank and not self.include

    @property
    def terms(self) -> list[str]:
        """Every included term, once, in order of appearance (for highlighting)."""
        return list(dict.fromkeys(t for clause in self.include for t in clause.terms))


def parse(text: str) -> ParsedQuery:
    """Reads the search box; raises QuerySyntaxError for an unclosed quote, a lone minus,
    a query of exclusions only, or more than `MAX_CLAUSES` parts."""
    if not text.strip():
        return ParsedQuery()
    include: list[Clause] = []
    exclude: list[Clause] = []
    rest = _CHUNK.sub(lambda m: _take(m, include, exclude), text)
    if rest.strip():
        raise QuerySyntaxError("search.query_lone_minus", "a minus must stand before a word")
    if len(include) + len(exclude) > MAX_CLAUSES:
        raise QuerySyntaxError("search.query_too_long", f"at most {MAX_CLAUSES} words")
    if exclude and not include:
        raise QuerySyntaxError("search.query_only_exclusions", "say what to look for too")
    return ParsedQuery(tuple(include), tuple(exclude), blank=False)


def _take(match: re.Match[str], include: list[Clause], exclude: list[Clause]) -> str:
    minus, phrase, closing, word = match.groups()
    if phrase is not None and not closing:
        raise QuerySyntaxError("search.query_unclosed_quote", "a quote is not closed")
    text = phrase if phrase is not None else word
    if word == "-":
        return "-"  # left in the rest: a minus before nothing
    terms = tuple(tokens(text))
    if terms:
        clause = Clause(text, terms, phrase=phrase is not None and len(terms) > 1)
        (exclude if minus else include).append(clause)
    return ""
