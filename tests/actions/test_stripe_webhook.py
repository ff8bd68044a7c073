"""`/api/stripe`: Stripe's signed refund events become `stripe/refund.updated`, over HTTP from the fake Stripe."""

from __future__ import annotations

import json
import time
from typing import Iterator

import pytest
import requests

from devkit.sandbox.inngest_events import EventSink
from devkit.sandbox.server import LocalServer
from devkit.sandbox.stripe_server import FakeStripe


@pytest.fixture
def stripe_api() -> Iterator[FakeStripe]:
    with FakeStripe() as api:
        api.add_payment("pi_1", 4900, refund_status="pending")
        api.add_refund("pi_1", 4900, metadata={"action_id": "act_1"})
        yield api


@pytest.fixture
def sink() -> Iterator[EventSink]:
    with EventSink() as s:
        yield s


@pytest.fixture
def url() -> Iterator[str]:
    import api.stripe

    with LocalServer(api.stripe.app) as server:
        yield f"{server.url}/api/stripe"


def _signed_post(stripe_api: FakeStripe, url: str, payload: bytes, **sign: object) -> requests.Response:
    return requests.post(url, data=payload, headers={"Stripe-Signature": stripe_api.sign(payload.decode("utf-8", "replace"), **sign)},  # type: ignore[arg-type]
                         timeout=10)


@pytest.mark.parametrize("kind", ["refund.updated", "charge.refund.updated"])
def test_a_signed_refund_update_is_handed_to_inngest_once_per_stripe_event(
    stripe_api: FakeStripe, sink: EventSink, url: str, kind: str
) -> None:
    stripe_api.update_refund("re_fake1", "failed", "expired_or_canceled_card")
    event = stripe_api.event("re_fake1", kind)

    first = stripe_api.send_webhook(url, "re_fake1", event=event)
    again = stripe_api.send_webhook(url, "re_fake1", event=event)  # Stripe redelivers

    assert (first.status_code, again.status_code) == (200, 200), first.text
    assert first.json() == {"status": "sent", "event": "stripe/refund.updated", "id": event["id"], "actionId": "act_1"}
    assert sink.ids == [f"stripe-{event['id']}"] * 2  # one Inngest event id: Inngest counts it once
    data = sink.named("stripe/refund.updated")[0]["data"]
    assert data == {"actionId": "act_1", "refundId": "re_fake1", "status": "failed", "failureReason": "expired_or_canceled_card",
                    "amount": 4900, "currency": "usd", "stripeEventId": event["id"], "stripeEventType": kind}


@pytest.mark.parametrize(
    "forge",
    [
        {"secret": "whsec_someone_else"},
        {"timestamp": int(time.time()) - 600},  # replayed after Stripe's 300 s tolerance
    ],
    ids=["wrong-secret", "stale"],
)
def test_a_forged_or_stale_signature_is_400_and_sends_nothing(stripe_api: FakeStripe, sink: EventSink, url: str, forge: dict) -> None:
    response = stripe_api.send_webhook(url, "re_fake1", **forge)

    assert response.status_code == 400 and "Stripe-Signature" in response.json()["error"]
    assert sink.events == []


def test_a_tampered_body_or_no_signature_is_400(stripe_api: FakeStripe, sink: EventSink, url: str) -> None:
    payload = json.dumps(stripe_api.event("re_fake1"))
    header = stripe_api.sign(payload)
    tampered = requests.post(url, data=payload.replace("act_1", "act_2"), headers={"Stripe-Signature": header}, timeout=10)
    unsigned = requests.post(url, data=payload, timeout=10)

    assert (tampered.status_code, unsigned.status_code) == (400, 400)
    assert sink.events == []


@pytest.mark.parametrize("payload", [b"not json", b"[1, 2]", b'{"id": 7}', b"\xff\xfe", b'{"id": "evt_1", "type": "refund.updated", "data": {"object": 5}}'])
def test_a_signed_body_that_is_no_stripe_event_is_400_never_500(stripe_api: FakeStripe, sink: EventSink, url: str, payload: bytes) -> None:
    response = _signed_post(stripe_api, url, payload)

    assert response.status_code == 400, response.text
    assert sink.events == []


def test_other_events_and_refunds_no_action_made_are_acknowledged_and_ignored(stripe_api: FakeStripe, sink: EventSink, url: str) -> None:
    other = dict(stripe_api.event("re_fake1"), type="charge.succeeded")
    stripe_api.add_payment("pi_2", 100)
    dashboard = stripe_api.add_refund("pi_2", 100)  # made by hand in Stripe's dashboard: no action_id

    first = stripe_api.send_webhook(url, "re_fake1", event=other)
    second = stripe_api.send_webhook(url, dashboard["id"])

    assert (first.status_code, first.json()["status"]) == (200, "ignored")
    assert (second.status_code, second.json()["status"]) == (200, "ignored")
    assert sink.events == []


def test_without_a_secret_it_is_503_and_when_inngest_is_down_502(
    stripe_api: FakeStripe, sink: EventSink, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink.fail_with(503)
    down = stripe_api.send_webhook(url, "re_fake1")
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET")
    unconfigured = stripe_api.send_webhook(url, "re_fake1")

    assert down.status_code == 502 and unconfigured.status_code == 503
    assert "STRIPE_WEBHOOK_SECRET" in unconfigured.json()["error"]


def test_only_post_is_served(url: str) -> None:
    response = requests.get(url, timeout=10)
    assert response.status_code == 405 and response.json()["error"]


def test_the_dev_server_routes_api_stripe() -> None:
    from devkit.devserver import api_modules, build_app

    assert "stripe" in api_modules()
    assert "stripe" in build_app(["stripe"]).apps
