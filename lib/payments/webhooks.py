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

import json
import logging
from dataclasses import dataclass, field
from typing import Any, Mapping

from lib import config

logger = logging.getLogger("support.stripe.webhook")

# Stripe's event types that carry a refund as `data.object` (Stripe's event type list).
REFUND_EVENTS = {"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"}
TOLERANCE_SECONDS = 300


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, Any] = field(default_factory=dict)


def handle(body: bytes, headers: Mapping[str, str]) -> Outcome:
    """Answer one delivery; never raises."""
    try:
        return _handle(body, headers)
    except Exception as exc:  # noqa: BLE001 - a bug here must not answer 500 with a traceback; Stripe retries a 503
        logger.exception("stripe webhook: unexpected %s", type(exc).__name__)
        return Outcome(503, {"error": "could not process the event; retry later"})


def _handle(body: bytes, headers: Mapping[str, str]) -> Outcome:
    secret = config.env("STRIPE_WEBHOOK_SECRET")
    if secret is None:
        logger.error("stripe webhook refused: STRIPE_WEBHOOK_SECRET is not set")
        return Outcome(503, {"error": "STRIPE_WEBHOOK_SECRET is not set; nothing was handed over"})

    import stripe

    try:
        stripe.WebhookSignature.verify_header(body, headers.get("Stripe-Signature"), secret, TOLERANCE_SECONDS)
    except UnicodeDecodeError:
        return Outcome(400, {"error": "the body is not UTF-8"})
    except stripe.SignatureVerificationError as exc:
        logger.warning("stripe webhook refused: %s", exc.user_message or exc)
        return Outcome(400, {"error": f"bad Stripe-Signature: {exc.user_message or exc}"})
    try:
        event = json.loads(body)
    except ValueError:
        return Outcome(400, {"error": "the body is not JSON"})
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        return Outcome(400, {"error": "not a Stripe event: needs string `id` and `type`"})

    event_id, kind = event["id"], event["type"]
    if kind not in REFUND_EVENTS:
        logger.info("stripe webhook ignored: id=%s type=%s", event_id, kind)
        return Outcome(200, {"status": "ignored", "type": kind})
    refund = (event.get("data") or {}).get("object") if isinstance(event.get("data"), dict) else None
    if not isinstance(refund, dict) or refund.get("object") != "refund" or not isinstance(refund.get("id"), str):
        return Outcome(400, {"error": f"{kind} event {event_id} carries no refund object"})
    action_id = (refund.get("metadata") or {}).get("action_id") if isinstance(refund.get("metadata"), dict) else None
    if not action_id:
        logger.info("stripe webhook ignored: id=%s refund %s was not made by an action", event_id, refund["id"])
        return Outcome(200, {"status": "ignored", "reason": "the refund names no action_id"})

    from lib.inngest import client
    from lib.inngest.events import REFUND_UPDATED, RefundUpdated

    try:
        update = RefundUpdated(
            action_id=str(action_id), refund_id=refund["id"], status=str(refund.get("status") or ""),
            failure_reason=refund.get("failure_reason"), amount=refund.get("amount"), currency=refund.get("currency"),
            stripe_event_id=event_id, stripe_event_type=kind,
        )
    except ValueError as exc:  # pydantic's ValidationError: a refund whose fields have the wrong types
        return Outcome(400, {"error": f"{kind} event {event_id}: {exc.__class__.__name__}"})
    try:
        client.send(REFUND_UPDATED, update, id=f"stripe-{event_id}")
    except Exception as exc:  # noqa: BLE001 - any send failure means Stripe must retry
        logger.error("stripe webhook %s: could not send to Inngest: %s: %s", event_id, type(exc).__name__, exc)
        return Outcome(502, {"error": "could not hand the event to Inngest; retry later", "id": event_id})
    logger.info("stripe webhook %s: %s for action %s, refund %s %s", event_id, kind, action_id, refund["id"], update.status)
    return Outcome(200, {"status": "sent", "event": REFUND_UPDATED.name, "id": event_id, "actionId": action_id})
