"""Stripe's webhook (`/api/stripe`): a signed refund update becomes `stripe/refund.updated` for the waiting refund run.

Stripe retries a delivery until it gets a 2xx (for up to three days), so the answer
tells the truth: 2xx once the event is handed to Inngest, or for an event that is not
ours to act on (another type, a refund no action of ours made); 400 for a body or
signature that will never be good (Stripe's own examples answer a failed
`construct_event` with 400); 503/502 when nothing was handed over and a retry may
work (no secret configured, Inngest down); never 500. The Inngest event id is
`stripe-{event id}`, so Stripe's redeliveries of one event count once.

The signature is checked by the stripe SDK's own `WebhookSignature.verify_header`
(HMAC-SHA256 over "{t}.{body}", 300 s tolerance); `stripe` and the Inngest SDK are
imported on the first request, not when the function loads.
"""

from __future__ import annotations

import logging
from typing import Any, Literal, Mapping

from pydantic import BaseModel, Field

from lib import config
from lib.web.parsing import BadInput, header, loads_object, validate
from lib.web.answer import WebhookAnswer

logger = logging.getLogger("support.stripe.webhook")

# Stripe's event types that carry a refund as `data.object` (Stripe's event type list).
REFUND_EVENTS = {"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"}
TOLERANCE_SECONDS = 300


def handle(body: bytes, headers: Mapping[str, str]) -> WebhookAnswer:
    """Answer one delivery; never raises."""
    try:
        return _handle(body, headers)
    except Exception as exc:  # noqa: BLE001 - a bug here must not answer 500 with a traceback; Stripe retries a 503
        logger.exception("stripe webhook: unexpected %s", type(exc).__name__)
        return WebhookAnswer.error(503, "could not process the event; retry later")


class _Refund(BaseModel):
    """The fields of Stripe's refund object we read; wrong types are a 400, not a crash."""

    object: Literal["refund"]
    id: str = Field(min_length=1, max_length=255)
    status: str | None = Field(default=None, max_length=64)
    failure_reason: str | None = Field(default=None, max_length=255)
    amount: int | None = None
    currency: str | None = Field(default=None, max_length=16)
    metadata: dict[str, Any] | None = None


class _Event(BaseModel):
    """A Stripe `event` object: its id and type, and for refund events the refund."""

    id: str = Field(min_length=1, max_length=255)
    type: str = Field(min_length=1, max_length=255)
    data: dict[str, Any] | None = None


def _handle(body: bytes, headers: Mapping[str, str]) -> WebhookAnswer:
    try:
        signature = header(headers, "Stripe-Signature")
    except BadInput as exc:
        return WebhookAnswer.error(exc.status, exc.message)
    secret = config.env("STRIPE_WEBHOOK_SECRET")
    if secret is None:
        logger.error("stripe webhook refused: STRIPE_WEBHOOK_SECRET is not set")
        return WebhookAnswer.error(503, "STRIPE_WEBHOOK_SECRET is not set; nothing was handed over")

    import stripe

    try:
        stripe.WebhookSignature.verify_header(body, signature, secret, TOLERANCE_SECONDS)
    except UnicodeDecodeError:
        return WebhookAnswer.error(400, "the body is not UTF-8")
    except stripe.SignatureVerificationError as exc:
        logger.warning("stripe webhook refused: %s", exc.user_message or exc)
        return WebhookAnswer.error(400, f"bad Stripe-Signature: {exc.user_message or exc}")
    try:
        event = validate(_Event, loads_object(body), what="Stripe event")
    except BadInput as exc:
        return WebhookAnswer.error(exc.status, exc.message)

    event_id, kind = event.id, event.type
    if kind not in REFUND_EVENTS:
        logger.info("stripe webhook ignored: id=%s type=%s", event_id, kind)
        return WebhookAnswer(200, {"status": "ignored", "type": kind})
    try:
        refund = validate(_Refund, (event.data or {}).get("object"), what=f"{kind} event {event_id}: data.object")
    except BadInput as exc:
        return WebhookAnswer.error(exc.status, exc.message)
    action_id = (refund.metadata or {}).get("action_id")
    if not isinstance(action_id, str) or not action_id:
        logger.info("stripe webhook ignored: id=%s refund %s was not made by an action", event_id, refund.id)
        return WebhookAnswer(200, {"status": "ignored", "reason": "the refund names no action_id"})

    from lib.inngest import client
    from lib.inngest.events import REFUND_UPDATED, RefundUpdated

    update = RefundUpdated(
        action_id=action_id, refund_id=refund.id, status=refund.status or "", failure_reason=refund.failure_reason,
        amount=refund.amount, currency=refund.currency, stripe_event_id=event_id, stripe_event_type=kind,
    )
    try:
        client.send(REFUND_UPDATED, update, id=f"stripe-{event_id}")
    except Exception as exc:  # noqa: BLE001 - any send failure means Stripe must retry
        logger.error("stripe webhook %s: could not send to Inngest: %s: %s", event_id, type(exc).__name__, exc)
        return WebhookAnswer.error(502, "could not hand the event to Inngest; retry later", id=event_id)
    logger.info("stripe webhook %s: %s for action %s, refund %s %s", event_id, kind, action_id, refund.id, update.status)
    return WebhookAnswer(200, {"status": "sent", "event": REFUND_UPDATED.name, "id": event_id, "actionId": action_id})
