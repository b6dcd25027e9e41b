"""`ElasticIndex`: the search index in Elasticsearch, through the official client.

Layout: an index template `<name>-template` for `<name>-*`, and a concrete index `<name>-v1`
behind the alias `<name>` (`settings.elasticsearch_index`). Everything reads and writes the
alias, so a rebuild can fill `<name>-v2` and swap the alias in one atomic step. The template
only shapes indices created after it, so a changed analyzer takes effect through such a rebuild.

The text fields are copied into one `fulltext` field searched with `operator: and`: every query
term must occur somewhere in description, number, category or area. A `multi_match` would
not do: `best_fields` wants all terms in a single field, and `cross_fields` cannot mix the
keyword `number` with analyzed text. Query bodies are built in `elastic_query`; an engine
error never reaches the caller as such, it becomes `SearchUnavailable`. A write that fails
because the server is unreachable or overloaded raises `PeerAway`, so the events behind it
are kept and retried rather than dead-lettered.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from elastic_transport import ConnectionError as Unreachable
from elastic_transport import ConnectionTimeout, TransportError
from elasticsearch import ApiError, BadRequestError, Elasticsearch, NotFoundError, helpers
from elasticsearch.helpers import BulkIndexError

from services.common.consumer import PeerAway
from services.search.adapters import elastic_query as eq
from services.search.adapters.index import (
    ADDED_FIELDS,
    DATE_FIELDS,
    KEYWORD_FIELDS,
    SUM_FIELDS,
    Doc,
    SearchIndex,
    SearchRequest,
    SearchResult,
    SearchUnavailable,
    check_request,
    ticket_id_of,
)
from services.search.config import SearchSettings
from services.search.domain.query import parse

# Dotted path of an `elastic_transport` node class to use instead of the client's default.
# Unset in production. Tests point it at `tests.support.es_compat.CompatNode` so that a whole
# service process can talk to the Elasticsearch-compatible test server, which refuses the
# client's versioned media types.
NODE_CLASS_ENV = "HOTLINE_ELASTICSEARCH_NODE_CLASS"
BATCH = 500
BULK_TIMEOUT_S = 120.0
# Statuses that say "not now" (overloaded, restarting, behind a gateway that lost it).
_BUSY = frozenset({429, 502, 503, 504})
_TEXT_FIELDS = ("description", "more_descriptions", "address", "category_path", "area_path")


def make_client(settings: SearchSettings) -> Elasticsearch:
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
    text = {"type": "text", "analyzer": analyzer, "copy_to": eq.FULLTEXT}
    if analyzer == "ik_max_word":
        text["search_analyzer"] = "ik_smart"  # finest split to index, coarsest to query
    properties: dict[str, Any] = {name: {"type": "keyword"} for name in KEYWORD_FIELDS}
    properties |= {name: dict(text) for name in _TEXT_FIELDS}
    # A malformed date is stored but not indexed, rather than failing the whole document.
    properties |= {name: {"type": "date", "ignore_malformed": True} for name in DATE_FIELDS}
    properties |= {name: {"type": "integer", "ignore_malformed": True} for name in SUM_FIELDS}
    properties |= {
        "ticket_id": {"type": "keyword"},
        "number": {"type": "keyword", "copy_to": eq.FULLTEXT},
        "department_name": {"type": "keyword"},
        "updated_at": {"type": "date", "ignore_malformed": True},
        "timeline": {"type": "object", "enabled": False},
        eq.FULLTEXT: {k: v for k, v in text.items() if k != "copy_to"},
    }
    return {"dynamic": False, "properties": properties}


class ElasticIndex:
    """`SearchIndex` on Elasticsearch. A client passed in stays the caller's to close.

    Reads and writes go to the alias, or to one concrete index (`target`) for a generation
    being rebuilt beside the live one.
    """

    def __init__(
        self,
        settings: SearchSettings,
        client: Elasticsearch | None = None,
        target: str | None = None,
    ) -> None:
        self._settings = settings
        self._alias = settings.elasticsearch_index
        self._target = target or self._alias
        self.name = self._target
        self._first_index = f"{self._alias}-v1"
        self._template = f"{self._alias}-template"
        self._analyzer = settings.elasticsearch_analyzer
        self._owns_client = client is None
        self._client = client if client is not None else make_client(settings)
        self._ensured = False

    def ensure(self) -> None:
        with _away_on_outage():
            self._client.indices.put_index_template(
                name=self._template,
                index_patterns=[f"{self._alias}-*"],
                template={"mappings": mappings(self._analyzer)},
            )
            if not self._client.indices.exists_alias(name=self._alias):
                self._create_first()
            else:
                self._add_fields()
        self._ensured = True

    def _add_fields(self) -> None:
        """Maps the fields added since the live index was made (indexed from now on)."""
        properties = mappings(self._analyzer)["properties"]
        added = {name: properties[name] for name in ADDED_FIELDS}
        self._client.indices.put_mapping(index=self._alias, properties=added)

    def _create_first(self) -> None:
        try:
            self._client.indices.create(index=self._first_index, aliases={self._alias: {}})
        except BadRequestError as error:
            # Another process created it between our check and our create.
            if error.error != "resource_already_exists_exception":
                raise

    def put(self, doc: Mapping[str, Any]) -> None:
        self._ensure_once()
        with _away_on_outage():
            self._client.index(index=self._target, id=ticket_id_of(doc), document=dict(doc))

    def put_many(self, docs: Iterable[Mapping[str, Any]]) -> int:
        # A bulk request carries hundreds of documents: give it longer than a search.
        self._ensure_once()
        client = self._client.options(request_timeout=BULK_TIMEOUT_S)
        with _away_on_outage():
            written, _ = helpers.bulk(client, self._actions(docs), chunk_size=BATCH)
        return written

    def _ensure_once(self) -> None:
        # A service that started while the server was away creates its index on first write.
        if not self._ensured:
            self.ensure()

    def get(self, ticket_id: str) -> Doc | None:
        try:
            found = self._client.get(index=self._target, id=ticket_id)
        except NotFoundError as error:
            if isinstance(error.body, dict) and error.body.get("found") is False:
                return None
            raise  # the index itself is missing: a setup fault, not an unknown ticket
        source: Doc = found["_source"]
        return source

    def search(self, request: SearchRequest) -> SearchResult:
        filters = check_request(request)
        parsed = parse(request.text)
        if parsed.matches_nothing:
            return SearchResult(total=0)
        options: dict[str, Any] = {}
        if request.after is not None:
            options["search_after"] = list(request.after)
        else:
            options["from_"] = request.offset
        try:
            response = self._client.search(
                index=self._target,
                query=eq.query(request, parsed, filters),
                sort=eq.sort(request),
                size=request.limit,
                aggs=eq.aggregations(request) or None,
                track_total_hits=True,
                **options,
            )
        except (ApiError, TransportError) as error:
            raise SearchUnavailable(f"Elasticsearch: {error}") from error
        return _result(response.body, request)

    def refresh(self) -> None:
        self._client.indices.refresh(index=self._target)

    def drop(self) -> None:
        client = self._client.options(ignore_status=404)
        names = {self._first_index, *self._generations()}
        client.indices.delete(index=sorted(names), ignore_unavailable=True)
        client.indices.delete_index_template(name=self._template)

    def next_generation(self) -> SearchIndex:
        numbers = [int(name.rsplit("-v", 1)[1]) for name in self._generations()]
        name = f"{self._alias}-v{max(numbers, default=0) + 1}"
        self._client.indices.create(index=name)
        return ElasticIndex(self._settings, self._client, target=name)

    def promote(self, generation: SearchIndex) -> None:
        if not isinstance(generation, ElasticIndex) or generation._alias != self._alias:
            raise ValueError("not a generation of this index")
        actions: list[dict[str, Any]] = [
            {"remove": {"index": name, "alias": self._alias}} for name in self._aliased()
        ]
        actions.append({"add": {"index": generation._target, "alias": self._alias}})
        self._client.indices.update_aliases(actions=actions)

    def discard(self, generation: SearchIndex) -> None:
        if not isinstance(generation, ElasticIndex) or generation._alias != self._alias:
            raise ValueError("not a generation of this index")
        if generation._target in self._aliased():
            raise ValueError("the live generation cannot be discarded")
        self._client.options(ignore_status=404).indices.delete(index=generation._target)

    def generations(self) -> list[str]:
        return sorted(self._generations(), key=lambda name: int(name.rsplit("-v", 1)[1]))

    def live_generation(self) -> str:
        return ",".join(self._aliased())

    def prune(self, keep: int) -> list[str]:
        names = self.generations()
        kept = {*names[-keep:], *self._aliased()} if keep > 0 else set(self._aliased())
        deleted = [name for name in names if name not in kept]
        if deleted:
            self._client.options(ignore_status=404).indices.delete(index=deleted)
        return deleted

    def ping(self) -> bool:
        try:
            return bool(self._client.ping())
        except Exception:  # ping answers a question; any failure means "no"
            return False

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def _generations(self) -> list[str]:
        found = self._client.options(ignore_status=404).indices.get(index=f"{self._alias}-v*")
        if found.meta.status != 200:
            return []
        return [name for name in found.body if name.rsplit("-v", 1)[-1].isdigit()]

    def _aliased(self) -> list[str]:
        found = self._client.options(ignore_status=404).indices.get_alias(name=self._alias)
        return list(found.body) if found.meta.status == 200 else []

    def _actions(self, docs: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
        for doc in docs:
            yield {"_index": self._target, "_id": ticket_id_of(doc), "_source": dict(doc)}


@contextmanager
def _away_on_outage() -> Iterator[None]:
    """Unreachable or overloaded becomes `PeerAway`; a document the server refuses for
    itself (a mapping clash, say) stays an error of that document."""
    try:
        yield
    except (Unreachable, ConnectionTimeout) as error:
        raise PeerAway(f"Elasticsearch unreachable: {error}") from error
    except ApiError as error:
        if error.meta.status in _BUSY:
            raise PeerAway(f"Elasticsearch busy: {error.meta.status}") from error
        raise
    except BulkIndexError as error:
        statuses = {next(iter(item.values())).get("status") for item in error.errors}
        if statuses <= _BUSY:
            raise PeerAway(f"Elasticsearch refused a bulk write: {sorted(statuses)}") from error
        raise


def _result(body: Mapping[str, Any], request: SearchRequest) -> SearchResult:
    hits = body["hits"]["hits"]
    aggs = body.get("aggregations", {})
    cursor = None
    if hits and request.sort != "relevance":
        cursor = list(hits[-1]["sort"])
    return SearchResult(
        total=int(body["hits"]["total"]["value"]),
        hits=[hit["_source"] for hit in hits],
        facets=eq.facets(aggs, request),
        histogram=eq.histogram(aggs, request),
        sums=eq.sums(aggs, request) if request.sums else {},
        cursor=cursor,
    )


def _import(dotted: str) -> type:
    module_name, _, name = dotted.rpartition(".")
    try:
        found = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError, ValueError) as error:
        raise ValueError(f"{NODE_CLASS_ENV}={dotted!r} names no importable class") from error
    if not isinstance(found, type):
        raise ValueError(f"{NODE_CLASS_ENV}={dotted!r} is not a class")
    return found
