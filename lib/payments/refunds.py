"""Refund a purchase through Stripe, exactly once per action.

The `Idempotency-Key` is derived from the action id, not drawn at random, so
every retry (the SDK's own network retries, a retried Inngest step, a step
re-run after the process died between Stripe's answer and our database write)
asks Stripe for the same refund and gets the first one back. The refund also
carries the action id in its metadata for anyone reconciling in Stripe.

Errors are sorted once, here: Stripe refusing the request itself (card errors,
invalid requests such as "already refunded", bad credentials, a reused key with
other parameters) will fail the same way again, so it raises `RefundRefused`;
network errors, rate limits and Stripe's 5xx propagate so the step retries.
"""

from __future__ import annotations

from typing import Any

from lib.payments.client import get_stripe

STRIPE_REASON = "requested_by_customer"  # Stripe accepts only duplicate | fraudulent | requested_by_customer


class RefundRefused(Exception):
    """Stripe refused the refund for a reason a retry cannot fix; `.code` is Stripe's error code if any."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


def idempotency_key(action_id: str) -> str:
    return f"support-refund-{action_id}"


def payment_target(purchase_id: str, parameters: dict[str, Any] | None = None) -> dict[str, str]:
    """What Stripe refunds: an explicit payment intent or charge, else the purchase id when it is one."""
    parameters = parameters or {}
    if parameters.get("paymentIntentId"):
        return {"payment_intent": str(parameters["paymentIntentId"])}
    if parameters.get("chargeId"):
        return {"charge": str(parameters["chargeId"])}
    if purchase_id.startswith("pi_"):
        return {"payment_intent": purchase_id}
    if purchase_id.startswith(("ch_", "py_")):
        return {"charge": purchase_id}
    raise RefundRefused(
        f"purchase {purchase_id!r} names no Stripe payment: expected a pi_/ch_ id, or paymentIntentId/chargeId in the action's parameters",
        code="no_stripe_payment",
    )


def create_refund(
    *,
    action_id: str,
    purchase_id: str,
    amount: int | None = None,
    reason: str | None = None,
    stripe_account: str | None = None,
    parameters: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Create (or, on a retry, fetch back) the action's refund; the refund as plain JSON."""
    import stripe

    params: dict[str, Any] = {
        **payment_target(purchase_id, parameters),
        "reason": STRIPE_REASON,
        "metadata": {"action_id": action_id, "purchase_id": purchase_id, "customer_reason": (reason or "")[:500]},
    }
    if amount is not None:
        params["amount"] = int(amount)
    options: dict[str, Any] = {"idempotency_key": idempotency_key(action_id)}
    if stripe_account:
        options["stripe_account"] = stripe_account
    try:
        refund = get_stripe().v1.refunds.create(params=params, options=options)  # type: ignore[arg-type]
    except (stripe.CardError, stripe.InvalidRequestError, stripe.IdempotencyError,
            stripe.AuthenticationError, stripe.PermissionError) as exc:
        raise RefundRefused(f"Stripe refused the refund: {exc.user_message or exc}", code=exc.code) from exc
    data = refund.to_dict()
    return {
        "id": data["id"],
        "status": data.get("status"),
        "amount": data.get("amount"),
        "currency": data.get("currency"),
        "paymentIntent": _id_of(data.get("payment_intent")),
        "charge": _id_of(data.get("charge")),
    }


def _id_of(value: Any) -> str | None:
    """An expandable field: an id string, or the expanded object (a dict) with its `id`."""
    if isinstance(value, dict):
        return value.get("id")
    return value
