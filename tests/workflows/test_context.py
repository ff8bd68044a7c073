"""The `gather-context` step against fake Front and a fake product app: sources overlap, each falls back alone."""

from __future__ import annotations

import json
import threading
from typing import Any, Iterator

import pytest
from flask import request

from lib.apps import registry
from lib.inngest.events import InboundReceived
from lib.workflows.inbound.context import gather_context
from devkit.sandbox.front import FakeFront, front_message
from devkit.sandbox.product_app import FakeProductApp
from devkit.sandbox.server import LocalServer

SECRET = "integration-secret"
INBOX = "inb_ctx"
CONVERSATION = "cnv_ctx"
ADA = "ada@example.com"


def _product() -> FakeProductApp:
    product = FakeProductApp(SECRET)
    product.add_user(ADA, name="Ada Lovelace", purchases=[{"id": "pi_1", "product": "Pro plan", "amount": 4900}])
    return product


def _inbound(**overrides: Any) -> InboundReceived:
    fields: dict[str, Any] = dict(conversation_id=CONVERSATION, message_id="msg_2", inbox_id=INBOX, app_id="acme",
                                  subject="Refund", body="Please refund me", sender_email=ADA, sender_name="Ada",
                                  front_event_id="evt_1")
    fields.update(overrides)
    return InboundReceived(**fields)


def _front_with_history() -> FakeFront:
    front = FakeFront()
    front.add_conversation(CONVERSATION, inbox_id=INBOX, messages=[
        front_message("msg_1", "I bought Pro last week.", sender=ADA, created_at=1_700_000_000.0),
        front_message("msg_2", "Please refund me", sender=ADA, subject="Refund", created_at=1_700_000_600.0),
    ])
    return front


@pytest.fixture
def served_product() -> Iterator[tuple[FakeProductApp, str]]:
    product = _product()
    with LocalServer(product.app) as server:
        yield product, f"{server.url}/support"


def _register(integration_url: str | None) -> registry.AppRecord:
    record = registry.create_app(slug="acme", name="Acme", front_inbox_id=INBOX, integration_url=integration_url, integration_secret=SECRET)
    registry.clear_cache()
    return record


def test_every_source_answers_and_nothing_falls_back(database_url: str, served_product: tuple[FakeProductApp, str]) -> None:
    product, url = served_product
    app = _register(url)
    with _front_with_history().start() as front:
        context = gather_context(_inbound())

    json.dumps(context)  # a step output
    assert context["fallbacks"] == []
    assert context["app"]["id"] == app.id and "integration_secret" not in context["app"]
    assert context["customer"]["user"]["email"] == ADA and context["customer"]["purchases"][0]["id"] == "pi_1"
    assert [m["text"] for m in context["messages"]] == ["I bought Pro last week.", "Please refund me"]  # oldest first
    assert context["latest_message"]["body"] == "Please refund me"
    assert product.actions_called() == ["lookupUser", "getPurchases"]
    assert front.calls_to("GET", f"/conversations/{CONVERSATION}/messages") == 1


def test_the_sources_are_in_flight_at_the_same_time(database_url: str) -> None:
    # Front's message list and the app's user lookup each wait for the other: run one after the
    # other, the first would break the barrier and that source would fall back.
    meeting = threading.Barrier(2, timeout=10)

    def meet_front() -> None:
        if request.path == f"/conversations/{CONVERSATION}/messages":
            meeting.wait()

    def meet_product() -> None:
        if (request.get_json(silent=True) or {}).get("action") == "lookupUser":
            meeting.wait()

    product = _product()
    product.app.before_request(meet_product)
    front = _front_with_history()
    front.app.before_request(meet_front)
    with LocalServer(product.app) as server, front.start():
        _register(f"{server.url}/support")
        context = gather_context(_inbound())

    assert context["fallbacks"] == []
    assert not meeting.broken


def test_front_down_falls_back_to_the_event_alone(database_url: str, served_product: tuple[FakeProductApp, str]) -> None:
    _register(served_product[1])
    with _front_with_history().start() as front:
        front.fail_next(f"/conversations/{CONVERSATION}/messages", 500, times=10)
        context = gather_context(_inbound())

    assert context["fallbacks"] == ["messages"]
    assert context["messages"] == [{"author": ADA, "is_inbound": True, "text": "Please refund me", "created_at": None}]
    assert context["customer"]["source"] == "integration"  # the other sources are unaffected


def test_the_app_integration_down_falls_back_to_the_sender(database_url: str, served_product: tuple[FakeProductApp, str]) -> None:
    product, url = served_product
    _register(url)
    product.fail_next("lookupUser", 500)
    with _front_with_history().start():
        context = gather_context(_inbound())

    assert context["fallbacks"] == ["customer"]
    assert context["customer"] == {"user": {"email": ADA, "name": "Ada"}, "purchases": [], "source": "event"}


def test_an_unregistered_app_falls_back_to_strict_defaults(database_url: str) -> None:
    with _front_with_history().start():
        context = gather_context(_inbound(app_id="ghost"))

    assert set(context["fallbacks"]) == {"app", "customer"}
    assert context["app"]["slug"] == "ghost" and context["app"]["auto_send"] is False and context["app"]["approval_policy"] == {}


def test_a_preview_without_body_or_sender_is_completed_from_front(database_url: str, served_product: tuple[FakeProductApp, str]) -> None:
    _register(served_product[1])
    with _front_with_history().start():
        context = gather_context(_inbound(body=None, sender_email=None, sender_name=None))

    assert context["fallbacks"] == []
    assert context["latest_message"]["body"] == "Please refund me"
    assert context["latest_message"]["sender_email"] == ADA
    assert context["customer"]["user"]["email"] == ADA


LONG = "Here is the whole thread again, quoted. " * 1_000 + "THE END: please refund order pi_1."  # ~40 KB


def test_a_cut_body_is_read_whole_from_front_and_the_agent_sees_it(database_url: str, served_product: tuple[FakeProductApp, str]) -> None:
    from lib.agent import decide
    from lib.agent.models import AgentContext
    from devkit.sandbox.openai_server import FakeOpenAI

    _register(served_product[1])
    inbound = _inbound(body=LONG)  # what the webhook sends: the start of the body, marked cut
    assert inbound.body_truncated and "THE END" not in (inbound.body or "")
    front = FakeFront()
    front.add_conversation(CONVERSATION, inbox_id=INBOX, messages=[front_message("msg_2", LONG, sender=ADA, subject="Refund")])
    with front.start():
        context = gather_context(inbound)

    assert context["fallbacks"] == []
    assert context["latest_message"]["body"] == LONG
    with FakeOpenAI() as openai_fake:
        decide(AgentContext.model_validate(context))
    assert "THE END: please refund order pi_1." in openai_fake.completions[0]["messages"][1]["content"]


def test_a_cut_body_not_yet_listed_is_fetched_by_message_id(database_url: str, served_product: tuple[FakeProductApp, str]) -> None:
    _register(served_product[1])
    front = _front_with_history()
    front.messages["msg_3"] = front_message("msg_3", LONG, sender=ADA)  # Front has it; the conversation list does not yet
    with front.start():
        context = gather_context(_inbound(message_id="msg_3", body=LONG))

    assert context["latest_message"]["body"] == LONG
    assert front.calls_to("GET", "/messages/msg_3") == 1


def test_an_uncut_body_is_not_fetched_again(database_url: str, served_product: tuple[FakeProductApp, str]) -> None:
    _register(served_product[1])
    front = _front_with_history()
    front.messages["msg_3"] = front_message("msg_3", "Something else entirely", sender=ADA)
    with front.start():
        context = gather_context(_inbound(message_id="msg_3", body="short"))

    assert context["latest_message"]["body"] == "short"
    assert front.calls_to("GET", "/messages/msg_3") == 0


def test_a_huge_thread_stays_within_inngest_s_step_output_limit(database_url: str, served_product: tuple[FakeProductApp, str]) -> None:
    """Inngest refuses step data over 4 MiB: a multi-megabyte message is cut, the latest at 128 KiB, history at 16 KiB."""
    import json

    from lib.workflows.inbound.context import MAX_HISTORY_TEXT_BYTES, MAX_LATEST_TEXT_BYTES

    _register(served_product[1])
    huge = "Forwarding the whole archive below. " * 150_000  # ~5.4 MB
    front = FakeFront()
    front.add_conversation(CONVERSATION, inbox_id=INBOX, messages=[
        front_message(f"msg_h{i}", huge, sender=ADA, subject="Archive") for i in range(3)])
    with front.start():
        context = gather_context(_inbound(message_id="msg_h2", body=huge))

    assert context["fallbacks"] == []
    assert len(json.dumps(context).encode()) < 4 * 1024 * 1024
    assert context["latest_message"]["body"].startswith("Forwarding the whole archive")
    assert len(context["latest_message"]["body"].encode()) == MAX_LATEST_TEXT_BYTES
    assert [len(m["text"].encode()) for m in context["messages"]] == [MAX_HISTORY_TEXT_BYTES] * 3
