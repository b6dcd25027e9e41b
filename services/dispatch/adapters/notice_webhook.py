"""Notices to a department's own system: an HTTP POST of the notice as JSON."""

from __future__ import annotations

import httpx

from services.common.sms import GatewayError
from services.dispatch.domain.notice import Notice


class WebhookSender:
    """POSTs {id, department, assignment, ticket_number, kind, clock, due_at} to the notice's
    URL; 2xx is delivered, 429/5xx/no answer is tried again later, any other 4xx is a
    permanent refusal. The receiver drops a repeated `id`."""

    def __init__(self, timeout: float = 5.0):
        self._client = httpx.Client(timeout=timeout, follow_redirects=False)

    def send(self, notice: Notice) -> None:
        try:
            response = self._client.post(notice.recipient, json=notice.payload())
        except httpx.HTTPError as exc:
            raise GatewayError(f"webhook unreachable: {type(exc).__name__}") from None
        if response.is_success:
            return
        permanent = response.status_code < 500 and response.status_code != 429
        raise GatewayError(f"webhook answered {response.status_code}", permanent=permanent)

    def close(self) -> None:
        self._client.close()
