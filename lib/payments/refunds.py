"""Refund a purchase through Stripe, exactly once per action.

The `Idempotency-Key` is derived from the action id and an attempt number, not drawn
at random, so every retry of one attempt (the SDK's own network retries, a retried
Inngest step, a step re-run after the process died between Stripe's answer and our
database write) asks Stripe for the same refund and gets the first one back. The
refund carries the action id in its metadata, which is how `find_refund` recognises it.

Stripe saves the first answer for a key, a 500 included, and replays it for at least
24 h (docs.stripe.com/api/idempotent_requests): a key that got a 500 is spent. Such an
answer, and one that never arrived, raise `RefundUnsure`; the caller then reconciles
(`find_refund`) before anything else and moves to a new attempt only after a 5xx
(see `lib.workflows.actions.steps.stripe_refund`).

Errors are sorted once, here: Stripe refusing the request itself (card errors,
invalid requests such as "already refunded", bad credentials, a reused key with
other parameters) will fail the same way again, so it raises `RefundRefused`;
rate limits propagate as they are (nothing ran at Stripe; the step retries).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from lib.inngest.events import CAMEL_CASE
from lib.payments.client import get_stripe

STRIPE_REASON = "requested_by_customer"  # Stripe accepts only duplicate | fraudulent | requested_by_customer
LIST_PAGE = 100  # Stripe's largest page (`limit` 1..100)

# Refund statuses (stripe/_refund.py): these two still change; succeeded, failed and canceled are final.
WAITING = ("pending", "requires_action")
SUCCEEDED = "succeeded"


class Refund(BaseModel):
    """A Stripe refund as the workflows keep it: in step outputs and on the action's result, camelCase JSON."""

    model_config = CAMEL_CASE

    id: str
    status: str | None = None
    amount: int | None = None
    currency: str | None = None
    payment_intent: str | None = None
    charge: str | None = None
    failure_reason: str | None = None

    @classmethod
    def from_stripe(cls, data: dict[str, Any]) -> "Refund":
        """The fields of Stripe's refund object (`to_dict()`) we keep; expandable ones reduced to their ids."""
        return cls(
            id=data["id"],
            status=data.get("status"),
            amount=data.get("amount"),
            currency=data.get("currency"),
            payment_intent=_id_of(data.get("payment_intent")),
            charge=_id_of(data.get("charge")),
            failure_reason=data.get("failure_reason") or None,
        )

    def describe(self, *details: str) -> str:
        """`Stripe refund re_1 (4900 USD, <details>)`, for comments and errors."""
        return f"Stripe refund {self.id} ({', '.join([f'{self.amount} {(self.currency or '').upper()}', *details])})"


class StripeAttempt(BaseModel):
    """Which idempotency key is in use (`attempt`), and whether its answer was a 5xx or lost (`unsure`).

    Kept on the action's result while the refund is being made, so a retried step reconciles first.
    """

    attempt: int = 0
    unsure: Literal["5xx", "lost"] | None = None


class RefundRefused(Exception):
    """Stripe refused the refund for a reason a retry cannot fix; `.code` is Stripe's error code if any."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class RefundUnsure(Exception):
    """We cannot tell whether Stripe refunded: `kind` is "5xx" (the key is spent) or "lost" (no answer)."""

    def __init__(self, message: str, *, kind: Literal["5xx", "lost"]) -> None:
        super().__init__(message)
        self.kind = kind


def idempotency_key(action_id: str, attempt: int = 0) -> str:
    """Attempt 0 keeps the original key, so refunds in flight across a deploy still replay."""
    return f"support-refund-{action_id}" if attempt == 0 else f"support-refund-{action_id}-{attempt}"


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


def _options(stripe_account: str | None, **extra: Any) -> dict[str, Any]:
    return {**extra, **({"stripe_account": stripe_account} if stripe_account else {})}


def _refused(exc: Any) -> RefundRefused:
    return RefundRefused(f"Stripe refused the refund: {exc.user_message or exc}", code=exc.code)


def create_refund(
    *,
    action_id: str,
    purchase_id: str,
    amount: int | None = None,
    reason: str | None = None,
    stripe_account: str | None = None,
    parameters: dict[str, Any] | None = None,
    attempt: int = 0,
) -> Refund:
    """Create (or, on a retry of the same attempt, fetch back) the action's refund."""
    import stripe

    params: dict[str, Any] = {
        **payment_target(purchase_id, parameters),
        "reason": STRIPE_REASON,
        "metadata": {"action_id": action_id, "purchase_id": purchase_id, "customer_reason": (reason or "")[:500]},
    }
    if amount is not None:
        params["amount"] = int(amount)
    options = _options(stripe_account, idempotency_key=idempotency_key(action_id, attempt))
    try:
        refund = get_stripe().v1.refunds.create(params=params, options=options)  # type: ignore[arg-type]
    except (stripe.CardError, stripe.InvalidRequestError, stripe.IdempotencyError,
            stripe.AuthenticationError, stripe.PermissionError) as exc:
        raise _refused(exc) from exc
    except stripe.APIConnectionError as exc:
        raise RefundUnsure(f"Stripe's answer was lost: {exc}", kind="lost") from exc
    except stripe.APIError as exc:
        if (exc.http_status or 0) >= 500:
            raise RefundUnsure(f"Stripe answered {exc.http_status}: {exc.user_message or exc}", kind="5xx") from exc
        raise
    return Refund.from_stripe(refund.to_dict())


def find_refund(*, action_id: str, purchase_id: str, stripe_account: str | None = None,
                parameters: dict[str, Any] | None = None) -> Refund | None:
    """The refund already made for this action, if any: every refund of the payment, matched on metadata."""
    target = payment_target(purchase_id, parameters)
    page = get_stripe().v1.refunds.list(params={**target, "limit": LIST_PAGE}, options=_options(stripe_account))  # type: ignore[arg-type]
    for refund in page.auto_paging_iter():  # follows `has_more` with `starting_after`
        data = refund.to_dict()
        if (data.get("metadata") or {}).get("action_id") == action_id:
            return Refund.from_stripe(data)
    return None


def retrieve_refund(refund_id: str, *, stripe_account: str | None = None) -> Refund:
    """The refund as Stripe has it now (polling while it is pending)."""
    refund = get_stripe().v1.refunds.retrieve(refund_id, options=_options(stripe_account))  # type: ignore[arg-type]
    return Refund.from_stripe(refund.to_dict())


def _id_of(value: Any) -> str | None:
    """An expandable field: an id string, or the expanded object (a dict) with its `id`."""
    if isinstance(value, dict):
        return value.get("id")
    return value
