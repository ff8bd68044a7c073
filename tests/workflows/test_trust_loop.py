"""The trust loop in the workflows: the gate in `create-draft`, signals from `record-human-reply`, our own sends ignored."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator

import inngest
import pytest
from inngest.experimental import mocked

from lib import conversations
from lib.agent.models import AppInfo
from lib.apps import registry
from lib.inngest.events import FRONT_OUTBOUND_SENT, OutboundSent
from lib.trust import scores
from lib.workflows.inbound import steps
from devkit.sandbox.front import FakeFront, front_message
from tests.trusted import CATEGORY, CONFIDENT, trust

CONVERSATION = "cnv_t"
INBOX = "inb_t"


@pytest.fixture
def front(database_url: str) -> Iterator[FakeFront]:
    with FakeFront() as fake:
        fake.add_conversation(CONVERSATION, messages=[front_message("msg_in", "How do I export my data?")], inbox_id=INBOX)
        yield fake


@pytest.fixture
def app(database_url: str) -> AppInfo:
    record = registry.create_app(slug="acme", name="Acme", front_inbox_id=INBOX, auto_send=True, auto_send_delay_seconds=60)
    return AppInfo.model_validate(record.public())


def _reply(front: FakeFront, text: str | None, message_id: str = "msg_out", *, html: str | None = None) -> Any:
    message = front_message(message_id, text, is_inbound=False, created_at=1_790_000_000.0)
    if html is not None:
        message["body"], message["text"] = html, ""
    front.add_message(CONVERSATION, message)
    return _deliver(message_id)


def _deliver(message_id: str) -> Any:
    from lib.workflows.replies import record_human_reply

    reply = OutboundSent(conversation_id=CONVERSATION, message_id=message_id, inbox_id=INBOX, app_id="acme",
                         author_email="ann@acme.example", front_event_id=f"evt_{message_id}")
    client = mocked.Inngest(app_id="support-workflows", is_production=False, serializer=inngest.PydanticSerializer())
    result = mocked.trigger(record_human_reply, FRONT_OUTBOUND_SENT.build(reply, id=reply.front_event_id), client)
    assert result.status is mocked.Status.COMPLETED, result.error
    return result.output


# -- the gate in create-draft ----------------------------------------------------------------------


def test_a_trusted_category_is_scheduled_and_teammates_are_told_why(front: FakeFront, app: AppInfo) -> None:
    trust(app.id)  # type: ignore[arg-type]
    received = datetime(2026, 11, 26, 1, 2, 3)
    draft = steps.create_draft(CONVERSATION, "run-1", "Use Settings > Export.", app, CATEGORY, CONFIDENT, "respond", False, received)
    assert draft.send_after is not None and "product_question trust 1.00 over 50 replies" in (draft.auto_send_reason or "")
    [comment] = front.comments
    assert "will send this draft automatically" in comment["body"] and "product_question trust" in comment["body"]
    from lib.db import get_db
    from lib.db.models import Draft

    with get_db().session() as session:
        row = session.get(Draft, draft.id)
        assert row is not None and (row.app_id, row.received_at, row.category) == (app.id, received, CATEGORY)


@pytest.mark.parametrize(
    ("category", "confidence", "route", "failed", "why"),
    [
        ("billing", CONFIDENT, "respond", False, "billing has 0 of the 50 teammate replies"),
        (CATEGORY, 0.5, "respond", False, "confidence 0.50 is below 0.90"),
        (CATEGORY, CONFIDENT, "respond", True, "an action failed"),
        ("legal", CONFIDENT, "respond", False, "legal is never auto-sent"),
    ],
)
def test_the_gate_keeps_a_draft_for_a_teammate_and_says_why(front: FakeFront, app: AppInfo, category: str, confidence: float,
                                                             route: str, failed: bool, why: str) -> None:
    trust(app.id)  # type: ignore[arg-type]
    trust(app.id, "legal")  # type: ignore[arg-type]  # trust does not open a never-list category
    draft = steps.create_draft(CONVERSATION, "run-1", "Hello", app, category, confidence, route, failed)
    assert draft.send_after is None and why in (draft.auto_send_reason or "")
    assert why in front.comments[0]["body"] and "will not send" in front.comments[0]["body"]
    assert conversations.supersede_pending_drafts(CONVERSATION) == 0  # nothing was pending


def test_an_app_without_auto_send_gets_the_reason_stored_but_no_comment(front: FakeFront, app: AppInfo) -> None:
    off = app.model_copy(update={"auto_send": False})
    draft = steps.create_draft(CONVERSATION, "run-1", "Hello", off, CATEGORY, CONFIDENT)
    assert draft.auto_send_reason == "auto-send is off for this app" and front.comments == []


# -- signals from record-human-reply ---------------------------------------------------------------


def test_the_draft_sent_as_it_was_is_unchanged_and_moves_trust_once(front: FakeFront, app: AppInfo) -> None:
    draft = steps.create_draft(CONVERSATION, "run-1", "Go to **Settings**, then *Export*.", app, CATEGORY, CONFIDENT)
    output = _reply(front, None, html=front.drafts[0]["body"])  # the teammate sent our draft: Front's HTML, no `text`
    assert output["signal"] == {"done": True, "kind": "unchanged", "similarity": 1.0, "category": CATEGORY,
                                "draftId": draft.id, "reason": None}
    assert _deliver("msg_out")["signal"]["reason"] == "already recorded"  # a replayed webhook counts once
    trusted = scores.trust_for(app.id, CATEGORY)
    assert trusted is not None and (trusted.samples, trusted.score) == (1, 1.0)


def test_a_rewrite_counts_against_trust_and_keeps_both_texts(front: FakeFront, app: AppInfo) -> None:
    steps.create_draft(CONVERSATION, "run-1", "Go to Settings, then Export.", app, CATEGORY, CONFIDENT)
    assert _reply(front, "We cannot export that yet, sorry; I have passed your request on to our product team.")["signal"]["kind"] == "major_rewrite"
    from sqlalchemy import select

    from lib.db import get_db
    from lib.db.models import ReplySignal

    with get_db().session() as session:
        [signal] = session.scalars(select(ReplySignal)).all()
        assert signal.draft_text == "Go to Settings, then Export." and signal.sent_text and "product team" in signal.sent_text
        assert signal.author == "ann@acme.example" and signal.sent_at == datetime(2026, 9, 21, 14, 13, 20)
    assert scores.trust_for(app.id, CATEGORY).score == 0.0  # type: ignore[union-attr]


def test_a_second_reply_after_the_first_judged_the_draft_is_no_draft(front: FakeFront, app: AppInfo) -> None:
    steps.create_draft(CONVERSATION, "run-1", "Go to Settings, then Export.", app, CATEGORY, CONFIDENT)
    _reply(front, "Go to Settings, then Export.", "msg_a")
    assert _reply(front, "Also: the export runs nightly.", "msg_b")["signal"]["kind"] == "no_draft"
    assert scores.trust_for(app.id, CATEGORY).samples == 1  # type: ignore[union-attr]


def test_our_own_auto_send_coming_back_from_front_is_not_a_teammate_reply(front: FakeFront, app: AppInfo) -> None:
    trust(app.id, samples=50)  # type: ignore[arg-type]
    draft = steps.create_draft(CONVERSATION, "run-1", "Go to Settings, then Export.", app, CATEGORY, CONFIDENT)
    assert steps.auto_send(draft).done is True
    [sent_id] = [m for m in front.conversations[CONVERSATION]["message_ids"] if m.startswith("msg_sent")]
    output = _deliver(sent_id)  # Front's outbound webhook for the message our auto-send became
    assert output["signal"] == {"done": False, "kind": None, "similarity": None, "category": None, "draftId": None,
                                "reason": "our own auto-send"}
    assert scores.trust_for(app.id, CATEGORY).samples == 50  # type: ignore[union-attr]
    # ... while a teammate's later message in the conversation is a follow-up, not a verdict on the sent draft
    assert _reply(front, "Let us know if that worked!", "msg_later")["signal"]["kind"] == "no_draft"


def test_a_reply_while_our_send_is_going_out_is_retried(front: FakeFront, app: AppInfo) -> None:
    from lib.workflows.replies import steps as reply_steps

    draft = steps.create_draft(CONVERSATION, "run-1", "Hello", app, CATEGORY, CONFIDENT)
    assert conversations.set_draft_status(draft.id, conversations.DRAFT_SENDING)
    front.add_message(CONVERSATION, front_message("msg_x", "Hello", is_inbound=False))
    with pytest.raises(reply_steps.OurSendInFlight):
        reply_steps.record_signal(OutboundSent(conversation_id=CONVERSATION, message_id="msg_x", front_event_id="evt_x"))


def test_a_merged_conversations_draft_is_judged_in_the_surviving_one(front: FakeFront, app: AppInfo) -> None:
    front.add_conversation("cnv_old", messages=[front_message("msg_o", "Export?")], inbox_id=INBOX)
    front.merge("cnv_old", CONVERSATION)
    draft = steps.create_draft("cnv_old", "run-1", "Go to Settings, then Export.", app, CATEGORY, CONFIDENT)
    assert draft.conversation_id == CONVERSATION  # recorded where it landed
    assert _reply(front, "Go to Settings, then Export.")["signal"]["kind"] == "unchanged"
