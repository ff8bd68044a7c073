"""A step that cannot run for want of a setting fails at once, and the conversation goes to a human."""

from __future__ import annotations

import os
from typing import Any

import pytest

from lib import conversations
from lib.front.client import reset_front

pytestmark = pytest.mark.e2e


def test_a_missing_front_token_fails_create_draft_without_retries_and_hands_over(database_url: str, scene_factory: Any) -> None:
    scene = scene_factory()
    saved = os.environ.pop("FRONT_API_TOKEN")
    reset_front()
    try:
        response = scene.customer_writes("cnv_no_token", "Where is my order?", event_id="evt_no_token")
        assert response.status_code == 200, response.text
        [run] = scene.stack.wait_for_run("handle-inbound-message", timeout=60)
    finally:
        os.environ["FRONT_API_TOKEN"] = saved
        reset_front()

    [draft_step] = [st for st in run["steps"] if st["name"] == "create-draft"]
    assert draft_step["status"] == "Failed"
    assert draft_step["attempt"] == 0, "a missing setting is not retried"
    assert "FRONT_API_TOKEN is not set" in draft_step["error"]["message"]
    assert run["output"]["needsHuman"] is True
    assert conversations.needs_human("cnv_no_token")
    assert scene.front.drafts == []


def test_a_missing_stripe_key_fails_the_refund_at_once_and_a_teammate_is_told(database_url: str, scene_factory: Any) -> None:
    from lib.actions.store import get_action
    from lib.payments.client import reset_stripe

    scene = scene_factory()
    text = "I was charged for the Pro plan but never used it, please refund me"
    assert scene.customer_writes("cnv_no_key", text, event_id="evt_no_key").status_code == 200
    [inbound] = scene.stack.wait_for_run("handle-inbound-message", timeout=60)
    action_id = inbound["output"]["action"]["id"]
    scene.stack.wait_for_run("request-approval", status="Running", timeout=30)
    saved = os.environ.pop("STRIPE_SECRET_KEY")
    reset_stripe()
    try:
        assert scene.decide(action_id, "approved").status_code == 200
        [refund] = scene.stack.wait_for_run("process-refund", status="Failed", timeout=60)
        [executed] = scene.stack.wait_for_run("execute-approved-action", timeout=60)
    finally:
        os.environ["STRIPE_SECRET_KEY"] = saved
        reset_stripe()

    [stripe_step] = [st for st in refund["steps"] if st["name"] == "stripe-refund"]
    assert stripe_step["status"] == "Failed" and stripe_step["attempt"] == 0, "a missing key is not retried"
    assert "STRIPE_SECRET_KEY is not set" in stripe_step["error"]["message"]
    assert scene.stripe.requests == []
    assert executed["output"]["status"] == "failed"
    assert get_action(action_id).status == "failed"
    assert any("STRIPE_SECRET_KEY is not set" in c["body"] for c in scene.front.comments if c["conversation_id"] == "cnv_no_key")
