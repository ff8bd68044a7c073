"""Slack as Slack behaves: the 3 s acknowledgment budget, mrkdwn control sequences, and response URLs.

The fake Slack (`devkit/sandbox/slack_server.py`) delivers clicks with Slack's 3 s budget,
can be slow, parses `<...>` the way Slack does and holds response URLs to 5 uses; the
fake Inngest Event API can be slow too. The workflow runs in the offline executor.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from lib.approvals import notify, store
from lib.inngest.events import APPROVAL_REQUESTED, ActionSpec, ApprovalRequested
from tests.approvals.conftest import SIGNING_SECRET, make_action
from devkit.sandbox.inngest_events import EventSink
from devkit.sandbox.inngest_stack import InngestStack
from devkit.sandbox.server import LocalServer
from devkit.sandbox.slack_server import FakeSlack, links, mentions

HOSTILE = "<!channel> refund now <https://evil.example|Open in the approvals page> & <@U999>"


@pytest.fixture
def slack_endpoint() -> Iterator[str]:
    """`/api/slack` served on 127.0.0.1, where the fake Slack delivers clicks."""
    from api.slack import app

    with LocalServer(app) as server:
        yield f"{server.url}/api/slack"


def _bot_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_CHANNEL", "C_APPROVALS")


def _request_approval(stack: InngestStack, action_id: str) -> None:
    data = ApprovalRequested(action_id=action_id, conversation_id="cnv_123", app_id="acme",
                             action=ActionSpec(type="refund", parameters={"purchaseId": "pur_9"}), agent_reasoning="double purchase")
    stack.send(APPROVAL_REQUESTED.name, data.wire(), id=f"approval-requested-{action_id}")


def _stack() -> InngestStack:
    from lib.workflows.approvals import request_approval

    return InngestStack([request_approval], time_scale=0.01)


def test_a_click_is_acknowledged_within_3_s_while_slack_is_slow_and_the_workflow_updates_the_message(
        sqlite_url: str, fake_slack: FakeSlack, slack_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _bot_mode(monkeypatch)
    action_id = make_action()
    with _stack() as stack:
        _request_approval(stack, action_id)
        stack.wait_for(lambda: fake_slack.posted, timeout=30)
        key = f"C_APPROVALS:{fake_slack.posted[0]['ts']}"
        stack.wait_for(lambda: stack.runs("request-approval") and store.get(action_id).notified, timeout=30)

        fake_slack.delay = 5.0  # every Slack call now takes 5 s
        delivery = fake_slack.click(slack_endpoint, fake_slack.click_payload(key, "approve"), SIGNING_SECRET)
        assert delivery.acknowledged, delivery
        assert delivery.body["outcome"] == "recorded"
        assert store.get(action_id).status == "approved"

        stack.wait_for(lambda: not fake_slack.has_buttons(key), timeout=60)
        assert "Approved by slack:ann at " in str(fake_slack.message(key)["blocks"])
        [run] = stack.wait_for_run("request-approval", timeout=60)
        assert run["output"]["outcome"] == "approved"


def test_when_inngest_is_slow_the_click_is_answered_in_time_reverted_and_the_clicker_told_to_retry(
        sqlite_url: str, fake_slack: FakeSlack, slack_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _bot_mode(monkeypatch)
    action_id = make_action()
    store.open_request(action_id)
    notify.notify_approvers(action_id)
    key = f"C_APPROVALS:{fake_slack.posted[0]['ts']}"
    with EventSink() as sink:
        sink.delay = 4.0  # longer than the whole 3 s budget
        delivery = fake_slack.click(slack_endpoint, fake_slack.click_payload(key, "approve"), SIGNING_SECRET)
        assert not delivery.timed_out, delivery
        assert delivery.status == 502 and "try again" in delivery.body["error"]  # Slack shows the clicker an error
        assert store.get(action_id).status == "pending"
        assert "try again" in fake_slack.responses[-1]["text"] and "Recorded" not in fake_slack.responses[-1]["text"]
        assert fake_slack.has_buttons(key)


def _hostile_action(action_id: str = "act_hostile") -> str:
    return make_action(action_id, agent_reasoning=HOSTILE, customer_email="<!here>&co@example.com",
                       parameters={"purchaseId": "<@U1|boss>", "note": "<https://evil.example>"})


def test_approval_messages_carry_no_live_mentions_or_foreign_links(
        sqlite_url: str, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    action_id = _hostile_action()
    store.open_request(action_id)

    def check(payload: dict[str, Any]) -> None:
        assert mentions(payload) == []
        hosts = {url.split("/")[2] for url, _ in links(payload)}
        assert hosts <= {"app.frontapp.com", "support.example.com"}, links(payload)
        assert not any(label == "Open in the approvals page" and "support.example.com" not in url for url, label in links(payload))

    monkeypatch.setenv("SLACK_WEBHOOK_URL", fake_slack.webhook_url)
    notify.notify_approvers(action_id)
    check(fake_slack.webhook[0])
    assert "&lt;!channel&gt;" in str(fake_slack.webhook[0]["blocks"])  # shown, not dropped

    _bot_mode(monkeypatch)
    notify.notify_approvers(action_id)
    check(fake_slack.posted[0])
    store.decide(action_id, "approved", "slack:<!channel>", "slack")
    assert notify.update_slack_message(action_id)
    check(fake_slack.updated[0])


def test_webhook_messages_lose_their_buttons_after_a_decision_through_the_response_url(
        sqlite_url: str, fake_slack: FakeSlack, slack_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", fake_slack.webhook_url)
    action_id = make_action()
    with _stack() as stack:
        _request_approval(stack, action_id)
        stack.wait_for(lambda: fake_slack.webhook, timeout=30)
        stack.wait_for(lambda: store.get(action_id).notified, timeout=30)
        assert fake_slack.has_buttons("webhook:1")
        stale = fake_slack.click_payload("webhook:1", "approve")  # a second approver's screen, not yet refreshed

        fake_slack.fail_status, fake_slack.fail_times = 500, 2  # Slack fails the workflow's first two tries
        delivery = fake_slack.click(slack_endpoint, fake_slack.click_payload("webhook:1", "reject", user="bob"), SIGNING_SECRET)
        assert delivery.acknowledged and delivery.body["outcome"] == "recorded", delivery
        stack.wait_for(lambda: not fake_slack.has_buttons("webhook:1"), timeout=60)
        assert fake_slack.fail_times is None and len(fake_slack.responses) == 1  # retried by Inngest, replaced once
        assert "Rejected by slack:bob at " in str(fake_slack.message("webhook:1")["blocks"])
        stack.wait_for_run("request-approval", timeout=60)

        # A late click on a stale copy of the message changes nothing and is told so, within the budget.
        late = fake_slack.click(slack_endpoint, stale, SIGNING_SECRET)
        assert late.acknowledged and late.body["outcome"] == "already_decided"
    assert store.get(action_id).status == "rejected"


def test_a_spent_response_url_is_reported_not_retried_for_ever(sqlite_url: str, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    import requests

    from lib.workflows.approvals.steps import update_slack

    monkeypatch.setenv("SLACK_WEBHOOK_URL", fake_slack.webhook_url)
    action_id = make_action()
    store.open_request(action_id)
    notify.notify_approvers(action_id)
    response_url = fake_slack.click_payload("webhook:1", "approve")["response_url"]
    for _ in range(5):  # Slack: 5 uses within 30 minutes
        assert requests.post(response_url, json={"text": "hi", "response_type": "ephemeral"}, timeout=5).status_code == 200
    store.decide(action_id, "approved", "slack:ann", "slack")
    outcome = update_slack(action_id, response_url, last_attempt=False)
    assert outcome.done is False and outcome.reason is not None and "used_url" in outcome.reason
    assert fake_slack.has_buttons("webhook:1")
