"""The trust loop end to end: teammates' replies earn one category auto-send, another stays with teammates.

Customer webhooks -> drafts in Front -> teammates send them (Front's outbound webhooks) ->
signals and trust -> the next draft in the trusted category goes out by itself, the other
category's does not, and each draft stores why. The outbound webhook Front sends for our own
auto-send is recognised and does not count.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from devkit.teammates import CUSTOMER_MESSAGES, teammate_text
from lib.db import get_db
from lib.db.models import Draft
from lib.front.messages import html_to_text
from lib.trust.scores import trust_for

TRUSTED, UNTRUSTED = "billing", "product_question"
MIN_SAMPLES = 4


def _answer_like_a_teammate(scene: Any, conversation: str, index: int, style: str = "unchanged") -> None:
    scene.customer_writes(conversation, CUSTOMER_MESSAGES[_category(conversation)][index % 3], event_id=f"evt_{conversation}")
    replied = len(scene.stack.runs("record-human-reply"))
    scene.stack.wait_for_run("handle-inbound-message", count=replied + 1, timeout=60)  # the draft is written, the run over
    draft = next(d for d in scene.front.drafts if d["conversation_id"] == conversation)
    text = teammate_text(html_to_text(draft["body"]), style, index)
    assert scene.teammate_replies(conversation, event_id=f"evt_{conversation}_reply", text=text).status_code == 200
    scene.stack.wait_for_run("record-human-reply", count=replied + 1, timeout=60)


def _category(conversation: str) -> str:
    return TRUSTED if conversation.startswith("cnv_a") else UNTRUSTED


def _draft_of(conversation: str) -> Draft:
    with get_db().session() as session:
        return session.scalars(select(Draft).where(Draft.conversation_id == conversation)).one()


def test_replies_open_a_trusted_category_and_not_the_other(sqlite_url: str, scene_factory: Any) -> None:
    scene = scene_factory(auto_send=True, auto_send_delay_seconds=60, trust_min_samples=MIN_SAMPLES, confidence_floor=0.3)
    app_id = scene.app.id
    for index in range(MIN_SAMPLES):
        _answer_like_a_teammate(scene, f"cnv_a{index}", index)
    for index in range(MIN_SAMPLES):  # as many replies, but teammates rewrite every second draft
        _answer_like_a_teammate(scene, f"cnv_b{index}", index, "rewritten" if index % 2 else "unchanged")

    trusted, untrusted = trust_for(app_id, TRUSTED), trust_for(app_id, UNTRUSTED)
    assert trusted is not None and (trusted.samples, trusted.score) == (MIN_SAMPLES, 1.0)
    assert untrusted is not None and untrusted.samples == MIN_SAMPLES and untrusted.score == 0.5
    assert scene.front.replies == []  # nothing went out by itself while trust was being earned

    scene.customer_writes("cnv_a_next", CUSTOMER_MESSAGES[TRUSTED][0], event_id="evt_a_next")
    scene.customer_writes("cnv_b_next", CUSTOMER_MESSAGES[UNTRUSTED][0], event_id="evt_b_next")
    runs = scene.stack.wait_for_run("handle-inbound-message", count=2 * MIN_SAMPLES + 2, timeout=60)
    outputs = {r["event"]["data"]["conversationId"]: r["output"] for r in runs}

    assert outputs["cnv_a_next"]["autoSend"] == {"done": True}
    assert [r["conversation_id"] for r in scene.front.replies] == ["cnv_a_next"]
    assert outputs["cnv_b_next"]["autoSend"] is None
    sent, kept = _draft_of("cnv_a_next"), _draft_of("cnv_b_next")
    assert sent.status == "sent" and sent.auto_send_reason.startswith(f"{TRUSTED} trust 1.00 over {MIN_SAMPLES} replies")
    assert kept.status == "created" and kept.auto_send_reason == f"{UNTRUSTED} trust 0.50 is below 0.85"
    # when our webhook received each message (the inbound event's ts), for the dashboard's webhook-to-draft time
    assert sent.received_at is not None and abs((sent.created_at - sent.received_at).total_seconds()) < 3600
    comments = {c["conversation_id"]: c["body"] for c in scene.front.comments}
    assert "will send this draft automatically" in comments["cnv_a_next"]
    assert "will not send this draft automatically: product_question trust 0.50" in comments["cnv_b_next"]

    # Front tells us about the message our auto-send became: not a teammate's reply, trust does not move.
    [ours] = [m for m in scene.front.conversations["cnv_a_next"]["message_ids"] if m.startswith("msg_sent")]
    scene.teammate_replies("cnv_a_next", event_id="evt_ours", message_id=ours)
    [*_, recorded] = scene.stack.wait_for_run("record-human-reply", count=2 * MIN_SAMPLES + 1, timeout=60)
    assert recorded["output"]["signal"]["reason"] == "our own auto-send"
    assert trust_for(app_id, TRUSTED).samples == MIN_SAMPLES  # type: ignore[union-attr]
