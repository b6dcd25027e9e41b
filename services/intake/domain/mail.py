"""Citizens' email as intake reads it: what a raw message says (sender, subject, text, images)
and what it is answered. Pure: no I/O. Reading never raises; whatever cannot be read is named
in `notes`, so one hostile message cannot stop the inbox."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from email import message_from_bytes
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses
from enum import StrEnum
from html.parser import HTMLParser

# The catalogue's "other problems" leaf and the review reason: a dispatcher reads every mail.
MAIL_CATEGORY = "990101"
MAIL_REVIEW = "email"
MAX_PHOTOS = 3
MAX_DESCRIPTION = 4000
MAX_MESSAGE_ID = 300
# GB2312 mail is routinely GBK or GB18030 in fact; GB18030 decodes all three.
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030"}
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


class MailState(StrEnum):
    ticket = "ticket"  # became a ticket
    automatic = "automatic"  # an auto-reply or a bounce: no ticket, never answered
    duplicate = "duplicate"  # its Message-ID was read before: no second ticket
    failed = "failed"  # could not be stored; recorded and skipped


class ReplyStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"


@dataclass(frozen=True)
class Place:
    """Where a message sits: its mailbox, that mailbox's UID validity, and its UID."""

    mailbox: str
    uidvalidity: int
    uid: int


@dataclass(frozen=True)
class Read:
    """What intake keeps of a message it read: never the address in clear."""

    place: Place
    message_id: str
    state: MailState
    at: datetime
    ticket_id: str | None = None
    sender_masked: str | None = None
    sender_key: str | None = None
    sender_cipher: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Reply:
    """An answer waiting in the mail outbox; its text is written when it is sent."""

    mail_id: str
    ticket_id: str
    ticket_number: str
    to_masked: str
    to_cipher: str
    subject: str
    in_reply_to: str | None


@dataclass(frozen=True)
class Image:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Letter:
    """A citizen's message as read: `message_id` is the header, or a digest of the message
    when it has none; `sender` a lower-cased address or None."""

    message_id: str
    sender: str | None
    subject: str
    body: str
    images: tuple[Image, ...] = ()
    notes: tuple[str, ...] = field(default=())
    # Sent by a machine (out-of-office, bounce, list): answering it could loop forever.
    automatic: bool = False

    @property
    def description(self) -> str:
        """The ticket's description: the subject, then the text, with the sender's own
        address masked wherever it is quoted (the description travels in events)."""
        text = "\n".join(part for part in (self.subject, self.body) if part)
        if self.sender:
            text = re.sub(re.escape(self.sender), mask_email(self.sender), text, flags=re.I)
        return (text or "（无主题、无正文的来信）")[:MAX_DESCRIPTION]


def read_letter(raw: bytes, headers_only: bool = False) -> Letter:
    """What `raw` says; with `headers_only` (a message too large to fetch whole) only its
    sender and subject."""
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    try:
        message = message_from_bytes(raw)
        letter = _letter(message, digest, headers_only)
    except Exception as exc:  # a parser bug met by hostile input must not stop the inbox
        return Letter(digest, None, "", "", notes=(f"unreadable message: {type(exc).__name__}",))
    return letter


def _letter(message: Message, digest: str, headers_only: bool) -> Letter:
    notes: list[str] = []
    sender = _sender(message.get_all("From") or [])
    if sender is None:
        notes.append("no usable sender address: not answered")
    subject = _tidy(" ".join(header_text(message.get("Subject", "")).split()))
    found = Letter(_message_id(message, digest), sender, subject, "", automatic=_automatic(message))
    if headers_only:
        notes.append("message too large: only its headers were read")
        return replace(found, notes=tuple(notes))
    body, images = _content(message, notes)
    return replace(found, body=body, images=images, notes=tuple(notes))


_MACHINES = ("mailer-daemon@", "postmaster@", "noreply@", "no-reply@")


def _automatic(message: Message) -> bool:
    """Auto-replies and bounces, as RFC 3834 and common practice mark them."""
    submitted = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    sender = str(message.get("From", "")).lower()
    return (
        submitted != "no"
        or precedence in {"bulk", "junk", "list", "auto_reply"}
        or any(h in message for h in ("X-Autoreply", "X-Autorespond", "List-Id"))
        or message.get_content_type() == "multipart/report"
        or str(message.get("Return-Path", "")).strip() == "<>"
        or any(m in sender for m in _MACHINES)
    )


def header_text(value: object) -> str:
    """A header's text with its encoded words (RFC 2047) decoded, whatever the charset."""
    parts = []
    try:
        chunks = decode_header(str(value))
    except Exception:
        return str(value)
    for chunk, charset in chunks:
        parts.append(decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk)
    return _CONTROL.sub("", "".join(parts).replace("\r", " ").replace("\n", " "))


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text in the declared charset, else UTF-8, else GB18030; never raises."""
    names = [_CHARSET_ALIASES.get((charset or "").lower(), charset or ""), "utf-8", "gb18030"]
    for name in filter(None, names):
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


def _sender(values: list[str]) -> str | None:
    decoded = [header_text(v) for v in values]
    for _, address in getaddresses(decoded):
        address = address.strip().lower()
        if _ADDRESS.match(address) and len(address) <= 254:
            return address
    return None


def _message_id(message: Message, digest: str) -> str:
    found = " ".join(str(message.get("Message-ID", "")).split())
    usable = 2 < len(found) <= MAX_MESSAGE_ID and not _CONTROL.search(found)
    if found.startswith("<") and found.endswith(">") and usable:
        return found
    return digest


def _content(message: Message, notes: list[str]) -> tuple[str, tuple[Image, ...]]:
    plain: list[str] = []
    html: list[str] = []
    images: list[Image] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        _sort(part, plain, html, images, notes)
    if len(images) > MAX_PHOTOS:
        notes.append(f"{len(images) - MAX_PHOTOS} image(s) beyond {MAX_PHOTOS} skipped")
    body = "\n".join(plain) or "\n".join(html_to_text(h) for h in html)
    return _tidy(body), tuple(images[:MAX_PHOTOS])


def _sort(
    part: Message, plain: list[str], html: list[str], images: list[Image], notes: list[str]
) -> None:
    kind = part.get_content_type()
    name = header_text(part.get_filename() or "")
    attached = part.get_content_disposition() == "attachment"
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    if part.get_content_maintype() == "image":
        images.append(Image(name, kind, data))
    elif kind == "text/plain" and not attached:
        plain.append(decode_bytes(data, part.get_content_charset()))
    elif kind == "text/html" and not attached:
        html.append(decode_bytes(data, part.get_content_charset()))
    else:
        notes.append(f"attachment skipped: {name or '(unnamed)'} ({kind})")


# Control characters: PostgreSQL refuses NUL in text, and none belongs in a description.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _tidy(text: str) -> str:
    text = _CONTROL.sub("", text.replace("\r\n", "\n"))
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class _TextOf(HTMLParser):
    """Keeps the text a reader sees: no tags, no scripts or styles, entities decoded."""

    BLOCKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})
    HIDDEN = frozenset({"script", "style", "head", "title", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    reader = _TextOf()
    reader.feed(html)
    reader.close()
    return _tidy("".join(reader.parts))


def mask_email(address: str) -> str:
    """z***@example.com: enough for the citizen to recognise, little for anyone else."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"[:120]


def reply_subject(number: str) -> str:
    return f"【12345】来信已受理，工单号 {number} / Your message is ticket {number}"


def reply_text(number: str, link: str) -> str:
    """The answer to a citizen's mail, Chinese first, then English."""
    return (
        f"您好！您的来信已收到，并已登记为工单，工单号：{number}。\n"
        f"工作人员将尽快处理。您可以通过以下链接查询办理进度：\n{link}\n\n"
        "【12345市民服务热线】本邮件由系统自动发送，请勿直接回复。\n\n"
        f"Hello, we have received your message and registered it as ticket {number}.\n"
        f"Follow its progress here:\n{link}\n\n"
        "12345 Citizen Service Hotline. This message was sent automatically; "
        "please do not reply to it.\n"
    )
