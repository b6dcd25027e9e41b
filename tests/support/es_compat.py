"""An HTTP node for the official Elasticsearch client that osmem-server accepts.

The client announces its major version with `application/vnd.elasticsearch+json;
compatible-with=N` media types, which osmem-server answers with 406. `CompatNode` rewrites them
to the plain `application/json` (or `x-ndjson`) they stand for. It is test-only: production
talks to a real Elasticsearch with the client's defaults.

A whole service process picks it up through `HOTLINE_ELASTICSEARCH_NODE_CLASS=
tests.es_compat.CompatNode` (see `services.search.adapters.elastic.make_client`).
"""

from __future__ import annotations

import re

from elastic_transport import HttpHeaders, Urllib3HttpNode
from elastic_transport._node import NodeApiResponse
from elasticsearch import Elasticsearch

_VENDOR_MEDIA_TYPE = re.compile(
    r"application/vnd\.elasticsearch\+([\w.-]+)\s*;\s*compatible-with=\d+", re.IGNORECASE
)
_REWRITTEN = ("accept", "content-type")


def plain_media_type(value: str) -> str:
    """`application/vnd.elasticsearch+X; compatible-with=N` becomes `application/X`."""
    return _VENDOR_MEDIA_TYPE.sub(r"application/\1", value)


class CompatNode(Urllib3HttpNode):
    """`Urllib3HttpNode` that sends plain media types instead of the vendor ones."""

    def perform_request(  # type: ignore[override]
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        **kwargs: object,
    ) -> NodeApiResponse:
        if headers is not None:
            # The transport may hand over frozen headers, so rewrite a copy.
            headers = headers.copy()
            for name in _REWRITTEN:
                if name in headers:
                    headers[name] = plain_media_type(headers[name])
        return super().perform_request(method, target, body=body, headers=headers, **kwargs)  # type: ignore[arg-type]


def test_client(url: str) -> Elasticsearch:
    """A client for the osmem-server at `url` (e.g. "http://127.0.0.1:19200")."""
    return Elasticsearch(url, node_class=CompatNode)


# pytest would otherwise try to collect the factory above as a test.
test_client.__test__ = False  # type: ignore[attr-defined]
