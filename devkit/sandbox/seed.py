"""The sandbox's seeded world: who the customers are and what they bought, shared by the product app and Stripe."""

from __future__ import annotations

from typing import Any

CUSTOMER = "casey@example.com"

# (email, name, purchases). Purchase ids are Stripe payment intents, so a refund reaches the sandbox Stripe.
CUSTOMERS: tuple[tuple[str, str, list[dict[str, Any]]], ...] = (
    (CUSTOMER, "Casey Customer", [
        {"id": "pi_sandbox_1001", "product": "Acme Pro", "amount": 4900, "currency": "usd", "days_ago": 3},
        {"id": "pi_sandbox_1002", "product": "Acme Team", "amount": 19900, "currency": "usd", "days_ago": 40},
    ]),
    ("robin@example.com", "Robin Reader", [
        {"id": "pi_sandbox_2001", "product": "Acme Pro", "amount": 4900, "currency": "eur", "days_ago": 10},
    ]),
)

PAYMENTS: tuple[tuple[str, int, str], ...] = tuple(
    (str(p["id"]), int(p["amount"]), str(p["currency"])) for _, _, purchases in CUSTOMERS for p in purchases
)
