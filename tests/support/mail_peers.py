"""Real mail peers for the email inbox's tests: Dovecot (Debian dovecot-imapd) as the IMAP
server, with a throwaway configuration, one passwd-file user and Maildir storage in a
temporary folder, and an SMTP server (aiosmtpd) in this process that keeps what it receives."""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from email import message_from_bytes
from email.message import Message
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.peers import Peer, free_port, wait_for_port

DOVECOT = "/usr/sbin/dovecot"
USER, PASSWORD = "citizens", "mailpass-for-tests"

CONFIG = """\
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{d}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={d}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""
# Not root: dovecot's own processes run as this user too (it cannot switch to others).
AS_USER = """\
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
"""


def start_dovecot() -> Peer:
    """Dovecot on a free loopback port; mail belongs to the `mail` user when run as root
    (dovecot refuses root for mail), else to the current user."""
    folder = Path(tempfile.mkdtemp(prefix="hotline-dovecot-"))
    folder.chmod(0o755)  # dovecot's auth process runs as its own user
    user = "mail" if os.getuid() == 0 else pwd.getpwuid(os.getuid()).pw_name
    (folder / "mail").mkdir()
    (folder / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = free_port()
    group = "mail" if os.getuid() == 0 else grp.getgrgid(os.getgid()).gr_name
    config = CONFIG.format(d=folder, user=user, group=group, port=port)
    if os.getuid() != 0:
        config += AS_USER.format(user=user, group=group)
    (folder / "dovecot.conf").write_text(config)
    if os.getuid() == 0:
        shutil.chown(folder / "mail", user, user)
    proc = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(folder / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)

    def stop() -> None:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(folder, ignore_errors=True)

    return Peer(f"imap://127.0.0.1:{port}", port, stop)


def deliver(port: int, raw: bytes, mailbox: str = "INBOX") -> None:
    """Puts a message into the mailbox as a delivery would: unread (IMAP APPEND)."""
    conn = imaplib.IMAP4("127.0.0.1", port)
    try:
        conn.login(USER, PASSWORD)
        status, _ = conn.append(mailbox, "", imaplib.Time2Internaldate(time.time()), raw)
        assert status == "OK"
    finally:
        conn.logout()


def flags(port: int, mailbox: str = "INBOX") -> list[bool]:
    """Whether each message in the mailbox is marked \\Seen, in UID order."""
    conn = imaplib.IMAP4("127.0.0.1", port)
    try:
        conn.login(USER, PASSWORD)
        conn.select(mailbox, readonly=True)
        _, data = conn.uid("FETCH", "1:*", "(FLAGS)")
    finally:
        conn.logout()
    return [b"\\Seen" in item for item in data if isinstance(item, bytes)]


class Sink:
    """Keeps every message it is sent; `down()` stops answering, `up()` listens again on the
    same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[Message] = []
        self._controller: Controller | None = None
        self.up()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.received.append(message_from_bytes(envelope.content))
        return "250 OK"

    def up(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def down(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def texts(self) -> list[str]:
        return [m.get_payload(decode=True).decode() for m in self.received]  # type: ignore[union-attr]
