"""Field evidence: the photos a department attaches to a contact or a resolution. Pure."""

from __future__ import annotations

import re

MAX_PHOTOS = 3
# Intake's photo ids: a prefix and an unguessable token (they are the only key to a photo).
PHOTO_ID = r"^ph_[A-Za-z0-9_-]{8,64}$"
_PHOTO_ID = re.compile(PHOTO_ID)


def is_photo_id(value: str) -> bool:
    return _PHOTO_ID.fullmatch(value) is not None
