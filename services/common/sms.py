"""The port texts leave through, and its two adapters: the local outbox (embedded profile:
the message stays in the sending service's own table, shown on its page) and an HTTP
gateway. Intake texts citizens through it, dispatch texts departments' duty contacts."""

from __future__ import annotations

from typing import Protocol

import httpx


class GatewayError(Exception):
    """The gateway did not take the text. `permanent`: trying again cannot help."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class SmsGateway(Protocol):
    def send(self, message_id: str, phone: str, text: str) -> None:
        """Hands the text over or raises GatewayError; `message_id` lets the gateway drop a
        repeat of a message whose first answer was lost."""


class LocalOutbox:
    """Nothing leaves the machine: the outbox table is the delivery, read on /sms."""

    def send(self, message_id: str, phone: str, text: str) -> None:
        return None


class HttpGateway:
    """POSTs {"id", "to", "text"} as JSON; 2xx is delivered, 429/5xx/no answer is tried
    again later, any other 4xx is a permanent refusal."""

    def __init__(self, url: str, token: str = "", timeout: float = 5.0):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url
        self._client = httpx.Client(timeout=timeout, headers=headers)

    def send(self, message_id: str, phone: str, text: str) -> None:
        try:
            response = self._client.post(
                self.url, json={"id": message_id, "to": phone, "text": text}
            )
        except httpx.HTTPError as exc:
            raise GatewayError(f"gateway unreachable: {type(exc).__name__}") from None
        if response.is_success:
            return
        permanent = response.status_code < 500 and response.status_code != 429
        raise GatewayError(f"gateway answered {response.status_code}", permanent=permanent)

    def close(self) -> None:
        self._client.close()
