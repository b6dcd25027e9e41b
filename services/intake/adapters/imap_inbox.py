"""The citizens' mailbox over IMAP (stdlib imaplib). Reads without marking (BODY.PEEK), so a
message is marked \\Seen only once intake has stored it; any failure closes the connection and
raises InboxError, and the next attempt connects afresh."""

from __future__ import annotations

import imaplib
import re
import ssl
from collections.abc import Callable
from typing import Literal, TypeVar

T = TypeVar("T")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class InboxError(Exception):
    """The mailbox could not be read now (server down, refused login, broken answer)."""


class ImapInbox:
    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        password: str,
        mailbox: str = "INBOX",
        tls: Literal["tls", "starttls", "none"] = "tls",
        timeout: float = 30.0,
    ):
        self.host, self.port, self.tls, self.timeout = host, port, tls, timeout
        self.mailbox = mailbox
        self._login = (user, password)
        self._conn: imaplib.IMAP4 | None = None

    def open(self) -> int:
        """Selects the mailbox (connecting first if need be); returns its UID validity."""
        return self._guard(self._select)

    def unseen(self) -> list[int]:
        """UIDs of the messages not yet marked \\Seen, oldest first."""
        return self._guard(
            lambda c: sorted(int(u) for u in _ok(c.uid("SEARCH", "UNSEEN"))[0].split())
        )

    def size(self, uid: int) -> int | None:
        """The message's size in bytes; None if it is gone."""
        return self._guard(lambda c: _size(_ok(c.uid("FETCH", str(uid), "(RFC822.SIZE)"))))

    def fetch(self, uid: int, headers_only: bool = False) -> bytes | None:
        """The raw message (or its headers), leaving it unread; None if it is gone."""
        item = "BODY.PEEK[HEADER]" if headers_only else "BODY.PEEK[]"
        return self._guard(lambda c: _body(_ok(c.uid("FETCH", str(uid), f"({item})"))))

    def mark_seen(self, uid: int) -> None:
        self._guard(lambda c: _ok(c.uid("STORE", str(uid), "+FLAGS.SILENT", "(\\Seen)")))

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.logout()
            except Exception:  # closing a broken connection: nothing to save
                conn.shutdown()

    def _guard(self, action: Callable[[imaplib.IMAP4], T]) -> T:
        try:
            return action(self._connection())
        except (imaplib.IMAP4.error, OSError, EOFError, ValueError) as exc:
            self.close()
            raise InboxError(f"IMAP {self.host}:{self.port}: {type(exc).__name__}: {exc}") from None

    def _connection(self) -> imaplib.IMAP4:
        if self._conn is None:
            if self.tls == "tls":
                conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    self.host,
                    self.port,
                    ssl_context=ssl.create_default_context(),
                    timeout=self.timeout,
                )
            else:
                conn = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
                if self.tls == "starttls":
                    conn.starttls(ssl.create_default_context())
            self._conn = conn
            conn.login(*self._login)
        return self._conn

    def _select(self, conn: imaplib.IMAP4) -> int:
        _ok(conn.select(_quoted(self.mailbox)))
        _, found = conn.response("UIDVALIDITY")
        if not found or found[0] is None:
            raise ValueError("the server named no UIDVALIDITY")
        return int(found[0])


def _ok(answer: tuple[str, list]) -> list:
    status, data = answer
    if status != "OK":
        raise imaplib.IMAP4.error(f"{status}: {data!r}"[:200])
    return data


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _size(data: list) -> int | None:
    for item in data:
        head = item[0] if isinstance(item, tuple) else item
        if isinstance(head, bytes) and (found := _SIZE.search(head)):
            return int(found.group(1))
    return None


def _body(data: list) -> bytes | None:
    for item in data:
        if isinstance(item, tuple) and len(item) > 1 and isinstance(item[1], bytes):
            return item[1]
    return None
