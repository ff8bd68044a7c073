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
