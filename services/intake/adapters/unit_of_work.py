"""The intake unit of work: the SQL repositories the use cases reach through it. Each
method hands its session to the store module that holds the statements (prebuilt where the
call path runs them), so the SQL is the same as when handlers called the modules."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from services.common.db import UnitOfWork
from services.intake.adapters import (
    catalogue_store,
    knowledge_store,
    mail_store,
    open311_store,
    photo_store,
    portal_store,
    privacy_store,
    repository,
    sms_store,
)
from services.intake.adapters.suggester_store import SqlSuggesters
from services.intake.domain.catalogue import Catalogue, Category, Pair, Revision
from services.intake.domain.duplicates import Candidate
from services.intake.domain.knowledge import Entry
from services.intake.domain.mail import Place, Read, Reply, ReplyStatus
from services.intake.domain.model import Call, Ticket
from services.intake.domain.open311 import ClientApp, RequestQuery, Spot
from services.intake.domain.otp import Code
from services.intake.domain.photos import Processed
from services.intake.domain.portal import Entry as CitizenEntry
from services.intake.domain.sms import SmsStatus
from services.intake.handlers.ports import AuditEntry, Outgoing


class SqlTickets:
    def __init__(self, session: Session):
        self._session = session

    def next_sequence(self, day: date) -> int:
        return repository.next_sequence(self._session, day)

    def add(self, ticket: Ticket) -> None:
        repository.add(self._session, ticket)

    def get(self, ticket_id: str) -> Ticket | None:
        return repository.get(self._session, ticket_id)

    def get_many(self, ids: list[str]) -> dict[str, Ticket]:
        return repository.get_many(self._session, ids)

    def recent(self, created_by: str | None, limit: int) -> list[Ticket]:
        return repository.recent(self._session, created_by, limit)

    def count_call(self, ticket_id: str) -> int | None:
        return repository.count_call(self._session, ticket_id)

    def set_status(self, ticket_id: str, status: str, at: datetime, **extra: object) -> None:
        repository.set_status(self._session, ticket_id, status, at, **extra)

    def close(self, ticket_id: str, status: str, at: datetime) -> None:
        repository.close(self._session, ticket_id, status, at)

    def reopen(self, ticket_id: str, at: datetime) -> None:
        repository.reopen(self._session, ticket_id, at)

    def set_callback_due(self, ticket_id: str, until: datetime | None) -> None:
        repository.set_callback_due(self._session, ticket_id, until)

    def open_at_place(
        self, area_code: str, since: datetime, category_code: str | None, limit: int
    ) -> list[Candidate]:
        return repository.open_at_place(self._session, area_code, since, category_code, limit)


class SqlCalls:
    def __init__(self, session: Session):
        self._session = session

    def add(self, call: Call) -> None:
        repository.add_call(self._session, call)

    def get(self, call_id: str) -> Call | None:
        return repository.get_call(self._session, call_id)

    def recent(self, taken_by: str, limit: int) -> list[tuple[Call, Ticket]]:
        return repository.recent_calls(self._session, taken_by, limit)

    def first_caller(self, ticket_id: str) -> Call | None:
        return repository.first_caller(self._session, ticket_id)

    def count_since(self, caller_key: str, since: datetime) -> int:
        return repository.calls_since(self._session, caller_key, since)


class SqlPhotos:
    def __init__(self, session: Session):
        self._session = session

    def add(self, photo_id: str, photo: Processed, at: datetime) -> None:
        photo_store.add(self._session, photo_id, photo, at)

    def content(self, photo_id: str, thumbnail: bool) -> tuple[str, bytes] | None:
        return photo_store.content(self._session, photo_id, thumbnail)

    def holders(self, ids: list[str]) -> dict[str, str | None]:
        return photo_store.holders(self._session, ids)

    def attach(self, ids: list[str], ticket_id: str, at: datetime) -> int:
        return photo_store.attach(self._session, ids, ticket_id, at)

    def purge_unattached(self, before: datetime, limit: int) -> int:
        return photo_store.purge_unattached(self._session, before, limit)


class SqlCallers:
    def __init__(self, session: Session):
        self._session = session

    def ref(self, key: str | None) -> str | None:
        return privacy_store.caller_ref(self._session, key)

    def calls_of(self, key: str) -> list[dict[str, Any]]:
        return privacy_store.calls_of_caller(self._session, key)

    def erase(self, key: str, ticket_ids: list[str]) -> None:
        privacy_store.erase_caller(self._session, key, ticket_ids)

    def closed_with_numbers(self, cutoff: datetime, limit: int) -> list[str]:
        return privacy_store.closed_with_numbers(self._session, cutoff, limit)

    def forget_numbers(self, ticket_ids: list[str]) -> None:
        privacy_store.forget_numbers(self._session, ticket_ids)


class SqlAudit:
    def __init__(self, session: Session, publish: privacy_store.Publish):
        self._session = session
        self._publish = publish

    def record(self, entry: AuditEntry) -> None:
        # Every line of the trail is also an audit event, in the same transaction.
        event = privacy_store.record(self._session, entry)
        self._publish(event, ticket_id=f"privacy:{entry.action}")

    def page(
        self, actions: tuple[str, ...], before: int | None, limit: int
    ) -> list[dict[str, Any]]:
        return privacy_store.audit_page(self._session, actions, before, limit)


class SqlKnowledge:
    def __init__(self, session: Session):
        self._session = session

    def seed(self, entries: list[Entry], at: datetime) -> bool:
        return knowledge_store.seed(self._session, entries, at)

    def save(self, entry: Entry, action: str, by: str, at: datetime, new: bool) -> None:
        knowledge_store.save(self._session, entry, action, by, at, new)

    def get(self, entry_id: str) -> tuple[Entry, bool] | None:
        found = knowledge_store.get(self._session, entry_id)
        return (found, found.active) if found else None

    def entry(self, entry_id: str, lock: bool = False) -> Entry | None:
        return knowledge_store.get(self._session, entry_id, lock)

    def every(self) -> list[Entry]:
        return knowledge_store.every(self._session)

    def versions(self, entry_id: str) -> list[dict[str, Any]]:
        return knowledge_store.versions(self._session, entry_id)


class SqlSms:
    def __init__(self, session: Session):
        self._session = session

    def enqueue(self, message: Outgoing, status: SmsStatus, at: datetime) -> str:
        return sms_store.enqueue(self._session, message, status, at)

    def due(self, now: datetime, limit: int) -> list[str]:
        return sms_store.due(self._session, now, limit)

    def claim(self, message_id: str, now: datetime) -> dict[str, Any] | None:
        return sms_store.claim(self._session, message_id, now)

    def settle(
        self,
        message_id: str,
        status: SmsStatus,
        attempts: int,
        at: datetime,
        next_at: datetime | None = None,
        error: str | None = None,
        text: str | None = None,
    ) -> None:
        sms_store.settle(self._session, message_id, status, attempts, at, next_at, error, text)

    def recent(self, limit: int, status: str | None = None) -> list[dict[str, Any]]:
        return sms_store.recent(self._session, limit, status)


class SqlCatalogue:
    def __init__(self, session: Session):
        self._session = session

    def version(self) -> int:
        return catalogue_store.version(self._session)

    def load(self) -> Catalogue:
        return catalogue_store.load(self._session)

    def seed(self, seeded: list[Category], at: datetime) -> bool:
        return catalogue_store.seed(self._session, seeded, at)

    def record(
        self,
        number: int,
        action: str,
        code: str | None,
        before: Category | None,
        after: Category | None,
        by: str,
        at: datetime,
    ) -> None:
        catalogue_store.record(self._session, number, action, code, before, after, by, at)

    def insert(self, category: Category) -> None:
        catalogue_store.insert_category(self._session, category)

    def update(self, category: Category) -> None:
        catalogue_store.update_category(self._session, category)

    def changes(self, limit: int) -> list[dict[str, Any]]:
        return catalogue_store.changes(self._session, limit)

    def record_revisions(self, number: int, pairs: tuple[Pair, ...]) -> None:
        catalogue_store.record_revisions(self._session, number, pairs)

    def revisions_after(self, number: int) -> list[Revision]:
        return catalogue_store.revisions_after(self._session, number)

    def versions(self, limit: int) -> list[dict[str, Any]]:
        return catalogue_store.versions(self._session, limit)


class SqlOpen311:
    def __init__(self, session: Session):
        self._session = session

    def add_client(self, app: ClientApp, key_hash: str) -> None:
        open311_store.add_client(self._session, app, key_hash)

    def client_named(self, name: str) -> ClientApp | None:
        return open311_store.client_named(self._session, name)

    def client_by_key(self, key_hash: str) -> ClientApp | None:
        return open311_store.client_by_key(self._session, key_hash)

    def clients(self) -> list[ClientApp]:
        return open311_store.clients(self._session)

    def revoke(self, client_id: str, by: str, at: datetime) -> bool:
        return open311_store.revoke(self._session, client_id, by, at)

    def locate(self, ticket_id: str, spot: Spot) -> None:
        open311_store.locate(self._session, ticket_id, spot)

    def note(self, ticket_id: str, status_notes: str) -> None:
        open311_store.note(self._session, ticket_id, status_notes)

    def find(self, query: RequestQuery) -> list[dict[str, Any]]:
        return open311_store.find(self._session, query)


class SqlMail:
    def __init__(self, session: Session):
        self._session = session

    def lease(self, mailbox: str, holder: str, now: datetime, until: datetime) -> bool:
        return mail_store.lease(self._session, mailbox, holder, now, until)

    def release(self, mailbox: str, holder: str, now: datetime) -> None:
        mail_store.release(self._session, mailbox, holder, now)

    def forget_senders(self, cutoff: datetime, limit: int) -> int:
        return mail_store.forget_senders(self._session, cutoff, limit)

    def known(self, place: Place) -> bool:
        return mail_store.known(self._session, place)

    def ticket_of(self, message_id: str) -> str | None:
        return mail_store.ticket_of(self._session, message_id)

    def sender_ref(self, sender_key: str) -> str | None:
        return mail_store.sender_ref(self._session, sender_key)

    def record(self, read: Read) -> str:
        return mail_store.record(self._session, read)

    def queue(self, reply: Reply, at: datetime) -> str:
        return mail_store.queue(self._session, reply, at)

    def due(self, now: datetime, limit: int) -> list[str]:
        return mail_store.due(self._session, now, limit)

    def claim(
        self, reply_id: str, now: datetime, until: datetime, holder: str = ""
    ) -> dict[str, Any] | None:
        return mail_store.claim(self._session, reply_id, now, until, holder)

    def messages_of_sender(self, sender_key: str) -> list[dict[str, Any]]:
        return mail_store.messages_of_sender(self._session, sender_key)

    def erase_sender(self, mail_ids: list[str]) -> None:
        mail_store.erase_sender(self._session, mail_ids)

    def unclaim(self, holder: str, now: datetime) -> int:
        return mail_store.unclaim(self._session, holder, now)

    def waiting(self) -> int:
        return mail_store.waiting(self._session)

    def settle(
        self,
        reply_id: str,
        status: ReplyStatus,
        attempts: int,
        at: datetime,
        next_at: datetime | None = None,
        error: str | None = None,
    ) -> None:
        mail_store.settle(self._session, reply_id, status, attempts, at, next_at, error)


class SqlPortal:
    def __init__(self, session: Session):
        self._session = session

    def add_code(self, code: Code) -> None:
        portal_store.add_code(self._session, code)

    def code(self, code_id: str) -> Code | None:
        return portal_store.get_code(self._session, code_id)

    def by_proof(self, proof_hash: str) -> Code | None:
        return portal_store.by_proof(self._session, proof_hash)

    def codes_since(self, column: str, key: str, since: datetime) -> int:
        return portal_store.codes_since(self._session, column, key, since)

    def reports_since(self, column: str, key: str, since: datetime) -> int:
        return portal_store.reports_since(self._session, column, key, since)

    def take_attempt(self, code_id: str, now: datetime) -> bool:
        return portal_store.take_attempt(self._session, code_id, now)

    def verify(self, code_id: str, at: datetime, proof_hash: str | None) -> None:
        portal_store.verify(self._session, code_id, at, proof_hash)

    def use_proof(self, code_id: str, at: datetime | None) -> bool:
        return portal_store.use_proof(self._session, code_id, at)

    def ticket_by_number(self, number: str) -> str | None:
        return portal_store.ticket_by_number(self._session, number)

    def purge(self, before: datetime, limit: int) -> int:
        return portal_store.purge(self._session, before, limit)

    def revoked_at(self, ticket_id: str) -> datetime | None:
        return portal_store.revoked_at(self._session, ticket_id)

    def revoke(self, ticket_id: str, at: datetime) -> None:
        portal_store.revoke(self._session, ticket_id, at)

    def add_entry(self, event_id: str, ticket_id: str, entry: CitizenEntry) -> None:
        portal_store.add_entry(self._session, event_id, ticket_id, entry)

    def entries(self, ticket_id: str) -> list[CitizenEntry]:
        return portal_store.entries(self._session, ticket_id)

    def opted_out(self, caller_key: str | None) -> bool:
        return portal_store.opted_out(self._session, caller_key)

    def set_texts(self, caller_key: str, receive: bool, at: datetime) -> None:
        portal_store.set_texts(self._session, caller_key, receive, at)

    def hide_number(self, ticket_id: str, at: datetime) -> None:
        portal_store.hide_number(self._session, ticket_id, at)

    def number_hidden(self, ticket_id: str) -> bool:
        return portal_store.number_hidden(self._session, ticket_id)


class IntakeUnitOfWork(UnitOfWork):
    tickets: SqlTickets
    calls: SqlCalls
    callers: SqlCallers
    photos: SqlPhotos
    audit: SqlAudit
    knowledge: SqlKnowledge
    sms: SqlSms
    catalogue: SqlCatalogue
    mail: SqlMail
    portal: SqlPortal
    open311: SqlOpen311
    suggesters: SqlSuggesters

    def attach(self, session: Session) -> None:
        self.tickets = SqlTickets(session)
        self.calls = SqlCalls(session)
        self.callers = SqlCallers(session)
        self.photos = SqlPhotos(session)
        self.audit = SqlAudit(session, self.publish)
        self.knowledge = SqlKnowledge(session)
        self.sms = SqlSms(session)
        self.catalogue = SqlCatalogue(session)
        self.portal = SqlPortal(session)
        self.mail = SqlMail(session)
        self.open311 = SqlOpen311(session)
        self.suggesters = SqlSuggesters(session)
