"""The whole service end to end through the offline executor (see conftest.Scene)."""

from __future__ import annotations

from typing import Any

import pytest

from lib import audit, conversations
from lib.actions.store import get_action
from lib.inngest.events import ACTION_APPROVED, ActionApproved
from tests.trusted import trust

pytestmark = pytest.mark.e2e


def _inbound_run(scene: Any) -> dict[str, Any]:
    [run] = scene.stack.wait_for_run("handle-inbound-message", timeout=60)
    return run


def _refund_requested(scene: Any, conversation: str = "cnv_refund", event_id: str = "evt_refund_1") -> dict[str, Any]:
    response = scene.customer_writes(conversation, "I was charged for the Pro plan but never used it, please refund me", event_id=event_id)
    assert response.status_code == 200, response.text
    run = _inbound_run(scene)
    action = run["output"]["action"]
    assert action["type"] == "refund" and action["status"] == "pending_approval", run["output"]
    return action


def test_refund_approved_on_the_web_page_is_refunded_once_and_access_revoked(database_url: str, scene_factory: Any) -> None:
    scene = scene_factory()
    action = _refund_requested(scene)

    # The draft is in Front and the approval request waits for a human.
    assert len(scene.front.drafts) == 1
    [waiting] = scene.stack.wait_for_run("request-approval", status="Running", timeout=30)
    scene.stack.wait_for(lambda: get_action(action["id"]).status == "pending_approval", timeout=30)

    decision = scene.decide(action["id"], "approved")
    assert decision.status_code == 200, decision.text

    [approval] = scene.stack.wait_for_run("request-approval", timeout=60)
    assert approval["id"] == waiting["id"]
    [refund] = scene.stack.wait_for_run("process-refund", timeout=60)
    [executed] = scene.stack.wait_for_run("execute-approved-action", timeout=60)

    assert len(scene.stripe.refunds) == 1
    assert scene.stripe.refunds[0]["payment_intent"] == "pi_100"
    assert "pi_100" in scene.product.revoked
    stored = get_action(action["id"])
    assert stored is not None and stored.status == "completed"
    assert executed["output"]["status"] == "completed"
    kinds = [entry["kind"] for entry in audit.entries(action_id=action["id"])]
    assert "action.proposed" in kinds and len(kinds) >= 3
    completed = [e for e in scene.stack.runs() if e["function_id"].endswith("process-refund")]
    assert completed and refund["output"]

    # A second click changes nothing and says so.
    again = scene.decide(action["id"], "rejected", approver="Bob")
    assert again.status_code == 409
    assert "already" in again.json()["message"]


def test_duplicate_action_approved_refunds_once(sqlite_url: str, scene_factory: Any) -> None:
    scene = scene_factory()
    action = _refund_requested(scene)
    assert scene.decide(action["id"], "approved").status_code == 200
    scene.stack.wait_for_run("execute-approved-action", timeout=60)

    # The same approval delivered twice more (e.g. a retried send with a fresh event id).
    approved = ActionApproved(action_id=action["id"], conversation_id="cnv_refund", app_id="acme", decided_by="Ann")
    for n in range(2):
        scene.stack.send(ACTION_APPROVED.name, approved.wire(), id=f"dup-{n}")
    # The executor matches an event to functions before it answers the send, so every run these start exists now.
    scene.stack.wait_for(lambda: all(r["status"] != "Running" for r in scene.stack.runs()), timeout=60)

    assert len(scene.stack.runs("execute-approved-action")) == 1
    assert len(scene.stripe.refunds) == 1
    assert get_action(action["id"]).status == "completed"


def test_unanswered_approval_expires_and_a_late_decision_is_refused(sqlite_url: str, scene_factory: Any) -> None:
    scene = scene_factory()
    action = _refund_requested(scene)

    [approval] = scene.stack.wait_for_run("request-approval", timeout=60)  # 24 h at TIME_SCALE
    assert approval["output"]["outcome"] == "expired", approval["output"]
    assert get_action(action["id"]).status == "expired"

    late = scene.decide(action["id"], "approved")
    assert late.status_code == 409
    assert scene.stripe.refunds == []
    assert scene.stack.runs("execute-approved-action") == []


def test_replayed_webhook_starts_one_run(sqlite_url: str, scene_factory: Any) -> None:
    scene = scene_factory()
    first = scene.customer_writes("cnv_replay", "What are your opening hours?", event_id="evt_replay", message_id="msg_replay")
    again = scene.customer_writes("cnv_replay", "What are your opening hours?", event_id="evt_replay", message_id="msg_replay")
    assert first.status_code == again.status_code == 200
    _inbound_run(scene)
    scene.stack.wait_for(lambda: all(r["status"] != "Running" for r in scene.stack.runs()), timeout=30)
    assert len(scene.stack.runs("handle-inbound-message")) == 1


def test_auto_send_app_sends_after_the_delay(sqlite_url: str, scene_factory: Any) -> None:
    scene = scene_factory(auto_send=True, auto_send_delay_seconds=60, confidence_floor=0.5)
    trust(scene.app.id, "access")  # sign-in replies have earned auto-send (tests/e2e/test_trust_flow.py earns it)
    scene.customer_writes("cnv_login", "I can't log in, please send me a magic link", event_id="evt_login")
    run = _inbound_run(scene)

    assert run["output"]["autoSend"] == {"done": True}, run["output"]
    assert [s["name"] for s in run["steps"] if s["op"] == "Sleep"] == ["wait-for-send"]
    # The sign-in link (the customer's own address: no approval) was made by the app and went out with the reply.
    [executed] = scene.stack.wait_for_run("execute-approved-action", timeout=30)
    assert executed["parent_run_id"] == run["id"] and executed["output"]["status"] == "completed"
    [link] = scene.product.magic_links
    [reply] = scene.front.replies
    assert link in reply["body"]


def test_a_teammate_reply_cancels_the_pending_auto_send(sqlite_url: str, scene_factory: Any) -> None:
    scene = scene_factory(auto_send=True, auto_send_delay_seconds=24 * 3600, confidence_floor=0.3)  # ~4 s at TIME_SCALE
    trust(scene.app.id, "product_question")
    scene.customer_writes("cnv_human", "What are your opening hours?", event_id="evt_human")
    scene.stack.wait_for(lambda: scene.front.drafts, timeout=60)

    assert scene.teammate_replies("cnv_human", event_id="evt_human_reply").status_code == 200
    [cancelled] = scene.stack.wait_for_run("handle-inbound-message", status="Cancelled", timeout=60)
    scene.stack.wait_for_run("record-human-reply", timeout=30)

    assert scene.front.replies == []
    draft = conversations.run_draft(cancelled["id"])
    assert draft is not None and draft.status == conversations.DRAFT_SUPERSEDED


def test_agent_failure_hands_the_conversation_to_a_human(sqlite_url: str, scene_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from devkit.sandbox.server import LocalServer

    scene = scene_factory()
    # A key is set and the API is down: never the offline rules; retries, then a human answers.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with LocalServer(_always_500) as openai_down:
        monkeypatch.setenv("OPENAI_BASE_URL", f"{openai_down.url}/v1")
        scene.customer_writes("cnv_down", "please refund me", event_id="evt_down")
        run = _inbound_run(scene)

    assert run["output"]["needsHuman"] is True
    assert conversations.needs_human("cnv_down")
    assert scene.front.drafts == []
    assert any("Please reply personally" in c.get("body", "") for c in scene.front.comments)


def _always_500(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("500 Internal Server Error", [("Content-Type", "application/json")])
    return [b'{"error": {"message": "down", "type": "server_error"}}']


def _emitted(name: str) -> list[dict[str, Any]]:
    """Events the executor received (its own table in the shared database)."""
    from sqlalchemy import select

    from lib.db import get_db
    from devkit.executor.models import ExecutorEvent

    with get_db().session() as session:
        return [dict(e.payload) for e in session.scalars(select(ExecutorEvent).where(ExecutorEvent.name == name))]


def _approve_refund(scene: Any, conversation: str = "cnv_refund") -> dict[str, Any]:
    action = _refund_requested(scene, conversation)
    scene.stack.wait_for(lambda: get_action(action["id"]).status == "pending_approval", timeout=30)
    assert scene.decide(action["id"], "approved").status_code == 200
    return action


def test_a_crash_between_stripes_refund_and_our_write_refunds_once(sqlite_url: str, scene_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from lib.payments.client import reset_stripe
    from lib.payments.refunds import idempotency_key

    scene = scene_factory()
    monkeypatch.setenv("STRIPE_MAX_NETWORK_RETRIES", "0")  # the step, not the SDK, retries
    reset_stripe()
    scene.stripe.drop_after_create()  # Stripe refunds; our side never hears back
    action = _approve_refund(scene)

    [refund_run] = scene.stack.wait_for_run("process-refund", timeout=60)
    [executed] = scene.stack.wait_for_run("execute-approved-action", timeout=60)

    assert len(scene.stripe.refunds) == 1
    # the retried step reconciles first (the answer was lost) and finds the refund: nothing is asked twice
    assert [r["idempotency_key"] for r in scene.stripe.requests] == [idempotency_key(action["id"])]
    assert [r["path"] for r in scene.stripe.reads] == ["/v1/refunds"]
    [stripe_step] = [s for s in refund_run["steps"] if s["name"] == "stripe-refund"]
    assert stripe_step["attempt"] >= 1  # the first attempt failed and was retried
    assert refund_run["output"]["refund"]["id"] == scene.stripe.refunds[0]["id"]
    assert executed["output"]["status"] == "completed"
    assert [e["kind"] for e in audit.entries(action_id=action["id"])].count("refund.created") == 1
    [completed] = _emitted("stripe/refund.completed")
    assert completed["id"] == f"refund-completed-{action['id']}"
    assert completed["data"]["refundId"] == scene.stripe.refunds[0]["id"]


def test_a_refund_stripe_refuses_fails_once_and_tells_the_team(sqlite_url: str, scene_factory: Any) -> None:
    scene = scene_factory()
    scene.stripe.payments["pi_100"]["refunded"] = 4900  # already refunded in Stripe's dashboard
    action = _approve_refund(scene)

    scene.stack.wait_for_run("process-refund", status="Failed", timeout=60)
    [executed] = scene.stack.wait_for_run("execute-approved-action", timeout=60)

    assert len(scene.stripe.requests) == 1  # refused is final: no retries
    assert executed["output"]["status"] == "failed" and "already been refunded" in executed["output"]["reason"]
    stored = get_action(action["id"])
    assert stored is not None and stored.status == "failed"
    assert "pi_100" not in scene.product.revoked
    assert any("not carried out" in c["body"] for c in scene.front.comments)
    assert _emitted("stripe/refund.completed") == []


def test_a_refund_within_the_apps_policy_runs_in_the_inbound_run(sqlite_url: str, scene_factory: Any) -> None:
    scene = scene_factory(approval_policy={"refund_auto_approve_max_amount": 5000})
    scene.customer_writes("cnv_auto", "Please refund the Pro plan, I never used it", event_id="evt_auto")

    run = _inbound_run(scene)
    [refund_run] = scene.stack.wait_for_run("process-refund", timeout=30)

    action = run["output"]["action"]
    assert (action["type"], action["status"]) == ("refund", "completed"), run["output"]
    assert refund_run["output"]["refund"]["id"] == action["result"]["refund"]["id"]
    assert len(scene.stripe.refunds) == 1 and "pi_100" in scene.product.revoked
    assert scene.stack.runs("request-approval") == []
    assert len(scene.front.drafts) == 1


def test_a_teammate_reply_mid_refund_cancels_the_reply_but_not_the_refund(sqlite_url: str, scene_factory: Any) -> None:
    scene = scene_factory(approval_policy={"refund_auto_approve_max_amount": 5000}, auto_send=True)
    scene.stripe.delay = 1.0  # the refund is in flight when the teammate answers
    scene.customer_writes("cnv_mid", "Please refund the Pro plan, I never used it", event_id="evt_mid")
    # `arrived`, not `requests`: the fake records a request once its delay is over, when the refund is
    # done and the parent run about to go on to create-draft.
    scene.stack.wait_for(lambda: scene.stripe.arrived, timeout=30)
    assert scene.stripe.refunds == []  # still in flight

    assert scene.teammate_replies("cnv_mid", event_id="evt_mid_reply").status_code == 200
    scene.stack.wait_for_run("handle-inbound-message", status="Cancelled", timeout=30)
    [executed] = scene.stack.wait_for_run("execute-approved-action", timeout=60)

    assert executed["output"]["status"] == "completed"
    assert len(scene.stripe.refunds) == 1
    stored = get_action(executed["output"]["id"])
    assert stored is not None and stored.status == "completed"
    assert any("refund (approved by app policy) is done" in c["body"] for c in scene.front.comments)
    assert scene.front.drafts == [] and scene.front.replies == []


# --- Stripe as it really answers: replayed 500s, refunds that settle later ---------------------------------------


def test_a_500_stripe_replays_is_reconciled_and_refunded_once_with_a_new_key(sqlite_url: str, scene_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from lib.payments.client import reset_stripe
    from lib.payments.refunds import idempotency_key

    scene = scene_factory()
    monkeypatch.setenv("STRIPE_MAX_NETWORK_RETRIES", "0")
    reset_stripe()
    scene.stripe.fail_next(500, "api_error")  # saved for the key: every retry with it gets the same 500
    action = _approve_refund(scene)

    [refund_run] = scene.stack.wait_for_run("process-refund", timeout=60)
    [executed] = scene.stack.wait_for_run("execute-approved-action", timeout=60)

    assert executed["output"]["status"] == "completed"
    assert len(scene.stripe.refunds) == 1 and refund_run["output"]["refund"]["id"] == scene.stripe.refunds[0]["id"]
    assert [r["idempotency_key"] for r in scene.stripe.requests] == [idempotency_key(action["id"]), idempotency_key(action["id"], 1)]
    assert [r["path"] for r in scene.stripe.reads] == ["/v1/refunds"]  # reconciled before the new key
    assert "pi_100" in scene.product.revoked


def _pending_refund(scene: Any) -> tuple[dict[str, Any], str]:
    scene.stripe.payments["pi_100"]["refund_status"] = "pending"  # e.g. a bank-debit payment: Stripe settles it later
    action = _approve_refund(scene)
    refund = scene.stack.wait_for(lambda: scene.stripe.refunds, timeout=30)[0]
    assert refund["status"] == "pending"
    return action, refund["id"]


def test_a_pending_refund_completes_when_stripes_webhook_says_succeeded(sqlite_url: str, scene_factory: Any) -> None:
    scene = scene_factory()
    action, refund_id = _pending_refund(scene)
    scene.stack.wait_for(lambda: (get_action(action["id"]).result or {}).get("refund"), timeout=30)  # type: ignore[union-attr]
    assert "pi_100" not in scene.product.revoked  # pending: nothing revoked, nothing announced yet
    assert _emitted("stripe/refund.completed") == []

    answer = scene.stripe_settles(refund_id, "succeeded")
    [executed] = scene.stack.wait_for_run("execute-approved-action", timeout=60)

    assert answer.status_code == 200 and answer.json()["status"] == "sent", answer.text
    assert executed["output"]["status"] == "completed"
    assert executed["output"]["result"]["refund"]["status"] == "succeeded"
    assert "pi_100" in scene.product.revoked and len(_emitted("stripe/refund.completed")) == 1
    assert any("is done" in c["body"] and "succeeded" in c["body"] for c in scene.front.comments), scene.front.comments


def test_a_refund_that_fails_at_stripe_fails_the_action_and_says_so_in_front(sqlite_url: str, scene_factory: Any) -> None:
    scene = scene_factory()
    action, refund_id = _pending_refund(scene)

    answer = scene.stripe_settles(refund_id, "failed", "insufficient_funds")
    scene.stack.wait_for_run("process-refund", status="Failed", timeout=60)
    [executed] = scene.stack.wait_for_run("execute-approved-action", timeout=60)

    assert answer.status_code == 200
    assert executed["output"]["status"] == "failed" and "failed: insufficient_funds" in executed["output"]["reason"]
    stored = get_action(action["id"])
    assert stored is not None and stored.status == "failed" and stored.result["refund"]["status"] == "failed"  # type: ignore[index]
    assert "pi_100" not in scene.product.revoked and _emitted("stripe/refund.completed") == []
    assert any("not carried out" in c["body"] and "insufficient_funds" in c["body"] for c in scene.front.comments)


def test_a_refund_still_pending_at_the_timeout_goes_to_a_teammate(sqlite_url: str, scene_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFUND_PENDING_TIMEOUT_HOURS", "2")
    scene = scene_factory()
    action, refund_id = _pending_refund(scene)

    scene.stack.wait_for_run("process-refund", status="Failed", timeout=60)
    [executed] = scene.stack.wait_for_run("execute-approved-action", timeout=60)

    assert executed["output"]["status"] == "failed" and "still pending after 2 h" in executed["output"]["reason"]
    assert [r["path"] for r in scene.stripe.reads].count(f"/v1/refunds/{refund_id}") == 4  # a poll after each wait
    assert "pi_100" not in scene.product.revoked
    assert any("Stripe's dashboard" in c["body"] for c in scene.front.comments)


def test_a_front_rate_limit_on_the_draft_resumes_the_run_after_front_s_delay(database_url: str, scene_factory: Any) -> None:
    """Front's 45 s Retry-After becomes Inngest's RetryAfterError; the executor retries after it (scaled)."""
    scene = scene_factory()
    scene.front.add_conversation("cnv_rl", inbox_id="inb_acme")
    scene.front.fail_next("/conversations/cnv_rl/drafts", 429, times=1, retry_after=45)
    response = scene.customer_writes("cnv_rl", "What are your opening hours?", event_id="evt_rl")
    assert response.status_code == 200, response.text
    run = _inbound_run(scene)
    assert run["output"]["draft"]["conversationId"] == "cnv_rl"
    assert [d["conversation_id"] for d in scene.front.drafts] == ["cnv_rl"]
    assert scene.front.calls_to("POST", "/conversations/cnv_rl/drafts") == 2


def test_a_message_in_a_conversation_merged_meanwhile_is_answered_in_the_surviving_one(database_url: str, scene_factory: Any) -> None:
    import json

    import requests

    from tests.e2e.conftest import CUSTOMER, FRONT_SECRET, INBOX
    from devkit.sandbox.front import app_webhook, app_webhook_headers, front_message

    scene = scene_factory()
    scene.front.add_conversation("cnv_a", inbox_id=INBOX)
    scene.front.add_conversation("cnv_b", inbox_id=INBOX)
    message = front_message("msg_merge", "What are your opening hours?", sender=CUSTOMER)
    scene.front.add_message("cnv_a", message)
    scene.front.merge("cnv_a", "cnv_b")  # a teammate merges right after Front sent the webhook
    body = json.dumps(app_webhook(event_id="evt_merge", inbox_id=INBOX, conversation_id="cnv_a", message=message)).encode()
    response = requests.post(f"{scene.webhook.url}/api/front", data=body, headers=app_webhook_headers(body, FRONT_SECRET), timeout=30)
    assert response.status_code == 200, response.text
    run = _inbound_run(scene)
    assert run["output"]["draft"]["conversationId"] == "cnv_b"
    assert [d["conversation_id"] for d in scene.front.drafts] == ["cnv_b"]
    assert conversations.run_draft(run["id"]).conversation_id == "cnv_b"
