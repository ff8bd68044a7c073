"""Routing end to end (webhook -> offline executor -> serve endpoint -> fake Front), as `make dev` runs it."""

from __future__ import annotations

from typing import Any

import pytest

from lib import conversations

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("Automatic reply: Help with my order", "I am out of the office until Monday with limited access to email."),
        ("Re: Help with my order", "Thanks, that worked!"),
    ],
)
def test_an_automatic_reply_or_a_thank_you_ends_the_run_without_agent_or_draft(sqlite_url: str, scene_factory: Any,
                                                                               subject: str, text: str) -> None:
    scene = scene_factory()
    assert scene.customer_writes("cnv_auto", text, event_id="evt_auto", subject=subject).status_code == 200
    [run] = scene.stack.wait_for_run("handle-inbound-message", timeout=60)

    assert run["status"] == "Completed", run
    assert run["output"]["route"]["route"] == "no_reply" and run["output"]["draft"] is None
    # The rules decided inside gather-context: no `route` step, one serve request fewer.
    assert [step["name"] for step in run["steps"]] == ["gather-context", "no-reply"]
    assert scene.front.drafts == [] and scene.front.comments == []
    assert conversations.route_of("cnv_auto")[0] == "no_reply"


def test_a_legal_threat_gets_a_comment_and_no_draft(sqlite_url: str, scene_factory: Any) -> None:
    scene = scene_factory()
    text = "Refund me by Friday or my lawyer will file a lawsuit."
    assert scene.customer_writes("cnv_legal", text, event_id="evt_legal").status_code == 200
    [run] = scene.stack.wait_for_run("handle-inbound-message", timeout=60)

    assert run["output"]["route"]["route"] == "human" and run["output"]["action"] is None
    assert scene.front.drafts == [] and len(scene.front.comments) == 1
    assert conversations.route_of("cnv_legal") == ("human", run["output"]["route"]["reason"])


def test_a_classifier_that_stays_down_hands_the_conversation_to_a_person(sqlite_url: str, scene_factory: Any,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.e2e.test_support_flow import _always_500
    from devkit.sandbox.server import LocalServer

    scene = scene_factory()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with LocalServer(_always_500) as openai_down:
        monkeypatch.setenv("OPENAI_BASE_URL", f"{openai_down.url}/v1")
        # A known customer's clear question would skip the classifier (lib.routing.rules.support_request): this note does not.
        scene.customer_writes("cnv_router_down", "Suggestion: a weekly summary e-mail of my projects would be great.",
                              event_id="evt_router_down")
        [run] = scene.stack.wait_for_run("handle-inbound-message", timeout=60)

    assert run["output"]["needsHuman"] is True and run["output"]["route"] is None
    route = [step for step in run["steps"] if step["name"] == "route"]  # the classifier's own step, retried alone
    assert len(route) == 1 and route[0]["status"] == "Failed"
    assert scene.front.drafts == []
    assert any("routing failed" in c["body"] for c in scene.front.comments)


def test_a_clear_request_skips_the_classifier_and_still_reaches_a_person_when_the_agent_writes_no_reply(
        sqlite_url: str, scene_factory: Any) -> None:
    from devkit.sandbox.openai_server import FakeOpenAI, final

    scene = scene_factory()  # its product app knows the customer
    with FakeOpenAI() as openai:
        openai.script(final(reasoning="a person should decide this one", draft=None))
        scene.customer_writes("cnv_rule_respond", "Could I get a refund for my order? It was not what I expected.",
                              event_id="evt_rule_respond")
        [run] = scene.stack.wait_for_run("handle-inbound-message", timeout=60)

    assert run["output"]["route"]["rule"] == "support_request" and run["output"]["route"]["route"] == "respond"
    assert len(openai.requests) == 1 and "tools" in openai.requests[0]  # the agent's call only, no classifier
    assert [step["name"] for step in run["steps"]][:2] == ["gather-context", "agent-reasoning"]  # and no route step
    assert scene.front.drafts == [] and conversations.needs_human("cnv_rule_respond")
    assert any("the agent wrote no reply" in c["body"] for c in scene.front.comments)
