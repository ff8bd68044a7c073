"""The `route` step inside `handle-inbound-message` (SDK's mocked executor, fake Front, fake OpenAI).

With a key set, so "no agent call" is observable: the fake OpenAI records every request.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import inngest
import pytest
from inngest.experimental import mocked

from lib import audit, conversations
from lib.apps import registry
from lib.inngest.events import FRONT_INBOUND_RECEIVED, InboundReceived
from devkit.sandbox.front import FakeFront, front_message
from devkit.sandbox.openai_server import FakeOpenAI

CONVERSATION = "cnv_route"
INBOX = "inb_route"


@pytest.fixture
def front() -> Iterator[FakeFront]:
    with FakeFront() as fake:
        fake.add_tag("tag_noreply", "no reply needed")
        yield fake


@pytest.fixture
def openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def _run(front: FakeFront, text: str, *, subject: str = "Help", sender: str = "ada@example.com", message_id: str = "msg_1") -> Any:
    from lib.workflows.inbound import handle_inbound_message

    if CONVERSATION not in front.conversations:
        front.add_conversation(CONVERSATION, inbox_id=INBOX)
    front.add_message(CONVERSATION, front_message(message_id, text=text, sender=sender, subject=subject))
    inbound = InboundReceived(conversation_id=CONVERSATION, message_id=message_id, inbox_id=INBOX, app_id="acme", subject=subject,
                              body=text, sender_email=sender, sender_name="Ada", front_event_id=f"evt_{message_id}")
    event = FRONT_INBOUND_RECEIVED.build(inbound, id=inbound.front_event_id)
    result = mocked.trigger(handle_inbound_message, event, mocked.Inngest(app_id="support-workflows", is_production=False, serializer=inngest.PydanticSerializer()))
    assert result.status is mocked.Status.COMPLETED, result.error
    json.dumps(result.output)
    return result.output


def test_an_out_of_office_reply_ends_the_run_with_no_model_call_and_no_draft(database_url: str, front: FakeFront, openai: FakeOpenAI) -> None:
    app = registry.create_app(slug="acme", name="Acme", front_inbox_id=INBOX, no_reply_action="archive")
    output = _run(front, "Thank you for your message. I am out of the office until 12 March with limited access to email.",
                  subject="Automatic reply: Help")

    assert output["route"]["route"] == "no_reply" and output["route"]["category"] == "auto_reply"
    assert openai.requests == []  # neither the classifier nor the agent
    assert front.drafts == [] and front.comments == []
    assert front.conversations[CONVERSATION]["status"] == "archived"  # the app's choice
    assert conversations.route_of(CONVERSATION)[0] == "no_reply"
    routed = [e for e in audit.entries(conversation_id=CONVERSATION) if e["kind"] == "conversation.routed"]
    assert len(routed) == 1 and routed[0]["details"]["rule"] == "auto_reply_subject"
    assert routed[0]["details"]["app_id"] == app.id  # the dashboard counts messages and routes per app from these rows


def test_a_thank_you_is_tagged_when_the_app_says_so(database_url: str, front: FakeFront, openai: FakeOpenAI) -> None:
    registry.create_app(slug="acme", name="Acme", front_inbox_id=INBOX, no_reply_action="tag", no_reply_tag_id="tag_noreply")
    output = _run(front, "Thanks, that worked!")

    assert output["route"]["route"] == "no_reply" and output["noReply"] == {"frontAction": "tag", "done": True, "reason": None}
    assert front.conversations[CONVERSATION]["tags"] == ["tag_noreply"]
    assert openai.requests == [] and front.drafts == []


def test_a_legal_threat_gets_a_front_comment_and_no_draft(database_url: str, front: FakeFront, openai: FakeOpenAI) -> None:
    registry.create_app(slug="acme", name="Acme", front_inbox_id=INBOX)
    output = _run(front, "You charged me again after I cancelled. Refund it by Friday or my lawyer will take legal action.")

    assert output["route"]["route"] == "human" and output["route"]["category"] == "legal"
    assert openai.requests == [] and front.drafts == []
    assert len(front.comments) == 1 and "needs a person" in front.comments[0]["body"]
    assert conversations.needs_human(CONVERSATION)
    assert front.conversations[CONVERSATION]["status"] == "unassigned"  # a person's conversation is never archived


def test_an_open_question_is_classified_once_then_answered_with_category_stored(database_url: str, front: FakeFront, openai: FakeOpenAI) -> None:
    registry.create_app(slug="acme", name="Acme", front_inbox_id=INBOX)
    output = _run(front, "Please refund my order, the export feature does not do what I need.")

    router_calls = [r for r in openai.requests if (r.get("response_format") or {}).get("json_schema", {}).get("name") == "RouteOutput"]
    assert len(router_calls) == 1 and "tools" not in router_calls[0] and "parallel_tool_calls" not in router_calls[0]
    assert router_calls[0]["model"] == "gpt-4.1-nano"
    assert output["route"]["source"] == "classifier" and output["route"]["route"] == "respond"
    # Routed once: gather-context left it to the `route` step, which recorded it.
    routed = [e for e in audit.entries(conversation_id=CONVERSATION) if e["kind"] == "conversation.routed"]
    assert [e["details"]["rule"] for e in routed] == ["classifier"]
    assert conversations.route_of(CONVERSATION)[0] == "respond"
    assert len(openai.requests) > 1 and len(front.drafts) == 1
    # No purchases on record (no product app here): the fake brain asks which order, as a refund at 0.6.
    assert (output["category"], output["confidence"]) == ("refund", 0.6) and output["action"] is None
    from lib.db import get_db
    from lib.db.models import Draft

    with get_db().session() as session:
        row = session.query(Draft).filter_by(conversation_id=CONVERSATION).one()
        assert (row.category, row.confidence) == ("refund", 0.6)


def test_the_router_model_is_a_setting(database_url: str, front: FakeFront, openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_ROUTER_MODEL", "gpt-router-test")
    registry.create_app(slug="acme", name="Acme", front_inbox_id=INBOX)
    _run(front, "Does the Pro plan include the API?")
    assert openai.requests[0]["model"] == "gpt-router-test"


def test_a_message_right_after_our_auto_send_goes_to_a_person(database_url: str, front: FakeFront, openai: FakeOpenAI) -> None:
    registry.create_app(slug="acme", name="Acme", front_inbox_id=INBOX)
    sent = conversations.record_draft(conversation_id=CONVERSATION, run_id="run_earlier", front_draft_id=None, body="Hi!", send_after=None)
    assert conversations.set_draft_status(sent.id, conversations.DRAFT_SENT)
    output = _run(front, "We received your request and a team member will get back to you soon. Reference 55102.",
                  subject="Re: Your Acme request")

    assert output["route"]["rule"] == "loop_guard"
    assert openai.requests == [] and front.drafts == []


def test_gathering_routes_by_the_rules_and_leaves_the_classifier_to_the_route_step(database_url: str, front: FakeFront,
                                                                                   openai: FakeOpenAI) -> None:
    from lib.workflows.inbound import steps

    registry.create_app(slug="acme", name="Acme", front_inbox_id=INBOX)
    front.add_conversation(CONVERSATION, inbox_id=INBOX)
    thanks = _inbound(front, "msg_thanks", "Thanks, that worked!")
    gathered = steps.gather(thanks)
    assert gathered.routed is not None and (gathered.routed.route, gathered.routed.rule) == ("no_reply", "closer")
    assert conversations.route_of(CONVERSATION)[0] == "no_reply"

    unclear = _inbound(front, "msg_unclear", "Suggestion: a weekly summary e-mail of my projects would be great.")
    assert steps.gather(unclear).routed is None  # the classifier's to decide, in its own step
    assert openai.requests == []  # gathering never calls a model


def test_gathering_reads_the_loop_guard_and_records_the_route_in_one_transaction(database_url: str, front: FakeFront) -> None:
    """On MySQL every session is a pool checkout with its ping: the rules' path pays for one."""
    from sqlalchemy import event

    from lib.db import get_db
    from lib.workflows.inbound import steps

    registry.create_app(slug="acme", name="Acme", front_inbox_id=INBOX)
    front.add_conversation(CONVERSATION, inbox_id=INBOX)
    seen: list[tuple[int, str]] = []

    def statement(conn: Any, cursor: Any, sql: str, *_: Any) -> None:
        seen.append((id(conn.get_transaction()), sql.split()[0].upper() + (" drafts" if "drafts" in sql else "")
                     + (" audit" if "audit" in sql else "")))

    engine = get_db().engine
    event.listen(engine, "before_cursor_execute", statement)
    try:
        assert steps.gather(_inbound(front, "msg_thanks", "Thanks, that worked!")).routed is not None
    finally:
        event.remove(engine, "before_cursor_execute", statement)
    [guard] = [tx for tx, what in seen if what == "SELECT drafts"]
    [record] = [tx for tx, what in seen if what == "INSERT audit"]
    assert guard == record


def test_gathering_leaves_routing_to_the_route_step_when_the_database_is_down(front: FakeFront,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The loop guard cannot read our drafts: the rules cannot be trusted, and gathering must not fail for it."""
    from lib.apps.registry import clear_cache
    from lib.db import reset_db
    from lib.workflows.inbound import steps
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("DATABASE_URL", f"mysql+pymysql://root@127.0.0.1:{port}/nothing?connect_timeout=1")
    reset_db()
    clear_cache()
    try:
        front.add_conversation(CONVERSATION, inbox_id=INBOX)
        gathered = steps.gather(_inbound(front, "msg_thanks", "Thanks, that worked!"))
    finally:
        monkeypatch.undo()
        reset_db()
        clear_cache()
    assert gathered.routed is None and "app" in gathered.context.fallbacks


def test_a_context_stored_before_gathering_routed_still_reads_back() -> None:
    """Runs in flight across the deploy stored gather-context's bare context: they go on to the `route` step."""
    from lib.workflows.inbound.models import Gathered
    from tests.agent.helpers import context

    stored = context("Thanks, that worked!")
    gathered = Gathered.model_validate(stored)
    assert gathered.routed is None and gathered.context.conversation_id == stored["conversation_id"]


def _inbound(front: FakeFront, message_id: str, text: str) -> InboundReceived:
    front.add_message(CONVERSATION, front_message(message_id, text=text, sender="ada@example.com", subject="Help"))
    return InboundReceived(conversation_id=CONVERSATION, message_id=message_id, inbox_id=INBOX, app_id="acme", subject="Help",
                           body=text, sender_email="ada@example.com", sender_name="Ada", front_event_id=f"evt_{message_id}")
