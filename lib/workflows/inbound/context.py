"""The `gather-context` step: customer, conversation and app record, fetched concurrently.

One retriable step runs the three sources on threads rather than as three
parallel Inngest steps: each source already falls back to what the event
carried instead of failing, so separate retries buy nothing, and one step costs
one request to the serve function instead of four. The step's time is that of
the slowest source.

The output is plain JSON shaped like `lib.agent.models.AgentContext`.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from lib.fallback import with_fallback
from lib.front import messages as front_messages
from lib.inngest.events import InboundReceived, truncate_utf8

MAX_HISTORY = 30
# The step's output is stored by Inngest, which refuses step data over 4 MiB, and all of it
# goes into the prompt: the latest message is kept up to 128 KiB, older ones up to 16 KiB
# each (30 of them), so the context stays well under the limit whatever a thread holds.
MAX_LATEST_TEXT_BYTES = 128 * 1024
MAX_HISTORY_TEXT_BYTES = 16 * 1024


def gather_context(inbound: InboundReceived) -> dict[str, Any]:
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="gather") as pool:
        app_future = pool.submit(_app_source, inbound)
        messages_future = pool.submit(_messages_source, inbound)
        customer_future = pool.submit(_customer_source, inbound, app_future)
        app, app_fell_back = app_future.result()
        (messages, latest), messages_fell_back = messages_future.result()
        customer, customer_fell_back = customer_future.result()

    fallbacks = [
        name
        for name, fell_back in (("app", app_fell_back), ("messages", messages_fell_back), ("customer", customer_fell_back))
        if fell_back
    ]
    return {
        "conversation_id": inbound.conversation_id,
        "app": app,
        "customer": customer,
        "messages": messages,
        "latest_message": latest,
        "fallbacks": fallbacks,
    }


def app_fallback(inbound: InboundReceived) -> dict[str, Any]:
    """What the event tells us about the app: its slug. `AppInfo`'s strict defaults: everything needs approval, no auto-send."""
    from lib.apps.registry import AppInfo

    return AppInfo(slug=inbound.app_id, name=inbound.app_id, front_inbox_id=inbound.inbox_id).model_dump(mode="json")


def _app_record(inbound: InboundReceived) -> Any:
    from lib.apps.registry import UnknownApp, find_app_by_inbox, get_app

    record = find_app_by_inbox(inbound.inbox_id)
    if record is None:
        record = get_app(inbound.app_id)
    if record is None:  # pragma: no cover - get_app raises instead
        raise UnknownApp(inbound.app_id)
    return record


def _app_source(inbound: InboundReceived) -> tuple[dict[str, Any], bool]:
    return with_fallback(lambda: _app_record(inbound).public(), app_fallback(inbound), what="app registry lookup")


def _latest_from_event(inbound: InboundReceived) -> dict[str, Any]:
    return {
        "id": inbound.message_id,
        "subject": inbound.subject,
        "body": inbound.body,
        "sender_email": inbound.sender_email,
        "sender_name": inbound.sender_name,
    }


def _messages_source(inbound: InboundReceived) -> tuple[tuple[list[dict[str, Any]], dict[str, Any]], bool]:
    event_latest = _latest_from_event(inbound)
    event_history = [{"author": inbound.sender_email, "is_inbound": True, "text": inbound.body or "", "created_at": inbound.emitted_at}]

    def fetch() -> tuple[list[dict[str, Any]], dict[str, Any]]:
        from lib.front.client import get_front

        front = get_front()
        raw = front.list_conversation_messages(inbound.conversation_id)
        history = [_normalise(m) for m in raw][-MAX_HISTORY:]
        latest = dict(event_latest)
        match = next((m for m in raw if m.get("id") == inbound.message_id), None)
        if match is None and (inbound.body_truncated or not (inbound.body and inbound.sender_email)):
            match = front.get_message(inbound.message_id)  # a preview or a cut body: fetch the message itself
        if match is not None:
            if inbound.body_truncated:  # the event carries only the start of a long body (lib.inngest.events)
                latest["body"] = truncate_utf8(front_messages.text_of(match), MAX_LATEST_TEXT_BYTES)[0] or latest["body"]
            latest["body"] = latest["body"] or truncate_utf8(front_messages.text_of(match), MAX_LATEST_TEXT_BYTES)[0]
            latest["sender_email"] = latest["sender_email"] or front_messages.customer_email(match)
            latest["sender_name"] = latest["sender_name"] or front_messages.sender_name(match)
            latest["subject"] = latest["subject"] or match.get("subject")
        return history or event_history, latest

    return with_fallback(fetch, (event_history, event_latest), what="Front conversation messages")


def _customer_source(
    inbound: InboundReceived, app_future: "Future[tuple[dict[str, Any], bool]]"
) -> tuple[dict[str, Any] | None, bool]:
    fallback = (
        {"user": {"email": inbound.sender_email, "name": inbound.sender_name}, "purchases": [], "source": "event"}
        if inbound.sender_email
        else None
    )

    def fetch() -> dict[str, Any] | None:
        from lib.apps.integration import IntegrationClient
        from lib.front.client import get_front

        email = inbound.sender_email
        if not email:
            front = get_front()
            email = front_messages.customer_email(front.get_message(inbound.message_id))
        if not email:
            return None
        app_future.result()  # the registry lookup runs beside us; wait for it rather than query twice
        client = IntegrationClient(_app_record(inbound))
        user = client.lookup_user(email)
        if user is None:
            return {"user": None, "purchases": [], "email": email, "source": "integration"}
        purchases = client.get_purchases(str(user["id"]))
        return {"user": user, "purchases": purchases, "source": "integration"}

    return with_fallback(fetch, fallback, what="customer lookup in the app integration")


def _normalise(message: dict[str, Any]) -> dict[str, Any]:
    author = message.get("author") or {}
    return {
        "id": message.get("id"),
        "author": author.get("email") or front_messages.sender_email(message),
        "is_inbound": bool(message.get("is_inbound")),
        "text": truncate_utf8(front_messages.text_of(message), MAX_HISTORY_TEXT_BYTES)[0],
        "created_at": message.get("created_at"),
    }
