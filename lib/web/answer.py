"""What an endpoint answers, and the one shape of its errors: `{"error": message, ...}`.

Flask-free, so the webhook logic (`lib.front.ingest`, `lib.payments.webhooks`) builds
answers without a request context and the tests read them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def error_body(message: str, **extra: Any) -> dict[str, Any]:
    """Every refusal's JSON body."""
    return {"error": message, **extra}


@dataclass(frozen=True)
class WebhookAnswer:
    """A webhook's HTTP answer: its status and JSON body."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def error(cls, status: int, message: str, **extra: Any) -> "WebhookAnswer":
        return cls(status, error_body(message, **extra))
