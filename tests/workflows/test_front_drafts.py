"""The draft steps against Front as it really behaves: merged conversations, draft versions, rate limits."""

from __future__ import annotations

from typing import Iterator

import inngest
import pytest

from lib import conversations
from lib.agent.models import AppInfo
from lib.workflows.inbound import steps
from devkit.sandbox.front import FakeFront, front_message
from tests.trusted import CATEGORY, CONFIDENT, trust

AUTO = AppInfo(id=1, slug="acme", auto_send=True, auto_send_delay_seconds=60)


@pytest.fixture
def front(database_url: str) -> Iterator[FakeFront]:
    trust(1)  # the category has earned auto-send; how the gate decides is tested in tests/trust
    with FakeFront() as fake:
        fake.add_conversation("cnv_old", messages=[front_message("msg_1", "Where is my order?")], inbox_id="inb_1", channel_id="cha_1")
        fake.add_conversation("cnv_new", messages=[front_message("msg_2", "Also this")], inbox_id="inb_1", channel_id="cha_1")
        yield fake


def test_a_draft_for_a_merged_conversation_is_made_and_recorded_in_the_surviving_one(database_url: str, front: FakeFront) -> None:
    front.merge("cnv_old", "cnv_new")
    draft = steps.create_draft("cnv_old", "run-m", "We are on it.", AUTO, CATEGORY, CONFIDENT)
    assert draft.conversation_id == "cnv_new" and draft.front_draft_id == front.drafts[0]["id"]
    assert front.drafts[0]["conversation_id"] == "cnv_new"
    # a teammate's reply in the surviving conversation stops our auto-send
    assert conversations.supersede_pending_drafts("cnv_new") == 1
    assert steps.auto_send(draft).done is False and front.replies == []


def test_auto_send_after_a_merge_sends_in_the_surviving_conversation_and_follows_it(database_url: str, front: FakeFront) -> None:
    draft = steps.create_draft("cnv_old", "run-m2", "We are on it.", AUTO, CATEGORY, CONFIDENT)
    front.merge("cnv_old", "cnv_new")
    assert steps.auto_send(draft).done is True
    assert [r["conversation_id"] for r in front.replies] == ["cnv_new"]
    assert front.drafts == [] and conversations.run_draft("run-m2").conversation_id == "cnv_new"


def test_a_retried_create_draft_knows_the_version_so_the_sent_draft_is_deleted(database_url: str, front: FakeFront) -> None:
    first = steps.create_draft("cnv_old", "run-v", "Hello", AUTO, CATEGORY, CONFIDENT)
    again = steps.create_draft("cnv_old", "run-v", "Hello", AUTO, CATEGORY, CONFIDENT)  # the first attempt's output was lost
    assert again.front_draft_id == first.front_draft_id and again.version == first.version
    assert len(front.drafts) == 1
    assert steps.auto_send(again).done is True
    assert front.drafts == [] and [d["id"] for d in front.deleted_drafts] == [first.front_draft_id]


def test_a_draft_a_teammate_edited_is_theirs_and_not_auto_sent(database_url: str, front: FakeFront) -> None:
    draft = steps.create_draft("cnv_old", "run-e", "Hello", AUTO, CATEGORY, CONFIDENT)
    front.teammate_edits_draft(draft.front_draft_id, "<p>Let me handle this personally.</p>")
    result = steps.auto_send(draft)
    assert result.done is False and "teammate" in (result.reason or "")
    assert front.replies == [] and len(front.drafts) == 1  # their draft stays
    assert conversations.run_draft("run-e").status == conversations.DRAFT_SUPERSEDED


def test_a_draft_a_teammate_deleted_is_not_auto_sent(database_url: str, front: FakeFront) -> None:
    draft = steps.create_draft("cnv_old", "run-d", "Hello", AUTO, CATEGORY, CONFIDENT)
    front.drafts.clear()
    assert steps.auto_send(draft).done is False and front.replies == []


def test_a_long_rate_limit_in_a_step_is_an_inngest_retry_after_front_s_delay(database_url: str, front: FakeFront) -> None:
    front.fail_next("/conversations/cnv_old/drafts", 429, times=1, retry_after=45)
    with pytest.raises(inngest.RetryAfterError) as info:
        steps.create_draft("cnv_old", "run-r", "Hello", AUTO, CATEGORY, CONFIDENT)
    assert getattr(info.value, "retry_after_seconds") == 45
    assert front.calls_to("POST", "/conversations/cnv_old/drafts") == 1 and front.drafts == []
    assert conversations.run_draft("run-r") is None


def test_a_rate_limited_send_leaves_the_draft_ready_for_the_retry(database_url: str, front: FakeFront) -> None:
    draft = steps.create_draft("cnv_old", "run-s", "Hello", AUTO, CATEGORY, CONFIDENT)
    front.fail_next("/conversations/cnv_old/messages", 429, times=1, retry_after=30)
    with pytest.raises(inngest.RetryAfterError):
        steps.auto_send(draft)
    assert front.replies == [] and conversations.run_draft("run-s").status == conversations.DRAFT_CREATED
    assert steps.auto_send(draft).done is True and len(front.replies) == 1
