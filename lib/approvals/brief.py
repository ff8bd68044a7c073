"""What an approver reads before deciding: the customer's message, the agent's drafted reply, the purchase.

`store-action` writes these into the action's `action.proposed` audit entry (the
record of what the agent proposed and on what grounds), so the page shows exactly
what the agent saw and wrote, even after the conversation moved on.
"""

from __future__ import annotations

from typing import Any

# ISO 4217 currencies Stripe treats as zero-decimal (amounts are whole units), per Stripe's docs on currencies.
ZERO_DECIMAL = frozenset({"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"})


def approval_brief(action_id: str) -> dict[str, Any]:
    from lib import audit

    proposed = next((e for e in audit.entries(action_id=action_id) if e["kind"] == "action.proposed"), None)
    details = proposed["details"] if proposed else {}
    purchase = details.get("purchase") if isinstance(details.get("purchase"), dict) else None
    return {
        "customer_message": details.get("customer_message"),
        "draft_response": details.get("draft_response"),
        "purchase": purchase,
        "amount": money(purchase.get("amount"), purchase.get("currency")) if purchase else None,
        "purchased_on": str(purchase.get("purchased_at") or "")[:10] or None if purchase else None,
    }


def money(amount: Any, currency: Any) -> str | None:
    """`4900, "usd"` -> `49.00 USD` (minor units, as Stripe and the integration contract count)."""
    if not isinstance(amount, int) or isinstance(amount, bool) or not isinstance(currency, str) or not currency:
        return None
    if currency.lower() in ZERO_DECIMAL:
        return f"{amount} {currency.upper()}"
    return f"{amount / 100:.2f} {currency.upper()}"
