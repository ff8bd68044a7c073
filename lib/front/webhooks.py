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
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, Mapping, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from lib.front import messages
from lib.inngest.events import EventData
from lib.web import parsing
from lib.web.parsing import BadInput, digits

if TYPE_CHECKING:
    from lib.inngest.events import EventSpec

D = TypeVar("D", bound=EventData)

SIGNATURE_HEADER = "x-front-signature"
TIMESTAMP_HEADER = "x-front-request-timestamp"
CHALLENGE_HEADER = "x-front-challenge"

MAX_AGE_SECONDS = 300.0  # older app-webhook timestamps are replays
MAX_FUTURE_SECONDS = 5.0  # allow a little clock skew, no more

INBOUND_TYPES = frozenset({"inbound_received", "inbound"})  # app webhook / rule webhook spelling
OUTBOUND_TYPES = frozenset({"outbound_sent", "outbound", "out_reply"})

WebhookKind = Literal["app", "rule"]


class WebhookError(Exception):
    """A request we refuse; `status` is the HTTP answer (401 forged/unsigned, 400 malformed, 503 no secret configured)."""

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
    millis = digits(timestamp_ms.strip(), max_digits=16)  # never int() on 400 digits: that overflows
    if millis is None:
        raise WebhookError(401, f"{TIMESTAMP_HEADER} is not a millisecond timestamp")
    sent_at = millis / 1000.0
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
    answers 503: nothing can be verified, nothing was handed over, and Front's retry
    succeeds once the secret is set.
    """
    signature = header(headers, SIGNATURE_HEADER)
    if not signature:
        raise WebhookError(401, f"missing {SIGNATURE_HEADER}")
    if not app_secret and not api_secret:
        raise WebhookError(503, "neither FRONT_APP_SECRET nor FRONT_API_SECRET is set: cannot verify webhooks; retry later")
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
    try:
        return parsing.header(headers, name)
    except BadInput as exc:
        raise WebhookError(exc.status, exc.message) from None


def challenge(headers: Mapping[str, str]) -> str | None:
    """The validation handshake's value, when this request is one."""
    return header(headers, CHALLENGE_HEADER)


# -- payloads ----------------------------------------------------------------------


def parse_json(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or `WebhookError(400)`."""
    try:
        return parsing.loads_object(body)
    except BadInput as exc:
        raise WebhookError(exc.status, exc.message) from None


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


# The fields we read, typed (source: Front's webhook docs and the `Event`/`Message` schemas in
# frontapp/front-api-specs). Everything else is ignored; a field of the wrong type (a number
# where an id belongs, an object where recipients are a list) is a 400, never a crash later.


_Id = Annotated[str, Field(max_length=64)]  # Front ids are short (`cnv_1a2b3c`); our columns hold 64
_EventId = Annotated[str, Field(max_length=191)]  # `processed_webhooks.id` holds 191


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class _Meta(_Model):
    type: str | None = None


class _Resource(_Model):
    meta: _Meta | None = Field(None, alias="_meta")
    data: Any = None


class _Recipient(_Model):
    handle: str | None = None
    name: str | None = None
    role: str | None = None


class _Author(_Model):
    email: str | None = None


class _Message(_Model):
    id: _Id | None = None
    subject: str | None = None
    text: str | None = None
    body: str | None = None
    recipients: list[_Recipient] | None = None
    author: _Author | None = None


class _Inbox(_Model):
    id: _Id | None = None


class _Inboxes(_Model):
    items: list[_Inbox]


class _Conversation(_Model):
    id: _Id | None = None
    subject: str | None = None


class _Event(_Model):
    id: _EventId | None = None
    type: str | None = None
    emitted_at: float | None = Field(None, allow_inf_nan=False)  # `1e999` -> inf would never serialise: 400
    conversation: _Conversation | None = None
    target: _Resource | None = None
    source: _Resource | None = None


class _Envelope(_Model):
    type: str | None = None
    payload: _Event | None = None


def _typed(model: type[Any], data: Any, what: str) -> Any:
    try:
        return parsing.validate(model, data, what=what)
    except BadInput as exc:
        raise WebhookError(exc.status, exc.message) from None


def extract_event(document: Mapping[str, Any]) -> FrontEvent:
    """Read an application webhook (`{payload: event}`) or a rule webhook (the event itself)."""
    wrapped = isinstance(document.get("payload"), Mapping)
    envelope = _typed(_Envelope, document, "webhook") if wrapped else None
    event: _Event = envelope.payload if envelope is not None and envelope.payload is not None else _typed(_Event, document, "event")
    event_id = _str(event.id)
    event_type = _str(event.type) or (_str(envelope.type) if envelope is not None else None)
    if not event_id or not event_type:
        raise WebhookError(400, "the event has no id or type")
    target_type = event.target.meta.type if event.target is not None and event.target.meta is not None else None
    message = _Message()
    if event.target is not None and target_type in ("message", None) and isinstance(event.target.data, Mapping):
        message = _typed(_Message, event.target.data, "target.data")
    conversation = event.conversation or _Conversation()
    inbox_ids: tuple[str, ...] = ()
    if event.source is not None and event.source.meta is not None and event.source.meta.type == "inboxes":
        inboxes = _typed(_Inboxes, {"items": event.source.data}, "source.data").items
        inbox_ids = tuple(i for i in (_str(inbox.id) for inbox in inboxes) if i)
    fields = message.model_dump()
    return FrontEvent(
        id=event_id,
        type=event_type,
        conversation_id=_str(conversation.id),
        message_id=_str(message.id),
        inbox_ids=inbox_ids,
        subject=_str(message.subject) or _str(conversation.subject),
        body=_str(messages.text_of(fields)),
        sender_email=_str(messages.sender_email(fields)),
        sender_name=_str(messages.sender_name(fields)),
        author_email=_str(message.author.email) if message.author else None,
        emitted_at=event.emitted_at,
    )


def event_data(event: FrontEvent, spec: "EventSpec[D]", *, inbox_id: str | None, app_slug: str | None) -> D:
    """The data of `spec` (`front/inbound_received` or `front/outbound_sent`) for a Front message event.

    Both carry the conversation, message, inbox, app and Front event id; each takes the rest
    it needs (body and sender, or the teammate's address) from the same fields, by name.
    """
    require_ids(event)
    return spec.data.model_validate({
        "conversation_id": event.conversation_id,
        "message_id": event.message_id,
        "inbox_id": inbox_id,
        "app_id": app_slug,
        "subject": event.subject,
        "body": event.body,
        "sender_email": event.sender_email,
        "sender_name": event.sender_name,
        "author_email": event.author_email,
        "front_event_id": event.id,
        "emitted_at": event.emitted_at,
    })


def require_ids(event: FrontEvent) -> None:
    """A message event we act on names its conversation and message (400 otherwise)."""
    if not event.conversation_id or not event.message_id:
        raise WebhookError(400, f"{event.type} event {event.id} carries no conversation or message id")


def _str(value: str | None) -> str | None:
    text = value.strip() if value else None
    return text or None
