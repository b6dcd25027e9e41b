"""Regenerates seed/initials.json: the pinyin initials of every name in the seed files, so
a service starts without loading pypinyin's dictionaries (seconds on a busy machine).
Names added later (by admins) are converted when they are added. Run:

    .venv/bin/python -m services.intake.tools.build_initials
"""

from __future__ import annotations

import json

from services.intake.adapters.pinyin import INITIALS_FILE, convert
from services.intake.adapters.seed import seed_entries


def seed_names() -> list[str]:
    names = {e["name"] for e in seed_entries("addresses.toml", "areas")}
    names |= {e["name"] for e in seed_entries("catalogue.toml", "categories")}
    return sorted(names)


def main() -> None:
    table = {name: convert(name) for name in seed_names()}
    INITIALS_FILE.write_text(
        json.dumps(table, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
