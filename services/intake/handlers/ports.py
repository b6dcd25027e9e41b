"""What the intake use cases need from storage: repositories reached through the unit of
work. The SQL versions live in services/intake/adapters/unit_of_work.py."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from services.common.ports import Transaction
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
from services.intake.domain.suggest import Labelled


@dataclass(frozen=True)
class AuditEntry:
    """One line of the privacy audit trail: who saw or removed whose number, and why."""

    at: datetime
    actor: str
    action: str
    outcome: str
    reason: str
    ticket_id: str | None = None
    call_id: str | None = None
    caller_ref: str | None = None
    records: int = 0


@dataclass(frozen=True)
class Outgoing:
    """A text for the SMS outbox; the number is looked up only when it is sent."""

    request_id: str
    ticket_id: str
    ticket_number: str | None
    purpose: str
    caller_masked: str | None
    text: str
    # A number on no ticket yet (a citizen's one-time code), encrypted; else the ticket's.
    recipient_cipher: str | None = None


class Tickets(Protocol):
    def next_sequence(self, day: date) -> int:
        """Atomic per-day counter: concurrent calls never share a number."""

    def add(self, ticket: Ticket) -> None: ...

    def get(self, ticket_id: str) -> Ticket | None: ...

    def get_many(self, ids: list[str]) -> dict[str, Ticket]: ...

    def recent(self, created_by: str | None, limit: int) -> list[Ticket]: ...

    def count_call(self, ticket_id: str) -> int | None:
        """Adds one call to an open ticket and returns the new count, atomically; None if
        the ticket is closed or absent."""

    def set_status(self, ticket_id: str, status: str, at: datetime, **extra: object) -> None:
        """Unless a later event already moved the ticket on."""

    def close(self, ticket_id: str, status: str, at: datetime) -> None: ...

    def reopen(self, ticket_id: str, at: datetime) -> None: ...

    def set_callback_due(self, ticket_id: str, until: datetime | None) -> None: ...

    def open_at_place(
        self, area_code: str, since: datetime, category_code: str | None, limit: int
    ) -> list[Candidate]:
        """Open tickets within the area created since `since`, newest first."""


class Calls(Protocol):
    def add(self, call: Call) -> None: ...

    def get(self, call_id: str) -> Call | None: ...

    def recent(self, taken_by: str, limit: int) -> list[tuple[Call, Ticket]]:
        """The agent's latest calls, newest first, each with its ticket."""

    def first_caller(self, ticket_id: str) -> Call | None:
        """The ticket's first call that left a number: whom texts about it go to."""

    def count_since(self, caller_key: str, since: datetime) -> int:
        """How many calls the caller with this keyed hash made since `since`."""


class Photos(Protocol):
    def add(self, photo_id: str, photo: Processed, at: datetime) -> None: ...

    def content(self, photo_id: str, thumbnail: bool) -> tuple[str, bytes] | None:
        """(content type, bytes) of the photo or its thumbnail; None if there is none."""

    def holders(self, ids: list[str]) -> dict[str, str | None]:
        """Each known photo's ticket id (None while unattached); unknown ids left out."""

    def attach(self, ids: list[str], ticket_id: str, at: datetime) -> int:
        """Attaches those still unattached, atomically; returns how many it attached."""

    def purge_unattached(self, before: datetime, limit: int) -> int:
        """Deletes up to `limit` never-attached photos uploaded before `before`."""


class Callers(Protocol):
    """Callers' numbers as the privacy use cases need them, found by their keyed hash."""

    def ref(self, key: str | None) -> str | None:
        """The reference this number was given before, or a new one; None if anonymous."""

    def calls_of(self, key: str) -> list[dict[str, Any]]: ...

    def erase(self, key: str, ticket_ids: list[str]) -> None: ...

    def closed_with_numbers(self, cutoff: datetime, limit: int) -> list[str]: ...

    def forget_numbers(self, ticket_ids: list[str]) -> None: ...


class Audit(Protocol):
    def record(self, entry: AuditEntry) -> None: ...

    def page(
        self, actions: tuple[str, ...], before: int | None, limit: int
    ) -> list[dict[str, Any]]:
        """Newest first; `before` is the id of the last entry of the previous page."""


class Knowledge(Protocol):
    def seed(self, entries: list[Entry], at: datetime) -> bool: ...

    def save(self, entry: Entry, action: str, by: str, at: datetime, new: bool) -> None:
        """Writes the entry as its `version`, and that version whole."""

    def get(self, entry_id: str) -> tuple[Entry, bool] | None:
        """The entry and whether it is active."""

    def entry(self, entry_id: str, lock: bool = False) -> Entry | None: ...

    def every(self) -> list[Entry]: ...

    def versions(self, entry_id: str) -> list[dict[str, Any]]:
        """Oldest first: version, action, by, at, record."""


class Sms(Protocol):
    def enqueue(self, message: Outgoing, status: SmsStatus, at: datetime) -> str: ...

    def due(self, now: datetime, limit: int) -> list[str]: ...

    def claim(self, message_id: str, now: datetime) -> dict[str, Any] | None:
        """Takes the message for one attempt if it is still due; None if another took it."""

    def settle(
        self,
        message_id: str,
        status: SmsStatus,
        attempts: int,
        at: datetime,
        next_at: datetime | None = None,
        error: str | None = None,
        text: str | None = None,
    ) -> None: ...

    def recent(self, limit: int, status: str | None = None) -> list[dict[str, Any]]: ...


class Mail(Protocol):
    """The email inbox's records: the mailbox lease, messages read, the answers' outbox."""

    def lease(self, mailbox: str, holder: str, now: datetime, until: datetime) -> bool:
        """Takes or renews the mailbox for `holder` unless another holds an unexpired lease."""

    def release(self, mailbox: str, holder: str, now: datetime) -> None:
        """Gives the mailbox up, so another instance need not wait for the lease to run out."""

    def forget_senders(self, cutoff: datetime, limit: int) -> int:
        """Erases up to `limit` senders' addresses past retention; returns how many."""

    def known(self, place: Place) -> bool: ...

    def ticket_of(self, message_id: str) -> str | None:
        """The ticket an earlier message with this Message-ID became (or "" if none)."""

    def sender_ref(self, sender_key: str) -> str | None:
        """The caller reference this sender's earlier mail was given, if any."""

    def record(self, read: Read) -> str: ...

    def queue(self, reply: Reply, at: datetime) -> str: ...

    def due(self, now: datetime, limit: int) -> list[str]: ...

    def claim(
        self, reply_id: str, now: datetime, until: datetime, holder: str = ""
    ) -> dict[str, Any] | None:
        """Takes the answer for one attempt, left alone until `until`, if it is still due;
        None if another took it. `holder` names the instance that took it."""

    def messages_of_sender(self, sender_key: str) -> list[dict[str, Any]]:
        """Every message that still holds the address with this keyed hash, oldest first."""

    def erase_sender(self, mail_ids: list[str]) -> None:
        """Erases the sender's address in every form from these messages and their answers."""

    def unclaim(self, holder: str, now: datetime) -> int:
        """Makes the answers `holder` took and never settled due now (it died sending)."""

    def waiting(self) -> int:
        """Answers not yet sent nor given up."""

    def settle(
        self,
        reply_id: str,
        status: ReplyStatus,
        attempts: int,
        at: datetime,
        next_at: datetime | None = None,
        error: str | None = None,
    ) -> None: ...


class CatalogueStore(Protocol):
    def version(self) -> int: ...

    def load(self) -> Catalogue: ...

    def seed(self, seeded: list[Category], at: datetime) -> bool: ...

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
        """Refuses (409) when another admin's change took this version number first."""

    def insert(self, category: Category) -> None: ...

    def update(self, category: Category) -> None: ...

    def changes(self, limit: int) -> list[dict[str, Any]]: ...

    def record_revisions(self, number: int, pairs: tuple[Pair, ...]) -> None:
        """What the version did to each category it touched (its tree at any version)."""

    def revisions_after(self, number: int) -> list[Revision]: ...

    def versions(self, limit: int) -> list[dict[str, Any]]: ...


class Open311(Protocol):
    """City apps and their keys (hashed), and the public list of requests."""

    def add_client(self, app: ClientApp, key_hash: str) -> None: ...

    def client_named(self, name: str) -> ClientApp | None: ...

    def client_by_key(self, key_hash: str) -> ClientApp | None:
        """The active app holding the key; None if unknown or revoked."""

    def clients(self) -> list[ClientApp]: ...

    def revoke(self, client_id: str, by: str, at: datetime) -> bool:
        """True if the app was active and is now revoked."""

    def locate(self, ticket_id: str, spot: Spot) -> None: ...

    def note(self, ticket_id: str, status_notes: str) -> None: ...

    def find(self, query: RequestQuery) -> list[dict[str, Any]]:
        """Tickets as public rows, newest first."""


class Portal(Protocol):
    """The citizen portal's records: one-time codes, tracking revocations, the citizen's
    timeline, text opt-outs and hidden numbers."""

    def add_code(self, code: Code) -> None: ...

    def code(self, code_id: str) -> Code | None: ...

    def by_proof(self, proof_hash: str) -> Code | None: ...

    def codes_since(self, column: str, key: str, since: datetime) -> int:
        """Codes asked for by a number (`phone_key`) or a client (`client_key`)."""

    def reports_since(self, column: str, key: str, since: datetime) -> int: ...

    def take_attempt(self, code_id: str, now: datetime) -> bool:
        """Counts an attempt atomically; False if the code may take none."""

    def verify(self, code_id: str, at: datetime, proof_hash: str | None) -> None: ...

    def use_proof(self, code_id: str, at: datetime | None) -> bool:
        """Takes the proof (False if taken already); `at` None gives it back."""

    def ticket_by_number(self, number: str) -> str | None: ...

    def purge(self, before: datetime, limit: int) -> int:
        """Forgets old codes and the encrypted numbers their texts went to."""

    def revoked_at(self, ticket_id: str) -> datetime | None: ...

    def revoke(self, ticket_id: str, at: datetime) -> None: ...

    def add_entry(self, event_id: str, ticket_id: str, entry: CitizenEntry) -> None: ...

    def entries(self, ticket_id: str) -> list[CitizenEntry]: ...

    def opted_out(self, caller_key: str | None) -> bool: ...

    def set_texts(self, caller_key: str, receive: bool, at: datetime) -> None: ...

    def hide_number(self, ticket_id: str, at: datetime) -> None: ...

    def number_hidden(self, ticket_id: str) -> bool: ...


class CatalogueCache:
    """The latest catalogue, kept per process and reloaded only when the stored version is
    newer, so every instance sees an admin's change on its next request."""

    def __init__(self) -> None:
        self._current: Catalogue | None = None
        self._lock = threading.Lock()

    def get(self, store: CatalogueStore) -> Catalogue:
        stored = store.version()
        with self._lock:
            if self._current is None or self._current.version != stored:
                self._current = store.load()
            return self._current


class Suggesters(Protocol):
    """The suggester's model versions and the labelled tickets it learns from
    (services/intake/adapters/suggester_store.py)."""

    def serving(self) -> int | None: ...

    def model_bytes(self, version: int) -> bytes | None: ...

    def get(self, version: int) -> dict[str, Any] | None: ...

    def listed(self) -> list[dict[str, Any]]:
        """Every version without its model, newest first."""

    def add(self, values: dict[str, Any]) -> int:
        """Stores the next version and returns its number."""

    def serve(self, version: int) -> None: ...

    def labelled(self) -> list[Labelled]: ...

    def latest_created_at(self) -> datetime | None: ...

    def tickets_since(self, at: datetime | None) -> int: ...


class UnitOfWork(Transaction, Protocol):
    @property
    def tickets(self) -> Tickets: ...

    @property
    def calls(self) -> Calls: ...

    @property
    def callers(self) -> Callers: ...

    @property
    def photos(self) -> Photos: ...

    @property
    def audit(self) -> Audit: ...

    @property
    def knowledge(self) -> Knowledge: ...

    @property
    def sms(self) -> Sms: ...

    @property
    def catalogue(self) -> CatalogueStore: ...

    @property
    def suggesters(self) -> Suggesters: ...

    @property
    def portal(self) -> Portal: ...

    @property
    def open311(self) -> Open311: ...

    @property
    def mail(self) -> Mail: ...
