"""The one `stripe.StripeClient`, made at first use.

`stripe` is imported here and nowhere at module level, so only the function
that actually refunds pays for the import. Retries on network errors, 409s and
5xx are the SDK's own (`max_network_retries`, which resends the same
`Idempotency-Key`); `STRIPE_API_BASE` points it at a fake in tests.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from lib import config

if TYPE_CHECKING:
    import stripe

_lock = threading.Lock()
_client: "stripe.StripeClient | None" = None


def get_stripe() -> "stripe.StripeClient":
    global _client
    with _lock:
        if _client is None:
            _client = make_stripe()
        return _client


def make_stripe() -> "stripe.StripeClient":
    import stripe

    api_key = config.require("STRIPE_SECRET_KEY", "refunds are made through Stripe")
    base = config.env("STRIPE_API_BASE")
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": base} if base else None,
        max_network_retries=config.env_int("STRIPE_MAX_NETWORK_RETRIES", 2),
    )


def reset_stripe() -> None:
    """Forget the client (tests change the settings between cases)."""
    global _client
    with _lock:
        _client = None
