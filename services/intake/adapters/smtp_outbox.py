"""Answers to citizens' mail leave through SMTP (stdlib smtplib). A refused recipient or
message (5xx) is permanent; no answer, a 4xx or a broken connection is tried again later."""

from __future__ import annotations

import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Literal


class SendError(Exception):
    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class SmtpOutbox:
    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        user: str = "",
        password: str = "",
        tls: Literal["tls", "starttls", "none"] = "tls",
        timeout: float = 30.0,
    ):
        self.host, self.port, self.sender, self.tls, self.timeout = host, port, sender, tls, timeout
        self._login = (user, password)

    def send(
        self, reply_id: str, to: str, subject: str, text: str, in_reply_to: str | None
    ) -> None:
        """Sends one answer; its Message-ID derives from `reply_id`, so a repeat after a lost
        answer from the server is recognisable as the same message."""
        message = compose(reply_id, self.sender, to, subject, text, in_reply_to)
        try:
            with self._connect() as smtp:
                if self._login[0]:
                    smtp.login(*self._login)
                smtp.send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
            raise SendError(f"SMTP refused: {type(exc).__name__}", permanent=True) from None
        except smtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.smtp_code < 600 and exc.smtp_code != 535
            raise SendError(f"SMTP answered {exc.smtp_code}", permanent=permanent) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise SendError(f"SMTP {self.host}:{self.port}: {type(exc).__name__}") from None

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.tls == "tls":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.tls == "starttls":
            smtp.starttls(context=context)
        return smtp


def compose(
    reply_id: str, sender: str, to: str, subject: str, text: str, in_reply_to: str | None
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    domain = sender.rpartition("@")[2] or "hotline.invalid"
    message["Message-ID"] = f"<reply.{reply_id}@{domain}>"
    # RFC 3834: an auto-responder must not answer this, so two robots cannot loop.
    message["Auto-Submitted"] = "auto-replied"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message.set_content(text, charset="utf-8")
    return message
