"""`/api/front` end to end: real-shaped Front payloads, both signature kinds, and what reaches Inngest."""

from __future__ import annotations

import json
import time
from typing import Any, Iterator

import pytest
from flask.testing import FlaskClient

from api.front import app
from lib.front import ingest
from lib.front.webhooks import sign_app, sign_rule
from tests.fakes.front import app_webhook, app_webhook_headers, front_event, front_message
from tests.fakes.inngest_events import EventSink

APP_SECRET = "app-secret-for-tests"
API_SECRET = "api-secret-for-tests"


def app_payload(event_type: str = "inbound_received", **kwargs: Any) -> dict[str, Any]:
    return app_webhook(event_type, **kwargs)


def _event(event_type: str, event_id: str, inbox_id: str, message: dict[str, Any] | None, conversation_id: str) -> dict[str, Any]:
    return front_event(event_type, event_id=event_id, inbox_id=inbox_id, message=message, conversation_id=conversation_id)


def post_app(client: FlaskClient, payload: Any, *, ts_ms: int | None = None, secret: str = APP_SECRET, raw: bytes | None = None, **headers: str) -> Any:
    body = raw if raw is not None else json.dumps(payload).encode()
    return client.post("/api/front", data=body, headers={**app_webhook_headers(body, secret, timestamp_ms=ts_ms), **headers})


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRONT_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("FRONT_API_SECRET", API_SECRET)
    monkeypatch.delenv("MAX_WEBHOOK_BYTES", raising=False)
    ingest.reset_counts()


@pytest.fixture
def sink() -> Iterator[EventSink]:
    with EventSink() as s:
        yield s


@pytest.fixture
def registered(database_url: str, secrets: None) -> str:
    from lib.apps import registry

    registry.clear_cache()
    registry.create_app(slug="acme", name="Acme", front_inbox_id="inb_1", auto_send=False)
    registry.clear_cache()
    return database_url


def processed_ids() -> list[str]:
    from sqlalchemy import select

    from lib.db import get_db
    from lib.db.models import ProcessedWebhook

    with get_db().session() as session:
        return list(session.scalars(select(ProcessedWebhook.id)))


@pytest.fixture
def client() -> FlaskClient:
    return app.test_client()


# -- happy paths -------------------------------------------------------------------


def test_inbound_app_webhook_becomes_one_typed_event(registered: str, sink: EventSink, client: FlaskClient) -> None:
    res = post_app(client, app_payload())
    assert res.status_code == 200, res.json
    assert res.json["status"] == "sent"
    [event] = sink.events
    assert event["name"] == "front/inbound_received" and event["id"] == "evt_1"
    assert event["data"] == {
        "conversationId": "cnv_1",
        "messageId": "msg_1",
        "inboxId": "inb_1",
        "appId": "acme",
        "subject": "Help with my order",
        "body": "Where is my refund?",
        "senderEmail": "customer@example.com",
        "senderName": "Casey Customer",
        "frontEventId": "evt_1",
        "emittedAt": 1_700_000_123.456,
    }
    assert processed_ids() == ["evt_1"]


def test_preview_without_body_or_sender_still_sends(registered: str, sink: EventSink, client: FlaskClient) -> None:
    preview = {"_links": {}, "id": "msg_1", "type": "email", "is_inbound": True, "created_at": 1_700_000_000, "blurb": "Where is"}
    res = post_app(client, app_payload(message=preview))
    assert res.status_code == 200, res.json
    data = sink.events[0]["data"]
    assert data["body"] is None and data["senderEmail"] is None and data["messageId"] == "msg_1"
    assert data["subject"] == "Help with my order"  # from the conversation


def test_html_only_body_is_reduced_to_text(registered: str, sink: EventSink, client: FlaskClient) -> None:
    message = front_message("msg_1", "x")
    message["text"] = None
    message["body"] = "<div>Hello &amp; thanks<br>Casey</div>"
    post_app(client, app_payload(message=message))
    assert sink.events[0]["data"]["body"] == "Hello & thanks\nCasey"


def test_outbound_sent_becomes_outbound_event(registered: str, sink: EventSink, client: FlaskClient) -> None:
    message = front_message("msg_9", "We refunded you.", is_inbound=False)
    res = post_app(client, app_payload("outbound_sent", event_id="evt_out", message=message))
    assert res.status_code == 200, res.json
    [event] = sink.events
    assert event["name"] == "front/outbound_sent" and event["id"] == "evt_out"
    assert event["data"] == {
        "conversationId": "cnv_1",
        "messageId": "msg_9",
        "inboxId": "inb_1",
        "appId": "acme",
        "authorEmail": "agent@example.com",
        "frontEventId": "evt_out",
    }


def test_rule_webhook_signed_with_sha1(registered: str, sink: EventSink, client: FlaskClient) -> None:
    body = json.dumps(_event("inbound", "evt_rule", "inb_1", None, "cnv_1")).encode()
    res = client.post("/api/front", data=body, headers={"x-front-signature": sign_rule(body, API_SECRET)})
    assert res.status_code == 200, res.json
    assert sink.events[0]["name"] == "front/inbound_received" and sink.events[0]["id"] == "evt_rule"


def test_root_path_is_served_too(registered: str, sink: EventSink, client: FlaskClient) -> None:
    body = json.dumps(app_payload()).encode()
    ts = str(int(time.time() * 1000))
    res = client.post("/", data=body, headers={"x-front-signature": sign_app(body, ts, APP_SECRET), "x-front-request-timestamp": ts})
    assert res.status_code == 200 and len(sink.events) == 1


# -- replays and failures ---------------------------------------------------------


def test_replay_starts_one_event(registered: str, sink: EventSink, client: FlaskClient) -> None:
    assert post_app(client, app_payload()).json["status"] == "sent"
    again = post_app(client, app_payload())
    assert again.status_code == 200 and again.json["status"] == "duplicate"
    assert len(sink.events) == 1 and processed_ids() == ["evt_1"]


def test_send_failure_is_5xx_and_stores_nothing_then_retry_succeeds(registered: str, sink: EventSink, client: FlaskClient) -> None:
    sink.fail_with(503)
    res = post_app(client, app_payload())
    assert res.status_code == 502 and "error" in res.json
    assert sink.events == [] and processed_ids() == []
    sink.fail_with(None)
    retry = post_app(client, app_payload())
    assert retry.status_code == 200 and retry.json["status"] == "sent"
    assert [e["id"] for e in sink.events] == ["evt_1"] and processed_ids() == ["evt_1"]


def test_inngest_down_is_5xx(registered: str, sink: EventSink, client: FlaskClient) -> None:
    sink.stop()
    res = post_app(client, app_payload())
    assert res.status_code >= 500 and processed_ids() == []


def test_unknown_inbox_is_200_without_event(registered: str, sink: EventSink, client: FlaskClient) -> None:
    res = post_app(client, app_payload(inbox_id="inb_other"))
    assert res.status_code == 200 and res.json["status"] == "unknown_inbox"
    assert sink.events == [] and processed_ids() == []
    assert ingest.counts()["unknown_inbox"] == 1


def test_other_event_types_are_ignored_and_counted(secrets: None, sink: EventSink, client: FlaskClient) -> None:
    for n in range(2):
        res = post_app(client, app_payload("tag_added", event_id=f"evt_t{n}"))
        assert res.status_code == 200 and res.json["status"] == "ignored"
    assert sink.events == []
    assert ingest.counts()["ignored:tag_added"] == 2


def test_inbound_without_message_id_is_400(registered: str, sink: EventSink, client: FlaskClient) -> None:
    payload = app_payload()
    payload["payload"]["target"] = {"_meta": {"type": "message"}, "data": {}}
    res = post_app(client, payload)
    assert res.status_code == 400 and "message id" in res.json["error"]
    assert sink.events == []


# -- refusals ---------------------------------------------------------------------


def test_forged_signature_is_401_and_nothing_sent_or_stored(registered: str, sink: EventSink, client: FlaskClient) -> None:
    res = post_app(client, app_payload(), secret="not-the-secret")
    assert res.status_code == 401 and res.json["error"]
    assert sink.events == [] and processed_ids() == []


def test_tampered_body_is_401(secrets: None, sink: EventSink, client: FlaskClient) -> None:
    body = json.dumps(app_payload()).encode()
    ts = str(int(time.time() * 1000))
    sig = sign_app(body, ts, APP_SECRET)
    res = client.post("/api/front", data=body.replace(b"inb_1", b"inb_2"), headers={"x-front-signature": sig, "x-front-request-timestamp": ts})
    assert res.status_code == 401 and sink.events == []


def test_unsigned_is_401(secrets: None, sink: EventSink, client: FlaskClient) -> None:
    res = client.post("/api/front", json=app_payload())
    assert res.status_code == 401 and "x-front-signature" in res.json["error"]
    assert sink.events == []


def test_rule_signature_with_wrong_secret_is_401(secrets: None, sink: EventSink, client: FlaskClient) -> None:
    body = json.dumps(_event("inbound", "evt_rule", "inb_1", None, "cnv_1")).encode()
    res = client.post("/api/front", data=body, headers={"x-front-signature": sign_rule(body, APP_SECRET)})
    assert res.status_code == 401 and sink.events == []


@pytest.mark.parametrize("offset_s", [-301, +60])
def test_stale_or_future_timestamp_is_401(secrets: None, sink: EventSink, client: FlaskClient, offset_s: int) -> None:
    res = post_app(client, app_payload(), ts_ms=int((time.time() + offset_s) * 1000))
    assert res.status_code == 401 and "timestamp" in res.json["error"]
    assert sink.events == []


def test_missing_app_secret_is_a_server_error(monkeypatch: pytest.MonkeyPatch, sink: EventSink, client: FlaskClient) -> None:
    monkeypatch.delenv("FRONT_APP_SECRET", raising=False)
    res = post_app(client, app_payload())
    assert res.status_code == 500 and "FRONT_APP_SECRET" in res.json["error"]


def test_malformed_json_is_400(secrets: None, client: FlaskClient) -> None:
    res = post_app(client, None, raw=b'{"type": "inbound_received", ')
    assert res.status_code == 400 and "JSON" in res.json["error"]
    assert post_app(client, None, raw=b"[1, 2]").status_code == 400


def test_oversize_body_is_413(secrets: None, monkeypatch: pytest.MonkeyPatch, client: FlaskClient) -> None:
    monkeypatch.setenv("MAX_WEBHOOK_BYTES", "200")
    res = post_app(client, app_payload())
    assert res.status_code == 413 and res.is_json and res.json["error"]


def test_wrong_method_is_405(client: FlaskClient) -> None:
    res = client.get("/api/front")
    assert res.status_code == 405 and res.is_json and "POST" in res.headers["Allow"]


# -- the validation handshake ---------------------------------------------------------


def test_signed_challenge_is_answered(secrets: None, sink: EventSink, client: FlaskClient) -> None:
    res = post_app(client, {"type": "sync", "authorization": {"id": "cmp_123"}}, **{"x-front-challenge": "abc123"})
    assert res.status_code == 200 and res.json == {"challenge": "abc123"}
    assert sink.events == []


def test_unsigned_challenge_is_answered(secrets: None, client: FlaskClient) -> None:
    res = client.post("/api/front", json={"type": "sync"}, headers={"x-front-challenge": "xyz"})
    assert res.status_code == 200 and res.json == {"challenge": "xyz"}


def test_forged_challenge_is_401(secrets: None, client: FlaskClient) -> None:
    res = post_app(client, {"type": "sync"}, secret="wrong", **{"x-front-challenge": "abc123"})
    assert res.status_code == 401 and "challenge" not in res.json


def test_database_down_is_503_and_nothing_sent(secrets: None, sink: EventSink, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from lib.apps import registry
    from lib.db import reset_db

    monkeypatch.setenv("DATABASE_URL", "mysql+pymysql://root@127.0.0.1:9/nowhere?connect_timeout=2")
    reset_db()
    registry.clear_cache()
    try:
        res = post_app(client, app_payload())
    finally:
        reset_db()
    assert res.status_code == 503 and "retry" in res.json["error"]
    assert sink.events == []
