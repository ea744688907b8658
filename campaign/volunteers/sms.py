"""Sending one-time codes by SMS behind one small interface.

The embedded default (`SMS_BACKEND` unset or "log") writes the message to the log, and in demo
mode the page shows the code too. `SMS_BACKEND=http` posts JSON {"phone", "text"} to `SMS_URL`
(with `Authorization: Bearer $SMS_TOKEN` when set): the shape of most SMS gateways' HTTP APIs, or a
small adapter in front of one. The code itself never reaches the database; only its hash does.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Protocol

import anyio

from campaign.settings import get_settings

log = logging.getLogger("campaign.sms")


class SmsSender(Protocol):
    name: str

    async def send(self, phone: str, text: str) -> None: ...


class LogSender:
    """Writes messages to the log (development, demo)."""

    name = "log"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))
        del self.sent[:-100]
        log.info("SMS to %s: %s", phone[:3] + "****" + phone[-4:], text)


class HttpSender:
    """Posts the message to an SMS gateway."""

    name = "http"

    def __init__(self, url: str, token: str | None) -> None:
        self.url = url
        self.token = token

    def _post(self, phone: str, text: str) -> None:
        request = urllib.request.Request(
            self.url,
            data=json.dumps({"phone": phone, "text": text}).encode(),
            headers={
                "Content-Type": "application/json",
                **({"Authorization": f"Bearer {self.token}"} if self.token else {}),
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    async def send(self, phone: str, text: str) -> None:
        await anyio.to_thread.run_sync(self._post, phone, text)


_sender: SmsSender | None = None


def sender() -> SmsSender:
    """The configured sender (built once per process)."""
    global _sender
    if _sender is None:
        settings = get_settings()
        if settings.sms_backend == "http" and settings.sms_url:
            _sender = HttpSender(settings.sms_url, settings.sms_token)
        else:
            _sender = LogSender()
    return _sender
