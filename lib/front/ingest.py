"""The Front webhook handler: verify -> parse -> resolve app -> send (-> dedupe, rule webhooks only).

Front retries a webhook until it gets a 2xx, so the answer must tell the truth:
2xx only once the event is handed to Inngest (or is a duplicate, or something we
deliberately ignore), 5xx whenever it was not, so the retry gets another chance.

The event's Inngest id is Front's event id, and Inngest drops a second event with
the same id for 24 hours, so a retried or replayed delivery starts one run. That is
all an application webhook needs: its signature covers a timestamp we accept for
5 minutes only, so no replay outlives Inngest's window, and the hot path does no
database write (a replay inside the window is answered `sent` again: it was handed
over again, and Inngest kept one). Rule webhooks carry no timestamp, so a captured
one could be replayed any time: for them `processed_webhooks` remembers the event
id and a replay is answered `duplicate`. The database, registry and Inngest SDK are
imported inside `handle`: the function's cold start pays only for what the first
request needs.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import Any, Mapping

from lib import config
from lib.front import webhooks
from lib.front.webhooks import FrontEvent, WebhookError
from lib.web.answer import WebhookAnswer

logger = logging.getLogger("support.front.webhook")

SOURCE = "front"

_counts: Counter[str] = Counter()
_counts_lock = threading.Lock()


def counts() -> dict[str, int]:
    """Per-outcome counters since process start (e.g. `ignored:tag_added`), for logs and tests."""
    with _counts_lock:
        return dict(_counts)


def reset_counts() -> None:
    with _counts_lock:
        _counts.clear()


def _count(key: str) -> int:
    """Add one to `key`; the new total, which the log line carries so the count shows in the function's logs."""
    with _counts_lock:
        _counts[key] += 1
        return _counts[key]


def handle(body: bytes, headers: Mapping[str, str], *, now: float | None = None) -> WebhookAnswer:
    """Answer one webhook request; never raises for bad input."""
    try:
        return _handle(body, headers, now=now)
    except WebhookError as exc:
        if exc.status >= 500:
            logger.error("front webhook refused: %s", exc.message)
        else:
            logger.warning("front webhook refused (%d): %s", exc.status, exc.message)
        _count(f"refused:{exc.status}")
        return WebhookAnswer.error(exc.status, exc.message)


def _handle(body: bytes, headers: Mapping[str, str], *, now: float | None) -> WebhookAnswer:
    kind = _verify(body, headers, now)  # the handshake too: Front signs it, and an unsigned one could be anyone's
    challenge = webhooks.challenge(headers)
    if challenge is not None:  # answered, never acted on, whatever the body says
        _count("challenge")
        return WebhookAnswer(200, {"challenge": challenge})

    event = webhooks.extract_event(webhooks.parse_json(body))
    direction = event.direction
    if direction is None:
        total = _count(f"ignored:{event.type}")
        logger.info("front webhook ignored: id=%s type=%s count=%d", event.id, event.type, total)
        return WebhookAnswer(200, {"status": "ignored", "type": event.type})
    webhooks.require_ids(event)

    inbox_id, app_slug = _resolve_app(event)
    if app_slug is None:
        total = _count("unknown_inbox")
        logger.warning(
            "front webhook %s: no app is registered for inbox(es) %s; register one with `python -m lib.apps add` (count=%d)",
            event.id,
            ", ".join(event.inbox_ids) or "(none given)",
            total,
        )
        return WebhookAnswer(200, {"status": "unknown_inbox", "inboxIds": list(event.inbox_ids)})

    if kind == "rule" and _already_processed(event.id):
        _count("duplicate")
        return WebhookAnswer(200, {"status": "duplicate", "id": event.id})

    from lib.inngest import client
    from lib.inngest.events import FRONT_INBOUND_RECEIVED, FRONT_OUTBOUND_SENT

    # Built before the send: data that cannot be an event is the delivery's fault (4xx), not Inngest's.
    spec = FRONT_INBOUND_RECEIVED if direction == "inbound" else FRONT_OUTBOUND_SENT
    data = webhooks.event_data(event, spec, inbox_id=inbox_id, app_slug=app_slug)
    name = spec.name
    try:
        client.send(spec, data, id=event.id)
    except Exception as exc:  # noqa: BLE001 - any send failure means Front must retry
        logger.error("front webhook %s: could not send to Inngest: %s: %s", event.id, type(exc).__name__, exc)
        _count("send_failed")
        return WebhookAnswer.error(502, "could not hand the event to Inngest; retry later", id=event.id)

    if kind == "rule":
        _mark_processed(event.id)
    _count(f"sent:{name}")
    return WebhookAnswer(200, {"status": "sent", "event": name, "id": event.id, "app": app_slug})


def _verify(body: bytes, headers: Mapping[str, str], now: float | None) -> webhooks.WebhookKind:
    return webhooks.verify(
        body,
        headers,
        app_secret=config.env("FRONT_APP_SECRET"),
        api_secret=config.env("FRONT_API_SECRET"),
        now=now,
    )


def _resolve_app(event: FrontEvent) -> tuple[str | None, str | None]:
    """The first of the event's inboxes that belongs to a registered app: (inbox id, app slug)."""
    from lib.apps.registry import find_app_by_inbox

    try:
        for inbox_id in event.inbox_ids:
            record = find_app_by_inbox(inbox_id)
            if record is not None:
                return inbox_id, record.slug
    except Exception as exc:  # noqa: BLE001 - the database is down: Front should retry
        logger.error("front webhook %s: app lookup failed: %s: %s", event.id, type(exc).__name__, exc)
        raise WebhookError(503, "app registry unavailable; retry later") from exc
    return (event.inbox_ids[0] if event.inbox_ids else None), None


def _already_processed(event_id: str) -> bool:
    from lib.db import get_db
    from lib.db.models import ProcessedWebhook

    try:
        with get_db().session() as session:
            return session.get(ProcessedWebhook, event_id) is not None
    except Exception as exc:  # noqa: BLE001
        logger.error("front webhook %s: dedupe lookup failed: %s: %s", event_id, type(exc).__name__, exc)
        raise WebhookError(503, "database unavailable; retry later") from exc


def _mark_processed(event_id: str) -> None:
    """Remember the delivery; a concurrent twin inserting first is fine (Inngest dedupes by id too)."""
    from sqlalchemy.exc import IntegrityError

    from lib.db import get_db
    from lib.db.models import ProcessedWebhook

    try:
        with get_db().session() as session:
            session.add(ProcessedWebhook(id=event_id, source=SOURCE))
    except IntegrityError:
        logger.info("front webhook %s was marked processed by a concurrent delivery", event_id)
    except Exception as exc:  # noqa: BLE001 - the event is sent; Inngest's id dedupe covers a retry
        logger.error("front webhook %s sent but not marked processed: %s: %s", event_id, type(exc).__name__, exc)
