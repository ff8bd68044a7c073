"""Fixtures for the approval tests: settings, a stored action, the fake Inngest event API and fake Slack."""

from __future__ import annotations

from typing import Iterator

import pytest

from devkit.sandbox.inngest_events import EventSink
from devkit.sandbox.slack_server import FakeSlack

SECRET = "approvals-secret-for-tests"
SIGNING_SECRET = "slack-signing-secret-for-tests"


@pytest.fixture(autouse=True)
def approval_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from lib.approvals import slack

    monkeypatch.setenv("APPROVALS_SECRET", SECRET)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://support.example.com")
    for name in ("SLACK_BOT_TOKEN", "SLACK_CHANNEL", "SLACK_WEBHOOK_URL", "SLACK_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    slack.reset_session()
    yield
    slack.reset_session()


def make_action(action_id: str = "act_test_1", **overrides: object) -> str:
    from lib.actions.store import create_action

    fields: dict = dict(
        action_id=action_id,
        conversation_id="cnv_123",
        app_id=None,
        type="refund",
        parameters={"purchaseId": "pur_9", "amount": 4900},
        requires_approval=True,
        agent_reasoning="Bought twice by mistake; within the 30-day window.",
        customer_email="ann@example.com",
    )
    fields.update(overrides)
    return create_action(**fields).id  # type: ignore[arg-type]


@pytest.fixture
def sink() -> Iterator[EventSink]:
    with EventSink() as events:
        yield events


@pytest.fixture
def fake_slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    with FakeSlack(token="xoxb-test") as server:
        monkeypatch.setenv("SLACK_API_BASE_URL", server.api_url)
        yield server
