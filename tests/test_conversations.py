from datetime import timedelta

import pytest

from lib import audit, conversations
from lib.db.models import utcnow


def test_drafts_are_recorded_once_per_run_and_guarded_by_status(database_url: str) -> None:
    later = utcnow() + timedelta(minutes=5)
    first = conversations.record_draft(conversation_id="cnv_1", run_id="run_1", front_draft_id="msg_d1", body="Hi", send_after=later)
    again = conversations.record_draft(conversation_id="cnv_1", run_id="run_1", front_draft_id="msg_OTHER", body="x", send_after=None)
    assert again == first and first.front_draft_id == "msg_d1" and first.status == "created"
    assert conversations.run_draft("run_1") == first
    assert conversations.run_draft("run_2") is None
    assert conversations.draft_body(first.id) == "Hi"  # the first attempt's body, kept

    assert conversations.set_draft_status(first.id, "sending")
    assert not conversations.set_draft_status(first.id, "sending")  # a second sender loses


def test_a_human_reply_supersedes_only_pending_auto_sends(database_url: str) -> None:
    later = utcnow() + timedelta(minutes=5)
    auto = conversations.record_draft(conversation_id="cnv_1", run_id="r1", front_draft_id="d1", body="a", send_after=later)
    manual = conversations.record_draft(conversation_id="cnv_1", run_id="r2", front_draft_id="d2", body="b", send_after=None)
    other = conversations.record_draft(conversation_id="cnv_2", run_id="r3", front_draft_id="d3", body="c", send_after=later)
    assert conversations.supersede_pending_drafts("cnv_1") == 1
    assert not conversations.set_draft_status(auto.id, "sending")  # superseded drafts are never sent
    assert conversations.set_draft_status(manual.id, "sending")
    assert conversations.set_draft_status(other.id, "sending")


def test_needs_human_flags_and_audits(database_url: str) -> None:
    assert not conversations.needs_human("cnv_9")
    conversations.mark_needs_human("cnv_9", "agent failed")
    assert conversations.needs_human("cnv_9")
    assert [e["kind"] for e in audit.entries(conversation_id="cnv_9")] == ["conversation.needs_human"]


def test_a_missing_draft_is_an_error_not_an_assert(database_url: str) -> None:
    with pytest.raises(LookupError, match="draft 404"):
        conversations.draft_body(404)
