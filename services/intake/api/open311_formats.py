"""Open311's two formats: JSON, and XML with the specification's element names, both
UTF-8; errors as the specification's array of {code, description}."""

from __future__ import annotations

import json
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

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
    element = Element(root)
    _fill(element, root, body)
    return (
        b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(element, encoding="unicode").encode()
    )


def _fill(element: Element, tag: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _fill(SubElement(element, key), key, inner)
    elif isinstance(value, list):
        for item in value:
            _fill(SubElement(element, _ITEM.get(tag, "item")), _ITEM.get(tag, "item"), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
