"""Generates the language-neutral JSON Schemas in proto/schemas/ from the Pydantic models.

Run `python -m proto.schemas` after changing an event; a test fails while they differ.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from proto.envelope import Envelope, Event
from proto.events import EVENTS

SCHEMA_DIR = Path(__file__).parent / "schemas"


def schema_for(event: type[Event]) -> dict[str, Any]:
    schema = Envelope.model_json_schema()
    schema["title"] = f"{event.TYPE} v{event.VERSION}"
    schema["$id"] = f"urn:hotline:event:{event.TYPE}:{event.VERSION}"
    schema["x-topic"] = event.TOPIC
    props = schema["properties"]
    props["type"] = {"const": event.TYPE}
    props["schema_version"] = {"const": event.VERSION}
    payload = event.model_json_schema()
    schema.setdefault("$defs", {}).update(payload.pop("$defs", {}))
    props["payload"] = payload
    return schema


def rendered() -> dict[str, str]:
    return {
        f"{e.TYPE}.v{e.VERSION}.json": json.dumps(schema_for(e), indent=2, ensure_ascii=False)
        + "\n"
        for e in EVENTS
    }


def main() -> None:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for name, text in rendered().items():
        (SCHEMA_DIR / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
