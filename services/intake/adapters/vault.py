"""Callers' numbers at rest: Fernet (AES-128-CBC + HMAC-SHA256) under keys from settings,
with a keyed HMAC for "same caller" lookups that never needs decryption."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from services.intake.domain.model import Caller, caller_key, mask_phone


class VaultError(RuntimeError):
    """A stored number could not be decrypted with any configured key."""


class PhoneVault:
    def __init__(self, keys: str, hmac_secret: str):
        """`keys`: comma-separated Fernet keys; the first encrypts, every one decrypts, so a
        new key is rolled in by putting it first and the old one second."""
        fernets = [Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()]
        if not fernets:
            raise ValueError("at least one phone key is needed")
        self._fernet = MultiFernet(fernets)
        self._secret = hmac_secret

    def seal(self, phone: str | None) -> Caller:
        """What is stored about a (normalised) number; an anonymous Caller for None."""
        if phone is None:
            return Caller()
        cipher = self._fernet.encrypt(phone.encode()).decode()
        return Caller(mask_phone(phone), self.key_of(phone), cipher)

    def key_of(self, phone: str) -> str:
        """The keyed hash of a (normalised) number: finds a caller's calls, never leaves intake."""
        return caller_key(phone, self._secret)

    def open(self, cipher: str) -> str:
        try:
            return self._fernet.decrypt(cipher.encode()).decode()
        except InvalidToken as exc:
            raise VaultError("the number cannot be decrypted with the configured keys") from exc

    def rotate(self, cipher: str) -> str:
        """The same number re-encrypted under the first key."""
        return self._fernet.rotate(cipher.encode()).decode()
