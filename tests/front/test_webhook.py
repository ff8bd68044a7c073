"""`/api/front` end to end: real-shaped Front payloads, both signature kinds, and what reaches Inngest."""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Iterator

import pytest
from flask.testing import FlaskClient

from api.front import app
from lib.front import ingest
from lib.front.webhooks import sign_app, sign_rule
from lib.inngest.events import MAX_EVENT_BYTES, MAX_TEXT_BYTES
from devkit.sandbox.front import app_webhook, app_webhook_headers, front_event, front_message
from devkit.sandbox.inngest_events import EventSink

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
        "bodyTruncated": False,
        "senderEmail": "customer@example.com",
        "senderName": "Casey Customer",
        "frontEventId": "evt_1",
        "emittedAt": 1_700_000_123.456,
    }
    assert processed_ids() == []  # an application webhook: Inngest's id dedupe, no database write


def test_preview_without_body_or_sender_still_sends(registered: str, sink: EventSink, client: FlaskClient) -> None:
    preview = {"_links": {}, "id": "msg_1", "type": "email", "is_inbound": True, "created_at": 1_700_000_000, "blurb": "Where is"}
    res = post_app(client, app_payload(message=preview))
    assert res.status_code == 200, res.json
    data = sink.events[0]["data"]
    assert data["body"] is None and data["senderEmail"] is None and data["messageId"] == "msg_1"
    assert data["subject"] == "Help with my order"  # from the conversation


def test_a_long_thread_hands_over_a_small_event_marked_truncated(registered: str, sink: EventSink, client: FlaskClient) -> None:
    # Inngest refuses events over the plan's size (the sink, like Inngest, answers 400 past 256 KiB):
    # the whole body in the event made every Front retry fail with 502.
    text = "Réponse précédente — " * 13_000 + "THE END"  # ~340 KB of UTF-8, twice in the payload (text and HTML)
    payload = app_payload(message=front_message("msg_1", text))
    res = post_app(client, payload, raw=json.dumps(payload, ensure_ascii=False).encode())
    assert res.status_code == 200, res.json
    [event] = sink.events
    data = event["data"]
    assert data["bodyTruncated"] is True
    assert len(data["body"].encode()) <= MAX_TEXT_BYTES and text.startswith(data["body"])  # cut on a character
    assert len(json.dumps(event).encode()) < MAX_EVENT_BYTES
    assert processed_ids() == []


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


def test_the_fake_sends_front_s_own_event_type_inside_an_application_webhook() -> None:
    """Front's event types (spec `EventResponse.type`): the subscription name is only the outer `type`."""
    assert (app_payload()["type"], app_payload()["payload"]["type"]) == ("inbound_received", "inbound")
    assert (app_payload("outbound_sent")["type"], app_payload("outbound_sent")["payload"]["type"]) == ("outbound_sent", "out_reply")


@pytest.mark.parametrize(("outer", "inner", "name"), [
    ("inbound_received", "inbound", "front/inbound_received"),
    ("outbound_sent", "out_reply", "front/outbound_sent"),
    ("outbound_sent", "outbound", "front/outbound_sent"),  # a teammate's new outbound message, not a reply
])
def test_real_application_webhook_types_are_routed(registered: str, sink: EventSink, client: FlaskClient, outer: str, inner: str, name: str) -> None:
    payload = app_payload(outer, event_id=f"evt_{inner}", message=front_message("msg_t", "x", is_inbound=outer == "inbound_received"))
    payload["payload"]["type"] = inner
    res = post_app(client, payload)
    assert res.status_code == 200, res.json
    assert [e["name"] for e in sink.events] == [name]


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


def test_an_app_webhook_replay_is_handed_over_again_under_the_same_id_with_no_database_write(
    registered: str, sink: EventSink, client: FlaskClient
) -> None:
    """Inngest drops the second event with that id (one run: tests/e2e `test_replayed_webhook_starts_one_run`),
    and the signed timestamp's 5-minute window is well inside Inngest's 24 h: the hot path needs no dedupe write."""
    assert post_app(client, app_payload()).json["status"] == "sent"
    again = post_app(client, app_payload())
    assert again.status_code == 200 and again.json["status"] == "sent"
    assert sink.ids == ["evt_1", "evt_1"] and processed_ids() == []


def test_send_failure_is_5xx_and_stores_nothing_then_retry_succeeds(registered: str, sink: EventSink, client: FlaskClient) -> None:
    sink.fail_with(503)
    res = post_app(client, app_payload())
    assert res.status_code == 502 and "error" in res.json
    assert sink.events == [] and processed_ids() == []
    sink.fail_with(None)
    retry = post_app(client, app_payload())
    assert retry.status_code == 200 and retry.json["status"] == "sent"
    assert [e["id"] for e in sink.events] == ["evt_1"] and processed_ids() == []


def post_rule(client: FlaskClient, event: dict[str, Any], secret: str = API_SECRET) -> Any:
    body = json.dumps(event).encode()
    return client.post("/api/front", data=body, headers={"x-front-signature": sign_rule(body, secret), "Content-Type": "application/json"})


def test_rule_webhook_replay_starts_one_event(registered: str, sink: EventSink, client: FlaskClient) -> None:
    """Rule webhooks carry no timestamp, so a captured one can be replayed any time: the event id dedupes it."""
    event = _event("inbound", "evt_rule", "inb_1", None, "cnv_1")
    assert post_rule(client, event).json["status"] == "sent"
    for _ in range(2):
        again = post_rule(client, event)
        assert again.status_code == 200 and again.json["status"] == "duplicate"
    assert sink.ids == ["evt_rule"] and processed_ids() == ["evt_rule"]


def test_rule_webhook_replayed_after_a_failed_send_is_handed_over(registered: str, sink: EventSink, client: FlaskClient) -> None:
    event = _event("inbound", "evt_rule", "inb_1", None, "cnv_1")
    sink.fail_with(500)
    failed = post_rule(client, event)
    assert failed.status_code == 502 and failed.json["id"] == "evt_rule"
    assert processed_ids() == []
    sink.fail_with(None)
    retry = post_rule(client, event)
    assert retry.status_code == 200 and retry.json["status"] == "sent"
    assert sink.ids == ["evt_rule"] and processed_ids() == ["evt_rule"]
    assert ingest.counts()["send_failed"] == 1


def test_inngest_down_is_5xx(registered: str, sink: EventSink, client: FlaskClient) -> None:
    sink.stop()
    res = post_app(client, app_payload())
    assert res.status_code >= 500 and processed_ids() == []


def test_unknown_inbox_is_200_without_event(registered: str, sink: EventSink, client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    res = post_app(client, app_payload(inbox_id="inb_other"))
    assert res.status_code == 200 and res.json["status"] == "unknown_inbox"
    assert sink.events == [] and processed_ids() == []
    assert ingest.counts()["unknown_inbox"] == 1
    [notice] = [r for r in caplog.records if r.name == "support.front.webhook" and "inb_other" in r.getMessage()]
    assert notice.levelno == logging.WARNING and "lib.apps add" in notice.getMessage()


def test_other_event_types_are_ignored_and_counted(secrets: None, sink: EventSink, client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="support.front")
    for n in range(2):
        res = post_app(client, app_payload("tag_added", event_id=f"evt_t{n}"))
        assert res.status_code == 200 and res.json == {"status": "ignored", "type": "tag"}  # the event's own type, as Front sends it
    post_app(client, app_payload("assignee_changed", event_id="evt_a"))
    assert sink.events == []
    assert ingest.counts()["ignored:tag"] == 2 and ingest.counts()["ignored:assign"] == 1
    lines = [r.getMessage() for r in caplog.records if "ignored" in r.getMessage()]
    assert lines == [
        "front webhook ignored: id=evt_t0 type=tag count=1",
        "front webhook ignored: id=evt_t1 type=tag count=2",
        "front webhook ignored: id=evt_a type=assign count=1",
    ]


IGNORED_IN_A_BARE_PROCESS = r"""
import json, sys
from api.front import app
from devkit.sandbox.front import app_webhook, app_webhook_headers
client = app.test_client()
for n in range(2):
    body = json.dumps(app_webhook("tag_added", event_id=f"evt_{n}")).encode()
    print(client.post("/api/front", data=body, headers=app_webhook_headers(body, sys.argv[1])).status_code)
"""


def test_ignored_count_reaches_stderr_where_nothing_configures_logging() -> None:
    """As on Vercel: no basicConfig, so without api/front.py's handler Python would drop these INFO lines."""
    import subprocess
    import sys

    from lib.config import ROOT

    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "FRONT_APP_SECRET": APP_SECRET}
    proc = subprocess.run(
        [sys.executable, "-c", IGNORED_IN_A_BARE_PROCESS, APP_SECRET], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.stdout.split() == ["200", "200"], proc.stderr[-2000:]
    assert "front webhook ignored: id=evt_1 type=tag count=2" in proc.stderr


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


@pytest.mark.parametrize(("age_s", "accepted"), [(299.0, True), (301.0, False), (-4.0, True), (-6.0, False)])
def test_timestamp_window_is_five_minutes_back_and_a_few_seconds_ahead(age_s: float, accepted: bool) -> None:
    from lib.front.webhooks import WebhookError, verify_app_signature

    sent_ms = 1_700_000_000_000
    body = b'{"type": "sync"}'
    signature = sign_app(body, str(sent_ms), APP_SECRET)
    try:
        verify_app_signature(body, signature, str(sent_ms), APP_SECRET, now=sent_ms / 1000 + age_s)
    except WebhookError as exc:
        assert not accepted and exc.status == 401 and "timestamp" in exc.message
    else:
        assert accepted, f"a request {age_s} s old was accepted"


def test_no_secret_at_all_is_a_503_retry_later(monkeypatch: pytest.MonkeyPatch, sink: EventSink, client: FlaskClient) -> None:
    monkeypatch.delenv("FRONT_APP_SECRET", raising=False)
    monkeypatch.delenv("FRONT_API_SECRET", raising=False)
    res = post_app(client, app_payload())
    assert res.status_code == 503 and "FRONT_APP_SECRET" in res.json["error"]  # nothing handed over: Front retries
    assert sink.events == []


def test_app_signed_request_without_app_secret_is_401_naming_it(secrets: None, monkeypatch: pytest.MonkeyPatch, sink: EventSink, client: FlaskClient) -> None:
    """Only FRONT_API_SECRET set: a timestamped request cannot be verified as an app webhook, so it is refused, not a 500."""
    monkeypatch.delenv("FRONT_APP_SECRET")
    res = post_app(client, app_payload())
    assert res.status_code == 401 and "FRONT_APP_SECRET" in res.json["error"]
    assert sink.events == []


def test_missing_timestamp_header_is_401(secrets: None, monkeypatch: pytest.MonkeyPatch, sink: EventSink, client: FlaskClient) -> None:
    """An app signature without its timestamp is checked as a rule webhook (SHA-1), and fails."""
    body = json.dumps(app_payload()).encode()
    headers = app_webhook_headers(body, APP_SECRET)
    del headers["x-front-request-timestamp"]
    res = client.post("/api/front", data=body, headers=headers)
    assert res.status_code == 401 and res.json["error"] == "signature does not match"
    monkeypatch.delenv("FRONT_API_SECRET")
    res = client.post("/api/front", data=body, headers=headers)
    assert res.status_code == 401 and "x-front-request-timestamp" in res.json["error"]
    assert sink.events == []


@pytest.mark.parametrize("timestamp", ["yesterday", "1.7e12", "9" * 400, "-1"])
def test_unparseable_or_absurd_timestamp_is_401(secrets: None, sink: EventSink, client: FlaskClient, timestamp: str) -> None:
    body = json.dumps(app_payload()).encode()
    headers = {"x-front-signature": sign_app(body, timestamp, APP_SECRET), "x-front-request-timestamp": timestamp}
    res = client.post("/api/front", data=body, headers=headers)
    assert res.status_code == 401 and "timestamp" in res.json["error"]
    assert sink.events == []


def test_malformed_json_is_400(secrets: None, client: FlaskClient) -> None:
    res = post_app(client, None, raw=b'{"type": "inbound_received", ')
    assert res.status_code == 400 and "JSON" in res.json["error"]
    assert post_app(client, None, raw=b"\xff\xfe{}").status_code == 400  # not even UTF-8


@pytest.mark.parametrize("raw", [b"[1, 2]", b"null", b'"inbound_received"', b"42", b"true"])
def test_signed_json_that_is_not_an_object_is_400(registered: str, sink: EventSink, client: FlaskClient, raw: bytes) -> None:
    res = post_app(client, None, raw=raw)
    assert res.status_code == 400 and res.json == {"error": "body must be a JSON object"}
    assert sink.events == [] and processed_ids() == []


@pytest.mark.parametrize("payload", [{"payload": [1]}, {"payload": {"type": "inbound_received"}}, {"type": "inbound_received"}])
def test_object_without_event_id_or_type_is_400(secrets: None, sink: EventSink, client: FlaskClient, payload: dict[str, Any]) -> None:
    res = post_app(client, payload)
    assert res.status_code == 400 and "no id or type" in res.json["error"]
    assert sink.events == []


def test_oversize_body_is_413(secrets: None, monkeypatch: pytest.MonkeyPatch, client: FlaskClient) -> None:
    monkeypatch.setenv("MAX_WEBHOOK_BYTES", "200")
    res = post_app(client, app_payload())
    assert res.status_code == 413 and res.is_json and res.json["error"]


def test_oversize_chunked_body_is_413_not_cut_and_401(secrets: None, monkeypatch: pytest.MonkeyPatch, sink: EventSink) -> None:
    """Without Content-Length, Werkzeug cuts the stream at the limit; the answer must still be 413."""
    import requests

    from devkit.sandbox.server import LocalServer

    body = json.dumps(app_payload("tag_added")).encode()
    headers = app_webhook_headers(body, APP_SECRET)
    with LocalServer(app) as server:
        monkeypatch.setenv("MAX_WEBHOOK_BYTES", str(len(body) - 1))
        res = requests.post(server.url + "/api/front", data=iter([body[:10], body[10:]]), headers=headers, timeout=10)
        assert res.status_code == 413 and "MAX_WEBHOOK_BYTES" in res.json()["error"]
        monkeypatch.setenv("MAX_WEBHOOK_BYTES", str(len(body)))  # exactly at the limit: read whole, accepted
        res = requests.post(server.url + "/api/front", data=iter([body[:10], body[10:]]), headers=headers, timeout=10)
        assert res.status_code == 200 and res.json()["status"] == "ignored"


def test_wrong_method_is_405(client: FlaskClient) -> None:
    res = client.get("/api/front")
    assert res.status_code == 405 and res.is_json and "POST" in res.headers["Allow"]


# -- the validation handshake ---------------------------------------------------------


def test_signed_challenge_is_answered(secrets: None, sink: EventSink, client: FlaskClient) -> None:
    res = post_app(client, {"type": "sync", "authorization": {"id": "cmp_123"}}, **{"x-front-challenge": "abc123"})
    assert res.status_code == 200 and res.json == {"challenge": "abc123"}
    assert sink.events == []


def test_unsigned_challenge_is_401_and_not_echoed(secrets: None, client: FlaskClient) -> None:
    """Front signs the handshake (dev.frontapp.com, application webhook validation), so an unsigned one is not Front."""
    res = client.post("/api/front", json={"type": "sync"}, headers={"x-front-challenge": "xyz"})
    assert res.status_code == 401 and "challenge" not in res.json and "xyz" not in res.get_data(as_text=True)


def test_forged_challenge_carrying_an_event_sends_and_stores_nothing(registered: str, sink: EventSink, client: FlaskClient) -> None:
    res = post_app(client, app_payload(), secret="wrong", **{"x-front-challenge": "abc"})
    assert res.status_code == 401
    unsigned = client.post("/api/front", json=app_payload(), headers={"x-front-challenge": "abc"})
    assert unsigned.status_code == 401
    assert sink.events == [] and processed_ids() == []


def test_signed_challenge_is_only_answered_even_with_an_event_body(registered: str, sink: EventSink, client: FlaskClient) -> None:
    res = post_app(client, app_payload(), **{"x-front-challenge": "abc"})
    assert res.status_code == 200 and res.json == {"challenge": "abc"}
    assert sink.events == [] and processed_ids() == []
    assert ingest.counts()["challenge"] == 1


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
