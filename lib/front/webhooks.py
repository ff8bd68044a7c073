"""Front webhooks: signature checks and the mapping of a payload to our event data.

Two kinds arrive at the same URL:
- application webhooks: `x-front-signature` = base64(HMAC-SHA256(FRONT_APP_SECRET,
  "{x-front-request-timestamp}:" + raw body)), the timestamp in milliseconds;
  the body wraps the event: `{type, authorization, payload: {id, type, ...}}`.
- rule webhooks: `x-front-signature` = base64(HMAC-SHA1(FRONT_API_SECRET, body)),
  no timestamp; the body is the event itself: `{id, type, source, target, conversation}`.

Pure functions over bytes and dicts (no Flask, no database), so they are easy to
test and cheap to import.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import time
from dataclasses import dataclass
from typing import Any, Literal, Mapping

from lib.inngest.events import InboundReceived, OutboundSent

SIGNATURE_HEADER = "x-front-signature"
TIMESTAMP_HEADER = "x-front-request-timestamp"
CHALLENGE_HEADER = "x-front-challenge"

MAX_AGE_SECONDS = 300.0  # older app-webhook timestamps are replays
MAX_FUTURE_SECONDS = 5.0  # allow a little clock skew, no more

INBOUND_TYPES = frozenset({"inbound_received", "inbound"})  # app webhook / rule webhook spelling
OUTBOUND_TYPES = frozenset({"outbound_sent", "outbound", "out_reply"})

WebhookKind = Literal["app", "rule"]


class WebhookError(Exception):
    """A request we refuse; `status` is the HTTP answer (401 forged/unsigned, 400 malformed, 500 no secret configured)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# -- signatures ------------------------------------------------------------------


def sign_app(body: bytes, timestamp_ms: str, secret: str) -> str:
    """The `x-front-signature` Front puts on an application webhook (tests use it too)."""
    mac = hmac.new(secret.encode(), f"{timestamp_ms}:".encode() + body, hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def sign_rule(body: bytes, secret: str) -> str:
    """The `x-front-signature` Front puts on a rule webhook."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha1).digest()).decode()


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.strip().encode())


def verify_app_signature(body: bytes, signature: str, timestamp_ms: str, secret: str, *, now: float | None = None) -> None:
    """Raise `WebhookError(401)` unless the signature matches and the timestamp is fresh."""
    try:
        sent_at = int(timestamp_ms.strip()) / 1000.0
    except (ValueError, OverflowError):  # a forged timestamp of 400 digits overflows the float: still a 401
        raise WebhookError(401, f"{TIMESTAMP_HEADER} is not a millisecond timestamp") from None
    if not _same(sign_app(body, timestamp_ms.strip(), secret), signature):
        raise WebhookError(401, "signature does not match")
    age = (time.time() if now is None else now) - sent_at
    if age > MAX_AGE_SECONDS:
        raise WebhookError(401, f"request timestamp is {age:.0f} s old (limit {MAX_AGE_SECONDS:.0f} s)")
    if age < -MAX_FUTURE_SECONDS:
        raise WebhookError(401, f"request timestamp is {-age:.0f} s in the future")


def verify_rule_signature(body: bytes, signature: str, secret: str) -> None:
    if not _same(sign_rule(body, secret), signature):
        raise WebhookError(401, "signature does not match")


def verify(
    body: bytes,
    headers: Mapping[str, str],
    *,
    app_secret: str | None,
    api_secret: str | None,
    now: float | None = None,
) -> WebhookKind:
    """Check whichever signature the request carries; which kind it was, or `WebhookError`.

    A timestamp header marks an application webhook. Anything that fails its check
    is a 401, whatever the configuration; only a deployment holding neither secret
    answers 500, since then nothing at all can be verified.
    """
    signature = header(headers, SIGNATURE_HEADER)
    if not signature:
        raise WebhookError(401, f"missing {SIGNATURE_HEADER}")
    if not app_secret and not api_secret:
        raise WebhookError(500, "neither FRONT_APP_SECRET nor FRONT_API_SECRET is set: cannot verify webhooks")
    timestamp = header(headers, TIMESTAMP_HEADER)
    if timestamp and app_secret:
        verify_app_signature(body, signature, timestamp, app_secret, now=now)
        return "app"
    if not api_secret:
        raise WebhookError(401, f"missing {TIMESTAMP_HEADER} (and FRONT_API_SECRET is not set for rule webhooks)")
    try:
        verify_rule_signature(body, signature, api_secret)
    except WebhookError:
        if timestamp:
            raise WebhookError(401, "signature does not match (FRONT_APP_SECRET is not set: application webhooks cannot be verified)") from None
        raise
    return "rule"


def header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:  # plain dicts in tests may not be case-insensitive
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value.strip() if value and value.strip() else None


def challenge(headers: Mapping[str, str]) -> str | None:
    """The validation handshake's value, when this request is one."""
    return header(headers, CHALLENGE_HEADER)


# -- payloads ----------------------------------------------------------------------


def parse_json(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or `WebhookError(400)`."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookError(400, f"body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise WebhookError(400, "body must be a JSON object")
    return data


@dataclass(frozen=True)
class FrontEvent:
    """The parts of a Front event we use, whichever webhook kind carried it."""

    id: str
    type: str
    conversation_id: str | None
    message_id: str | None
    inbox_ids: tuple[str, ...]
    subject: str | None
    body: str | None
    sender_email: str | None
    sender_name: str | None
    author_email: str | None
    emitted_at: float | None

    @property
    def direction(self) -> Literal["inbound", "outbound"] | None:
        if self.type in INBOUND_TYPES:
            return "inbound"
        if self.type in OUTBOUND_TYPES:
            return "outbound"
        return None


def extract_event(document: Mapping[str, Any]) -> FrontEvent:
    """Read an application webhook (`{payload: event}`) or a rule webhook (the event itself)."""
    event = document.get("payload") if isinstance(document.get("payload"), Mapping) else document
    event_id = _str(event.get("id"))
    event_type = _str(event.get("type")) or _str(document.get("type"))
    if not event_id or not event_type:
        raise WebhookError(400, "the event has no id or type")
    target = _data_of(event.get("target"))
    message = target if _meta_type(event.get("target")) in ("message", None) and isinstance(target, Mapping) else {}
    conversation = event.get("conversation") if isinstance(event.get("conversation"), Mapping) else {}
    source = _data_of(event.get("source"))
    inbox_ids: tuple[str, ...] = ()
    if _meta_type(event.get("source")) == "inboxes" and isinstance(source, list):
        inbox_ids = tuple(i for i in (_str(item.get("id")) for item in source if isinstance(item, Mapping)) if i)
    sender = _recipient(message, "from")
    author = message.get("author") if isinstance(message.get("author"), Mapping) else {}
    return FrontEvent(
        id=event_id,
        type=event_type,
        conversation_id=_str(conversation.get("id")),
        message_id=_str(message.get("id")),
        inbox_ids=inbox_ids,
        subject=_str(message.get("subject")) or _str(conversation.get("subject")),
        body=_text(message),
        sender_email=_str(sender.get("handle")) if sender else None,
        sender_name=_str(sender.get("name")) if sender else None,
        author_email=_str(author.get("email")),
        emitted_at=_float(event.get("emitted_at")),
    )


def to_inbound(event: FrontEvent, *, inbox_id: str, app_slug: str) -> InboundReceived:
    _require_ids(event)
    return InboundReceived(
        conversation_id=event.conversation_id or "",
        message_id=event.message_id or "",
        inbox_id=inbox_id,
        app_id=app_slug,
        subject=event.subject,
        body=event.body,
        sender_email=event.sender_email,
        sender_name=event.sender_name,
        front_event_id=event.id,
        emitted_at=event.emitted_at,
    )


def to_outbound(event: FrontEvent, *, inbox_id: str | None, app_slug: str | None) -> OutboundSent:
    _require_ids(event)
    return OutboundSent(
        conversation_id=event.conversation_id or "",
        message_id=event.message_id or "",
        inbox_id=inbox_id,
        app_id=app_slug,
        author_email=event.author_email,
        front_event_id=event.id,
    )


def _require_ids(event: FrontEvent) -> None:
    if not event.conversation_id or not event.message_id:
        raise WebhookError(400, f"{event.type} event {event.id} carries no conversation or message id")


def _data_of(resource: Any) -> Any:
    return resource.get("data") if isinstance(resource, Mapping) else None


def _meta_type(resource: Any) -> str | None:
    if not isinstance(resource, Mapping) or not isinstance(resource.get("_meta"), Mapping):
        return None
    return _str(resource["_meta"].get("type"))


def _recipient(message: Mapping[str, Any], role: str) -> Mapping[str, Any] | None:
    for recipient in message.get("recipients") or []:
        if isinstance(recipient, Mapping) and recipient.get("role") == role:
            return recipient
    return None


_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<\s*(br|/p|/div|/li)\b[^>]*>", re.IGNORECASE)


def _text(message: Mapping[str, Any]) -> str | None:
    """The message's plain text: Front's `text`, else its HTML `body` with tags dropped; None for previews."""
    text = _str(message.get("text"))
    if text:
        return text
    body = _str(message.get("body"))
    if not body:
        return None
    plain = html.unescape(_TAG.sub("", _BREAK.sub("\n", body)))
    return re.sub(r"\n{3,}", "\n\n", plain).strip() or None


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def _float(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
