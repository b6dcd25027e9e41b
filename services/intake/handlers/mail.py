"""Citizens' email becoming tickets: each message read once becomes one ticket for a
dispatcher's review, and its answer is queued in the same transaction (an outbox), so a
crash between the two neither loses the answer nor makes a second ticket."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from proto.envelope import new_id
from services.common.errors import Invalid
from services.intake.domain.mail import (
    MAIL_CATEGORY,
    MAIL_REVIEW,
    Letter,
    MailState,
    Place,
    Read,
    Reply,
    mask_email,
    reply_subject,
)
from services.intake.domain.model import SHANGHAI, Call, Caller, Ticket, new_caller_ref
from services.intake.domain.model import ticket_number as number_for
from services.intake.domain.privacy import retention_cutoff
from services.intake.handlers.context import IntakeContext
from services.intake.handlers.photos import store_photo
from services.intake.handlers.ports import AuditEntry, UnitOfWork

log = logging.getLogger(__name__)
# Who "took" an emailed request: no agent did.
MAIL_DESK = "email"


@dataclass(frozen=True)
class Accepted:
    state: MailState
    ticket_id: str | None
    ticket_number: str | None = None


def already_read(intake: IntakeContext, place: Place, message_id: str | None = None) -> bool:
    """Whether this message (by its place, or by its Message-ID when given) was read before."""
    with intake.uow() as uow:
        if uow.mail.known(place):
            return True
        return message_id is not None and uow.mail.ticket_of(message_id) is not None


def store_photos(intake: IntakeContext, letter: Letter) -> tuple[list[str], list[str]]:
    """The ids of the images stored as photos, and a note for each one refused."""
    ids, notes = [], []
    for image in letter.images:
        try:
            ids.append(store_photo(intake, image.data).id)
        except Invalid as refused:  # a refused image is skipped, the mail is not
            notes.append(f"image {image.filename or image.content_type} not stored: {refused}")
    return ids, notes


def accept(
    intake: IntakeContext, place: Place, letter: Letter, photos: list[str], notes: list[str]
) -> Accepted:
    """Records the message and, unless it was read before, its ticket, the ticket's event
    and the queued answer, all in one transaction."""
    now = intake.clock()
    sender = _seal(intake, letter.sender)
    read = Read(place, letter.message_id, MailState.ticket, now, note=_note(letter, notes))
    # Before the transaction: the model never holds it open.
    suggestion = None if letter.automatic else intake.suggestion_for(letter.description)
    with intake.uow() as uow:
        if uow.mail.known(place):
            return Accepted(MailState.duplicate, None)
        if letter.automatic:
            uow.mail.record(_kept(replace(read, state=MailState.automatic), sender))
            uow.commit()
            return Accepted(MailState.automatic, None)
        earlier = uow.mail.ticket_of(letter.message_id)
        if earlier is not None:
            uow.mail.record(replace(read, state=MailState.duplicate, ticket_id=earlier))
            uow.commit()
            return Accepted(MailState.duplicate, earlier)
        ticket = _ticket(intake, uow, letter, _ref(uow, sender), now)
        ticket.suggestion = suggestion
        _store(uow, ticket, photos)
        mail_id = uow.mail.record(_kept(replace(read, ticket_id=ticket.id), sender))
        if letter.sender and sender.cipher:
            uow.mail.queue(_reply(mail_id, ticket, letter, sender), now)
        uow.commit()
    return Accepted(MailState.ticket, ticket.id, ticket.number)


def record_failure(intake: IntakeContext, place: Place, letter: Letter, error: str) -> None:
    """Records a message that could not become a ticket, so the inbox moves past it."""
    note = _note(letter, [f"not stored: {error}"])
    read = Read(place, letter.message_id, MailState.failed, intake.clock(), note=note)
    with intake.uow() as uow:
        if not uow.mail.known(place):
            uow.mail.record(_kept(read, _seal(intake, letter.sender)))
        uow.commit()


def forget_senders(intake: IntakeContext, retention_days: int, batch: int = 200) -> int:
    """Erases the addresses of up to `batch` messages past retention, as numbers are erased
    (the masked form stays), and records the sweep; returns how many it erased."""
    now = intake.clock()
    with intake.uow() as uow:
        erased = uow.mail.forget_senders(retention_cutoff(now, retention_days), batch)
        if not erased:
            return 0
        reason = f"mail closed>{retention_days}d"
        uow.audit.record(AuditEntry(now, "system", "retention", "done", reason, records=erased))
        uow.commit()
    return erased


def _seal(intake: IntakeContext, address: str | None) -> Caller:
    """The address kept like a caller's number: encrypted and keyed by the vault, masked."""
    if address is None:
        return Caller()
    return replace(intake.vault.seal(address), masked=mask_email(address))


def _kept(read: Read, sender: Caller) -> Read:
    return replace(
        read, sender_masked=sender.masked, sender_key=sender.key, sender_cipher=sender.cipher
    )


def _ref(uow: UnitOfWork, sender: Caller) -> str | None:
    """The sender's earlier caller reference, so their mails read as one citizen's."""
    if sender.key is None:
        return None
    return uow.mail.sender_ref(sender.key) or new_caller_ref()


def _note(letter: Letter, notes: list[str]) -> str | None:
    return "\n".join([*letter.notes, *notes])[:4000] or None


def _ticket(
    intake: IntakeContext, uow: UnitOfWork, letter: Letter, ref: str | None, at: datetime
) -> Ticket:
    catalogue = intake.catalogue.get(uow.catalogue)
    sequence = uow.tickets.next_sequence(at.astimezone(SHANGHAI).date())
    return Ticket(
        id=new_id(),
        number=number_for(at, sequence),
        channel="email",
        request_type="complaint",
        category_code=MAIL_CATEGORY,
        category_path=catalogue.path(MAIL_CATEGORY),
        area_code=None,
        area_path=[],
        urgency="general",
        description=letter.description,
        caller_masked=None,
        caller_key=None,
        caller_ref=ref,
        created_by=MAIL_DESK,
        created_at=at,
        catalogue_version=catalogue.version,
        status_at=at,
    )


def _store(uow: UnitOfWork, ticket: Ticket, photos: list[str]) -> None:
    """The ticket, its one "call" (the mail, with no number: texts never go to it) and its
    event, which asks for a dispatcher's review and carries the photos."""
    call = Call(
        id=new_id(),
        ticket_id=ticket.id,
        channel="email",
        request_type=ticket.request_type,
        description=ticket.description,
        caller_masked=None,
        caller_key=None,
        caller_cipher=None,
        taken_by=MAIL_DESK,
        taken_at=ticket.created_at,
        caller_ref=ticket.caller_ref,
    )
    uow.tickets.add(ticket)
    uow.calls.add(call)
    if photos:
        uow.photos.attach(photos, ticket.id, ticket.created_at)
    event = ticket.created_event().model_copy(update={"review": MAIL_REVIEW, "photos": photos})
    uow.publish(event, ticket_id=ticket.id, occurred_at=ticket.created_at)


def _reply(mail_id: str, ticket: Ticket, letter: Letter, sender: Caller) -> Reply:
    assert sender.masked is not None and sender.cipher is not None
    in_reply_to = letter.message_id if letter.message_id.startswith("<") else None
    return Reply(
        mail_id=mail_id,
        ticket_id=ticket.id,
        ticket_number=ticket.number,
        to_masked=sender.masked,
        to_cipher=sender.cipher,
        subject=reply_subject(ticket.number),
        in_reply_to=in_reply_to,
    )
