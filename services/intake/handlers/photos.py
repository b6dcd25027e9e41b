"""Photos: stored from an upload (or an email's attachment), served by id, attached to the
ticket they came with, and purged when nobody sent them with a report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.common.errors import Invalid, NotFound
from services.intake.domain.photos import MAX_PER_TICKET, PhotoRejected, new_photo_id, process
from services.intake.handlers.context import IntakeContext
from services.intake.handlers.ports import UnitOfWork

# Long enough to fill in a report after uploading its photos, or to come back to it.
UNATTACHED_FOR = timedelta(days=1)
PURGE_BATCH = 200


@dataclass(frozen=True)
class StoredPhoto:
    id: str
    content_type: str
    width: int
    height: int
    bytes: int
    created_at: datetime


def store_photo(intake: IntakeContext, data: bytes) -> StoredPhoto:
    """Re-encodes and stores the photo, unattached; raises Invalid (nothing stored) for
    anything that is not a JPEG, PNG or WebP photo of at most 5 MB that decodes safely."""
    try:
        photo = process(data)
    except PhotoRejected as rejected:
        raise Invalid(rejected.code, field="file") from None
    photo_id, now = new_photo_id(), intake.clock()
    with intake.uow() as uow:
        uow.photos.add(photo_id, photo, now)
        uow.commit()
    size = len(photo.data)
    return StoredPhoto(photo_id, photo.content_type, photo.width, photo.height, size, now)


def photo_content(intake: IntakeContext, photo_id: str, thumbnail: bool) -> tuple[str, bytes]:
    """(content type, bytes) of a photo or of its thumbnail."""
    with intake.uow() as uow:
        found = uow.photos.content(photo_id, thumbnail)
    if found is None:
        raise NotFound("intake.photo_not_found", id=photo_id)
    return found


def check_attachable(uow: UnitOfWork, ids: tuple[str, ...]) -> None:
    """Each photo exists and belongs to no ticket yet; at most MAX_PER_TICKET, none twice."""
    if len(ids) > MAX_PER_TICKET:
        raise Invalid("intake.photos_too_many", field="photos", max=MAX_PER_TICKET)
    if len(set(ids)) != len(ids):
        raise Invalid("intake.photo_repeated", field="photos")
    holders = uow.photos.holders(list(ids))
    for n, photo_id in enumerate(ids):
        if photo_id not in holders:
            raise Invalid("intake.photo_not_found", field=f"photos.{n}", id=photo_id)
        if holders[photo_id] is not None:
            raise Invalid("intake.photo_attached", field=f"photos.{n}", id=photo_id)


def attach(uow: UnitOfWork, ids: tuple[str, ...], ticket_id: str, at: datetime) -> None:
    """Attaches checked photos; another report taking one meanwhile undoes the whole use case."""
    if uow.photos.attach(list(ids), ticket_id, at) != len(ids):
        raise Invalid("intake.photo_attached", field="photos", id=",".join(ids))


def keep_field_photos(uow: UnitOfWork, ids: list[str], ticket_id: str, at: datetime) -> None:
    """Photos a department took in the field belong to the ticket: never purged. Unknown ids
    (purged or mistyped) change nothing; the event is a fact already."""
    uow.photos.attach(ids, ticket_id, at)


def purge_unattached(intake: IntakeContext) -> int:
    """Deletes a batch of photos uploaded more than a day ago and never attached; returns
    how many (0 when idle). Safe beside other instances."""
    with intake.uow() as uow:
        purged = uow.photos.purge_unattached(intake.clock() - UNATTACHED_FOR, PURGE_BATCH)
        uow.commit()
    return purged
