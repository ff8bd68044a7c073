"""`handle-inbound-message` step by step with the SDK's mocked executor, against the fake Front.

The mocked executor neither checks that outputs are JSON nor memoizes a failed
step as a `StepError`; JSON is asserted here, the hand-to-human path runs end to
end through the offline executor (tests/e2e).
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import inngest
import pytest
from inngest.experimental import mocked

from lib import conversations
from lib.agent.models import AppInfo
from lib.actions.store import get_action
from lib.apps import registry
from lib.inngest.events import FRONT_INBOUND_RECEIVED, InboundReceived
from devkit.sandbox.front import FakeFront, front_message
from devkit.sandbox.product_app import FakeProductApp
from devkit.sandbox.server import LocalServer
from tests.trusted import CATEGORY, CONFIDENT, trust

CONVERSATION = "cnv_100"
INBOX = "inb_support"
SECRET = "integration-secret"


@pytest.fixture
def front(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeFront]:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)  # the offline rules agent
    with FakeFront() as fake:
        yield fake


@pytest.fixture(scope="module")
def product() -> Iterator[FakeProductApp]:
    """The customer's product app, with one purchase on record."""
    app = FakeProductApp(SECRET)
    app.add_user("ada@example.com", name="Ada Lovelace", purchases=[{"id": "pi_100", "product": "Pro plan", "amount": 4900, "currency": "usd"}])
    with LocalServer(app.app) as server:
        app.url = f"{server.url}/support"  # type: ignore[attr-defined]
        yield app


def _client() -> mocked.Inngest:
    return mocked.Inngest(app_id="support-workflows", is_production=False, serializer=inngest.PydanticSerializer())


def _app(product: FakeProductApp | None = None, **overrides: Any) -> registry.AppRecord:
    fields: dict[str, Any] = {"slug": "acme", "name": "Acme", "front_inbox_id": INBOX}
    if product is not None:
        fields.update(integration_url=product.url, integration_secret=SECRET)  # type: ignore[attr-defined]
    fields.update(overrides)
    return registry.create_app(**fields)


def _inbound(front: FakeFront, text: str, message_id: str = "msg_1") -> InboundReceived:
    front.add_conversation(
        CONVERSATION,
        messages=[front_message(message_id, text=text, sender="ada@example.com", subject="Help")],
        inbox_id=INBOX,
    )
    return InboundReceived(
        conversation_id=CONVERSATION,
        message_id=message_id,
        inbox_id=INBOX,
        app_id="acme",
        subject="Help",
        body=text,
        sender_email="ada@example.com",
        sender_name="Ada",
        front_event_id=f"evt_{message_id}",
    )


def _trigger(inbound: InboundReceived) -> Any:
    from lib.workflows.inbound import handle_inbound_message

    event = FRONT_INBOUND_RECEIVED.build(inbound, id=inbound.front_event_id)
    return mocked.trigger(handle_inbound_message, event, _client())


def test_refund_request_stores_the_action_asks_for_approval_and_drafts(database_url: str, front: FakeFront, product: FakeProductApp) -> None:
    _app(product)
    result = _trigger(_inbound(front, "I was charged twice, please refund my last purchase"))

    assert result.status is mocked.Status.COMPLETED, result.error
    output = result.output
    json.dumps(output)  # what the real executor would require
    assert output["processed"] is True
    assert output["action"]["type"] == "refund"
    assert output["action"]["status"] == "pending_approval"
    stored = get_action(output["action"]["id"])
    assert stored is not None and stored.requires_approval and stored.conversation_id == CONVERSATION
    assert len(front.drafts) == 1
    assert front.drafts[0]["conversation_id"] == CONVERSATION
    assert output["draft"]["frontDraftId"] == str(front.drafts[0]["id"])
    assert output["autoSend"] is None  # the app did not opt in


def test_a_question_gets_a_draft_and_no_action(database_url: str, front: FakeFront) -> None:
    _app()
    result = _trigger(_inbound(front, "What are your opening hours?"))

    assert result.status is mocked.Status.COMPLETED, result.error
    assert result.output["action"] is None
    json.dumps(result.output)
    assert len(front.drafts) + len(front.comments) >= 1  # a draft, or a hand-over comment for a human


def _executed(status: str, reason: str | None = None, **fields: Any) -> dict[str, Any]:
    """What the invoked `execute-approved-action` answers (it runs for real in tests/e2e)."""
    return {"done": status == "completed", "reason": reason, "id": "act_x", "type": "magic_link", "status": status, "result": None,
            **fields}


def test_a_policy_approved_action_is_invoked_and_its_link_goes_out_with_the_reply(database_url: str, front: FakeFront, product: FakeProductApp) -> None:
    trust(_app(product, auto_send=True, auto_send_delay_seconds=60, confidence_floor=0.5).id, "access")
    link = "https://product.example/login/abc"
    event = FRONT_INBOUND_RECEIVED.build(_inbound(front, "I cannot log in, please send me a login link"), id="evt_msg_1")
    from lib.workflows.inbound import handle_inbound_message

    result = mocked.trigger(handle_inbound_message, event, _client(),
                            step_stubs={"execute-action": _executed("completed", result={"url": link})})

    assert result.status is mocked.Status.COMPLETED, result.error
    json.dumps(result.output)
    action = result.output["action"]
    assert (action["type"], action["status"]) == ("magic_link", "completed")
    stored = get_action(action["id"])
    assert stored is not None and not stored.requires_approval  # a link to the customer's own address
    assert result.output["autoSend"] == {"done": True}
    assert "access trust 1.00" in result.output["draft"]["autoSendReason"]
    assert len(front.replies) == 1 and link in front.replies[0]["body"]
    draft = conversations.run_draft("test")
    assert draft is not None and draft.status == conversations.DRAFT_SENT


def test_a_failed_action_turns_auto_send_off_for_its_reply(database_url: str, front: FakeFront, product: FakeProductApp) -> None:
    trust(_app(product, auto_send=True, auto_send_delay_seconds=60, confidence_floor=0.5).id, "access")  # trusted, yet not sent
    event = FRONT_INBOUND_RECEIVED.build(_inbound(front, "I cannot log in, please send me a login link"), id="evt_msg_1")
    from lib.workflows.inbound import handle_inbound_message

    failed = _executed("failed", reason="the app cannot do this itself; a teammate must do it by hand")
    result = mocked.trigger(handle_inbound_message, event, _client(), step_stubs={"execute-action": failed})

    assert result.status is mocked.Status.COMPLETED, result.error
    action = result.output["action"]
    assert (action["type"], action["status"], action["done"]) == ("magic_link", "failed", False) and "by hand" in action["reason"]
    assert result.output["autoSend"] is None and front.replies == []
    assert len(front.drafts) == 1 and "sign-in link:" not in front.drafts[0]["body"].lower()
    assert "an action failed" in result.output["draft"]["autoSendReason"]
    assert any("will not send this draft automatically: an action failed" in c["body"] for c in front.comments)


def test_a_teammate_reply_before_the_send_stops_the_auto_send(database_url: str, front: FakeFront) -> None:
    from lib.workflows.inbound import steps

    app = _app(auto_send=True)
    trust(app.id)
    inbound = _inbound(front, "What are your opening hours?")
    draft = steps.create_draft(CONVERSATION, "run-1", "We are open 9 to 5.", AppInfo(id=app.id, slug="acme", auto_send=True, auto_send_delay_seconds=60),
                               CATEGORY, CONFIDENT)
    assert draft.send_after is not None
    assert conversations.supersede_pending_drafts(inbound.conversation_id) == 1

    assert steps.auto_send(draft).model_dump() == {"done": False, "reason": "a teammate replied or the draft was already handled"}
    assert front.replies == []


def test_create_draft_runs_once_per_run(database_url: str, front: FakeFront) -> None:
    from lib.workflows.inbound import steps

    _inbound(front, "hello")
    first = steps.create_draft(CONVERSATION, "run-1", "Hi!", AppInfo(slug="acme"))
    again = steps.create_draft(CONVERSATION, "run-1", "Hi!", AppInfo(slug="acme"))
    assert again.front_draft_id == first.front_draft_id
    assert len(front.drafts) == 1
