"""Two approvers at once: the loser is told only what is stored, never a decision still being handed over.

Approver A's decision is recorded and its hand-over to Inngest is in flight (the fake
event API holds the send); approver B decides meanwhile. Until A's send is answered,
B must hear "being decided, try again" (409), not "already approved by A": A's send
may still fail, and then A's decision is reverted and nothing was decided.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from lib.approvals import store
from lib.approvals.decisions import HTTP_STATUS, DecisionNotSent, submit_decision
from tests.approvals.conftest import make_action
from devkit.sandbox.inngest_events import EventSink


def _decide_in_thread(action_id: str, who: str, outcome: dict[str, Any]) -> threading.Thread:
    def run() -> None:
        try:
            outcome["result"] = submit_decision(action_id, "approved", who, "web")
        except DecisionNotSent as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("first_send_fails", [True, False], ids=["first-send-fails", "first-send-succeeds"])
def test_a_decision_being_handed_over_is_not_claimed_to_stand(database_url: str, sink: EventSink, first_send_fails: bool) -> None:
    action_id = make_action("act_race")
    store.open_request(action_id)
    sink.hold()
    first: dict[str, Any] = {}
    thread = _decide_in_thread(action_id, "web:ann", first)
    sink.wait_held()  # A's decision is stored and its send is in flight

    second = submit_decision(action_id, "rejected", "web:bob", "web")
    assert second.outcome == "deciding" and HTTP_STATUS[second.outcome] == 409
    assert "try again" in second.message and "changed nothing" not in second.message
    assert store.get(action_id).status == store.APPROVED  # stored, not yet handed over

    if first_send_fails:
        sink.fail_with(400)  # Inngest refuses the send: A's decision must be undone
    sink.release()
    thread.join(timeout=30)
    assert not thread.is_alive()

    if first_send_fails:
        assert isinstance(first.get("error"), DecisionNotSent)
        assert store.get(action_id).status == store.PENDING and sink.events == []
        sink.fail_with(None)
        retried = submit_decision(action_id, "rejected", "web:bob", "web")  # B's retry now counts
        assert retried.outcome == "recorded" and retried.request.status == store.REJECTED
        assert [e["data"]["decidedBy"] for e in sink.events] == ["web:bob"]
    else:
        assert first["result"].outcome == "recorded"
        late = submit_decision(action_id, "rejected", "web:bob", "web")
        assert late.outcome == "already_decided" and "already approved by web:ann" in late.message
        assert [e["data"]["decidedBy"] for e in sink.events] == ["web:ann"]


def test_the_web_page_answers_409_being_decided(database_url: str, sink: EventSink) -> None:
    from api.approvals import app
    from lib.approvals.links import form_token

    action_id = make_action("act_race_web")
    store.open_request(action_id)
    sink.hold()
    first: dict[str, Any] = {}
    thread = _decide_in_thread(action_id, "web:ann", first)
    sink.wait_held()
    res = app.test_client().post(f"/api/approvals/{action_id}/decision",
                                 json={"decision": "rejected", "token": form_token(action_id), "approver": "bob"})
    assert res.status_code == 409 and res.json["outcome"] == "deciding"
    assert "try again" in res.json["message"] and "changed nothing" not in res.json["message"]
    sink.release()
    thread.join(timeout=30)
