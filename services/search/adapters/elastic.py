"""`ElasticIndex`: the search index in Elasticsearch, through the official client.

Layout: an index template `<name>-template` for `<name>-*`, and a concrete index `<name>-v1`
behind the alias `<name>` (`settings.elasticsearch_index`). Everything reads and writes the
alias, so a rebuild can fill `<name>-v2` and swap the alias in one atomic step. The template
only shapes indices created after it, so a changed analyzer takes effect through such a rebuild.

The text fields are copied into one `fulltext` field searched with `operator: and`: every query
term must occur somewhere in description, number, category or area. A `multi_match` would
not do: `best_fields` wants all terms in a single field, and `cross_fields` cannot mix the
keyword `number` with analyzed text.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from elasticsearch import BadRequestError, Elasticsearch, NotFoundError, helpers

from services.common.settings import Settings
from services.search.adapters.index import (
    KEYWORD_FIELDS,
    Doc,
    SearchPage,
    check_filters,
    check_page,
    ticket_id_of,
)

# Dotted path of an `elastic_transport` node class to use instead of the client's default.
# Unset in production. Tests point it at `tests.es_compat.CompatNode` so that a whole service
# process can talk to the Elasticsearch-compatible test server, which refuses the client's
# versioned media types.
NODE_CLASS_ENV = "HOTLINE_ELASTICSEARCH_NODE_CLASS"
BATCH = 500
_FULLTEXT = "fulltext"
_TEXT_FIELDS = ("description", "category_path", "area_path")
_SORT = [
    {"_score": {"order": "desc"}},
    {"created_at": {"order": "desc", "missing": "_last"}},
    {"ticket_id": {"order": "asc"}},
]


def make_client(settings: Settings) -> Elasticsearch:
    """A client for `settings.elasticsearch_url`, with basic auth when a username is set and
    the node class named by the HOTLINE_ELASTICSEARCH_NODE_CLASS environment variable, if any."""
    options: dict[str, Any] = {}
    if settings.elasticsearch_username:
        options["basic_auth"] = (settings.elasticsearch_username, settings.elasticsearch_password)
    node_class = os.environ.get(NODE_CLASS_ENV, "").strip()
    if node_class:
        options["node_class"] = _import(node_class)
    return Elasticsearch(settings.elasticsearch_url, **options)


def mappings(analyzer: str) -> dict[str, Any]:
    """The document mapping. Unknown keys are kept in `_source` but not indexed (`dynamic:
    false`), so a new key never breaks indexing with a type clash."""
    text = {"type": "text", "analyzer": analyzer, "copy_to": _FULLTEXT}
    if analyzer == "ik_max_word":
        text["search_analyzer"] = "ik_smart"  # finest split to index, coarsest to query
    properties: dict[str, Any] = {name: {"type": "keyword"} for name in KEYWORD_FIELDS}
    properties |= {name: dict(text) for name in _TEXT_FIELDS}
    properties |= {
        "ticket_id": {"type": "keyword"},
        "number": {"type": "keyword", "copy_to": _FULLTEXT},
        "department_name": {"type": "keyword"},
        "calls": {"type": "integer"},
        # A malformed date is stored but not indexed, rather than failing the whole document.
        "created_at": {"type": "date", "ignore_malformed": True},
        "updated_at": {"type": "date", "ignore_malformed": True},
        "timeline": {"type": "object", "enabled": False},
        _FULLTEXT: {k: v for k, v in text.items() if k != "copy_to"},
    }
    return {"dynamic": False, "properties": properties}


class ElasticIndex:
    """`SearchIndex` on Elasticsearch. A client passed in stays the caller's to close."""

    def __init__(self, settings: Settings, client: Elasticsearch | None = None) -> None:
        self._alias = settings.elasticsearch_index
        self._first_index = f"{self._alias}-v1"
        self._template = f"{self._alias}-template"
        self._analyzer = settings.elasticsearch_analyzer
        self._owns_client = client is None
        self._client = client if client is not None else make_client(settings)

    def ensure(self) -> None:
        self._client.indices.put_index_template(
            name=self._template,
            index_patterns=[f"{self._alias}-*"],
            template={"mappings": mappings(self._analyzer)},
        )
        if self._client.indices.exists_alias(name=self._alias):
            return
        try:
            self._client.indices.create(index=self._first_index, aliases={self._alias: {}})
        except BadRequestError as error:
            # Another process created it between our check and our create.
            if error.error != "resource_already_exists_exception":
                raise

    def put(self, doc: Mapping[str, Any]) -> None:
        self._client.index(index=self._alias, id=ticket_id_of(doc), document=dict(doc))

    def put_many(self, docs: Iterable[Mapping[str, Any]]) -> int:
        written, _ = helpers.bulk(self._client, self._actions(docs), chunk_size=BATCH)
        return written

    def get(self, ticket_id: str) -> Doc | None:
        try:
            found = self._client.get(index=self._alias, id=ticket_id)
        except NotFoundError as error:
            if isinstance(error.body, dict) and error.body.get("found") is False:
                return None
            raise  # the index itself is missing: a setup fault, not an unknown ticket
        source: Doc = found["_source"]
        return source

    def search(
        self,
        query: str,
        filters: Mapping[str, str] | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> SearchPage:
        chosen = check_filters(filters)
        check_page(limit, offset)
        must: dict[str, Any] = {"match_all": {}}
        if query.strip():
            must = {"match": {_FULLTEXT: {"query": query, "operator": "and"}}}
        response = self._client.search(
            index=self._alias,
            query={
                "bool": {
                    "must": [must],
                    "filter": [{"term": {name: value}} for name, value in chosen.items()],
                }
            },
            sort=_SORT,
            from_=offset,
            size=limit,
            track_total_hits=True,
        )
        hits = response["hits"]
        return SearchPage(
            total=int(hits["total"]["value"]), hits=[hit["_source"] for hit in hits["hits"]]
        )

    def refresh(self) -> None:
        self._client.indices.refresh(index=self._alias)

    def drop(self) -> None:
        client = self._client.options(ignore_status=404)
        aliased = client.indices.get_alias(name=self._alias)
        names = {self._first_index, *(aliased.body if aliased.meta.status == 200 else {})}
        client.indices.delete(index=sorted(names), ignore_unavailable=True)
        client.indices.delete_index_template(name=self._template)

    def ping(self) -> bool:
        try:
            return bool(self._client.ping())
        except Exception:  # ping answers a question; any failure means "no"
            return False

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def _actions(self, docs: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
        for doc in docs:
            yield {"_index": self._alias, "_id": ticket_id_of(doc), "_source": dict(doc)}


def _import(dotted: str) -> type:
    module_name, _, name = dotted.rpartition(".")
    try:
        found = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError, ValueError) as error:
        raise ValueError(f"{NODE_CLASS_ENV}={dotted!r} names no importable class") from error
    if not isinstance(found, type):
        raise ValueError(f"{NODE_CLASS_ENV}={dotted!r} is not a class")
    return found
