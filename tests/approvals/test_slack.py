"""Slack: signature checks, the approval message, and the interactive endpoint end to end."""

import json
import time
from urllib.parse import urlencode

import pytest

from lib.approvals import notify, store
from lib.approvals.slack import SlackMessage, SlackSignatureError, signature_for, verify_signature
from tests.approvals.conftest import SIGNING_SECRET, make_action
from devkit.sandbox.inngest_events import EventSink
from devkit.sandbox.slack_server import FakeSlack


def test_signature_valid_forged_stale_and_missing() -> None:
    body = b"payload=%7B%7D"
    now = time.time()
    ts = str(int(now))
    verify_signature(body, ts, signature_for(body, ts, SIGNING_SECRET), now=now)
    with pytest.raises(SlackSignatureError, match="does not match"):
        verify_signature(body, ts, signature_for(body, ts, "someone-else"), now=now)
    with pytest.raises(SlackSignatureError, match="does not match"):
        verify_signature(body + b"x", ts, signature_for(body, ts, SIGNING_SECRET), now=now)
    old = str(int(now) - 301)
    with pytest.raises(SlackSignatureError, match="five minutes"):
        verify_signature(body, old, signature_for(body, old, SIGNING_SECRET), now=now)
    with pytest.raises(SlackSignatureError, match="missing"):
        verify_signature(body, None, None, now=now)


def test_bot_message_has_the_facts_and_buttons_carrying_the_action_id(sqlite_url: str, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_CHANNEL", "C_APPROVALS")
    action_id = make_action()
    store.open_request(action_id)
    notified = notify.notify_approvers(action_id)
    assert notified.slack is not None and notified.slack.channel == "C_APPROVALS" and notified.slack.ts
    assert store.get(action_id).notified == notified
    message = fake_slack.posted[0]
    text = json.dumps(message["blocks"])
    assert "ann@example.com" in text and "pur_9" in text and "Bought twice" in text
    assert "https://app.frontapp.com/open/cnv_123" in text and "https://support.example.com/api/approvals?action=" in text
    buttons = next(b for b in message["blocks"] if b["type"] == "actions")["elements"]
    assert [(b["action_id"], b["value"]) for b in buttons] == [("approve", action_id), ("reject", action_id)]


def test_where_approvers_were_told_is_stored_as_camelcase_json_and_read_back(sqlite_url: str) -> None:
    """The request's `notified` column keeps the JSON shape it had before it was a model (webUrl, slack.channel/ts)."""
    from sqlalchemy import select

    from lib.db import get_db
    from lib.db.models import ApprovalRequest

    action_id = make_action()
    store.open_request(action_id)
    store.mark_notified(action_id, notify.Notified(web_url="https://x/approve", slack=SlackMessage(via="bot", channel="C1", ts="1.2")))
    with get_db().session() as session:
        raw = session.scalars(select(ApprovalRequest.notified).where(ApprovalRequest.action_id == action_id)).one()
    assert raw == {"web": True, "webUrl": "https://x/approve", "slack": {"via": "bot", "channel": "C1", "ts": "1.2"}, "note": None}

    stored_earlier = {"web": True, "webUrl": None, "slack": None, "note": "web only: no Slack approver configured"}
    assert notify.Notified.model_validate(stored_earlier).note == "web only: no Slack approver configured"


def test_webhook_and_web_only_and_slack_down(sqlite_url: str, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    make_action("act_a")
    store.open_request("act_a")
    assert notify.notify_approvers("act_a").note == "web only: no Slack approver configured"
    monkeypatch.setenv("SLACK_WEBHOOK_URL", fake_slack.webhook_url)
    assert notify.notify_approvers("act_a").slack == SlackMessage(via="webhook")
    assert fake_slack.webhook[0]["blocks"][-1]["elements"][0]["value"] == "act_a"
    fake_slack.fail_status = 500
    degraded = notify.notify_approvers("act_a")
    assert degraded.slack is None and degraded.note and degraded.note.startswith("web only: the Slack message could not be posted")


def _signed_post(client, payload: dict, *, secret: str = SIGNING_SECRET, age: int = 0):  # type: ignore[no-untyped-def]
    body = urlencode({"payload": json.dumps(payload)}).encode()
    ts = str(int(time.time()) - age)
    return client.post("/api/slack", data=body, content_type="application/x-www-form-urlencoded",
                       headers={"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature_for(body, ts, secret)})


def _click(action_id: str, button: str = "approve", response_url: str | None = None) -> dict:
    return {
        "type": "block_actions",
        "user": {"id": "U1", "username": "ann"},
        "container": {"type": "message", "channel_id": "C_APPROVALS", "message_ts": "1700000000.000001"},
        "response_url": response_url,
        "actions": [{"action_id": button, "block_id": "approval", "value": action_id, "type": "button"}],
    }


def test_slack_click_end_to_end(sqlite_url: str, sink: EventSink, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    from api.slack import app

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_CHANNEL", "C_APPROVALS")
    action_id = make_action()
    store.open_request(action_id)
    notify.notify_approvers(action_id)
    client = app.test_client()

    response_url = fake_slack.response_url
    response = _signed_post(client, _click(action_id, response_url=response_url))
    assert response.status_code == 200 and response.json["outcome"] == "recorded"
    [event] = sink.named("support/approval.decided")
    assert event["id"] == f"approval-decided-{action_id}"
    assert event["data"] == {"actionId": action_id, "decision": "approved", "decidedBy": "slack:ann", "channel": "slack",
                             "reason": None, "responseUrl": response_url}
    assert fake_slack.updated == [] and fake_slack.responses == []  # the workflow updates the message, not the endpoint
    assert notify.update_slack_message(action_id) == notify.SlackUpdate(done=True, via="chat.update", state="approved")
    assert fake_slack.updated[0]["ts"] == fake_slack.posted[0]["ts"]  # buttons replaced by the decision
    assert "*Approved by slack:ann at " in json.dumps(fake_slack.updated[0]["blocks"])
    assert not any(b["type"] == "actions" for b in fake_slack.updated[0]["blocks"])

    again = _signed_post(client, _click(action_id, "reject", fake_slack.response_url))
    assert again.status_code == 200 and again.json["outcome"] == "already_decided" and again.json["ok"] is False
    assert "already approved by slack:ann" in again.json["text"]
    assert fake_slack.responses[-1]["text"] == again.json["text"]
    assert len(sink.named("support/approval.decided")) == 1
    assert store.get(action_id).status == "approved"


def test_slack_endpoint_refuses_forged_stale_and_malformed(sqlite_url: str, sink: EventSink) -> None:
    from api.slack import app

    action_id = make_action()
    store.open_request(action_id)
    client = app.test_client()
    assert _signed_post(client, _click(action_id), secret="forged").status_code == 401
    stale = _signed_post(client, _click(action_id), age=600)
    assert stale.status_code == 401 and "five minutes" in stale.json["error"]
    assert client.post("/api/slack", data={"payload": "{}"}).status_code == 401
    bad = _signed_post(client, {"type": "block_actions", "actions": []})
    assert bad.status_code == 400 and "approve/reject" in bad.json["error"]
    assert sink.events == [] and store.get(action_id).status == "pending"


def test_slack_click_when_inngest_is_down_reverts_and_answers_502(sqlite_url: str, sink: EventSink) -> None:
    from api.slack import app

    action_id = make_action()
    store.open_request(action_id)
    sink.fail_with(400)
    response = _signed_post(app.test_client(), _click(action_id))
    assert response.status_code == 502 and "try again" in response.json["error"]
    assert store.get(action_id).status == "pending"
    sink.fail_with(None)
    assert _signed_post(app.test_client(), _click(action_id)).json["outcome"] == "recorded"
