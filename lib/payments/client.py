"""The one `stripe.StripeClient`, made at first use.

`stripe` is imported here and nowhere at module level, so only the function
that actually refunds pays for the import. Retries on network errors, 409s and
5xx are the SDK's own (`max_network_retries`, which resends the same
`Idempotency-Key`); `STRIPE_API_BASE` points it at a fake in tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lib import config
from lib.lazy import lazy

if TYPE_CHECKING:
    import stripe

@lazy()
def get_stripe() -> "stripe.StripeClient":
    """The process-wide client."""
    return make_stripe()


def make_stripe() -> "stripe.StripeClient":
    import stripe

    api_key = config.require("STRIPE_SECRET_KEY", "refunds are made through Stripe")
    base = config.env("STRIPE_API_BASE")
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": base} if base else None,
        max_network_retries=config.env_int("STRIPE_MAX_NETWORK_RETRIES"),
    )


reset_stripe = get_stripe.reset  # tests change the settings between cases
