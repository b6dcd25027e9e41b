"""Open311's two formats: JSON, and XML with the specification's element names, both
UTF-8; errors as the specification's array of {code, description}."""

from __future__ import annotations

import json
import re
from typing import Any
from xml.sax.saxutils import escape

from fastapi import Response

from services.intake.domain.open311 import FORMATS

# A list's items are named in the singular, as the specification's XML examples do.
_ITEM = {
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
    "services": "service",
    "service_requests": "request",
    "errors": "error",
}


# Characters XML 1.0 cannot carry at all, even escaped (a pasted control character).
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render(fmt: str, root: str, body: Any, status: int = 200) -> Response:
    """`body` is a dict or a list; `root` names the XML document's element."""
    if fmt == "xml":
        content = _xml(root, body)
    else:
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(content, status, media_type=f"{FORMATS[fmt]}; charset=utf-8")


def errors(fmt: str, status: int, description: str) -> Response:
    return render(fmt, "errors", [{"code": status, "description": description}], status)


def _xml(root: str, body: Any) -> bytes:
    """Written as text: for a list of 1,000 requests this is several times faster than
    building an ElementTree, and the output is the same."""
    # The specification asks for the declaration "including the encoding="UTF-8" attribute".
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    _write(parts, root, body)
    return "".join(parts).encode()


def _write(parts: list[str], tag: str, value: Any) -> None:
    if isinstance(value, dict):
        parts.append(f"<{tag}>")
        for key, inner in value.items():
            _write(parts, key, inner)
        parts.append(f"</{tag}>")
    elif isinstance(value, list):
        item = _ITEM.get(tag, "item")
        parts.append(f"<{tag}>")
        for inner in value:
            _write(parts, item, inner)
        parts.append(f"</{tag}>")
    elif value is None:
        parts.append(f"<{tag} />")
    elif isinstance(value, bool):
        parts.append(f"<{tag}>{'true' if value else 'false'}</{tag}>")
    else:
        parts.append(f"<{tag}>{escape(_XML_UNSAFE.sub('', str(value)))}</{tag}>")
