"""Builders for agent contexts shaped like the `gather-context` step's output."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def purchase(pid: str = "pur_1", *, product: str = "Pro Plan", amount: int = 4900, days_ago: float = 3, currency: str = "usd") -> dict[str, Any]:
    return {
        "id": pid,
        "product": product,
        "amount": amount,
        "currency": currency,
        "purchased_at": (NOW - timedelta(days=days_ago)).isoformat().replace("+00:00", "Z"),
    }


def context(
    body: str,
    *,
    subject: str = "Help",
    purchases: list[dict[str, Any]] | None = None,
    policy: dict[str, Any] | None = None,
    email: str = "casey@example.com",
    customer: bool = True,
    slug: str = "acme",
) -> dict[str, Any]:
    return {
        "conversation_id": "cnv_1",
        "app": {
            "id": 1,
            "slug": slug,
            "name": "Acme",
            "front_inbox_id": "inb_1",
            "integration_url": None,
            "stripe_account": None,
            "auto_send": False,
            "auto_send_delay_seconds": 300,
            "approval_policy": policy or {},
        },
        "customer": (
            {
                "user": {"id": "usr_1", "email": email, "name": "Casey Customer"},
                "purchases": [purchase()] if purchases is None else purchases,
                "source": "integration",
            }
            if customer
            else None
        ),
        "messages": [{"id": "msg_1", "author": email, "is_inbound": True, "text": body, "created_at": 1_700_000_000}],
        "latest_message": {"id": "msg_1", "subject": subject, "body": body, "sender_email": email, "sender_name": "Casey Customer"},
        "fallbacks": [],
    }
