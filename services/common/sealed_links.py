"""Rating links travel from feedback to intake (which alone can text them) sealed: Fernet
under keys only those two services hold, so the bus, outboxes and dead-letter topics carry
ciphertext, never a usable link."""

from __future__ import annotations

from cryptography.fernet import Fernet, MultiFernet


class LinkSeal:
    def __init__(self, keys: str):
        """`keys`: comma-separated Fernet keys; the first seals, every one opens, so a new
        key is rolled in by putting it first on both services and the old one second."""
        fernets = [Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()]
        if not fernets:
            raise ValueError("at least one link key is needed")
        self._fernet = MultiFernet(fernets)

    def seal(self, link: str) -> str:
        return self._fernet.encrypt(link.encode()).decode()

    def open(self, sealed: str) -> str:
        """Raises cryptography's InvalidToken for anything not sealed under our keys."""
        return self._fernet.decrypt(sealed.encode()).decode()
