"""The classes of bad input issue 14 found, one example each, on the endpoints that broke.

Each of these answered 500 (or a 502 that makes Front retry forever) before the
request-parsing layer: type confusion, deep nesting, huge and non-finite numbers,
a missing secret. Each must be a clean refusal now, record nothing and send nothing.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable
from urllib.parse import urlencode

import pytest

from tests.robustness.endpoints import (
    ACTION,
    ENDPOINTS,
    INBOX,
    SLACK_SECRET,
    front_template,
    sign_front_app,
    sign_stripe,
    slack_template,
    stripe_template,
)
from tests.robustness.test_generated import _snapshot

ENDPOINT = {e.name: e for e in ENDPOINTS}
DEEP = "[" * 50_000 + "]" * 50_000


def _front(mutate: Callable[[dict[str, Any]], Any], raw: str | None = None) -> dict[str, Any]:
    payload = front_template()
    mutate(payload)
    body = (raw if raw is not None else json.dumps(payload)).encode()
    return {"endpoint": "front-app", "method": "POST", "path": "/api/front", "data": body,
            "headers": sign_front_app(body, {}), "content_type": "application/json"}


def _message(payload: dict[str, Any]) -> dict[str, Any]:
    return payload["payload"]["target"]["data"]


def _slack(payload_text: str, timestamp: str | None = None) -> dict[str, Any]:
    from lib.approvals.slack import signature_for

    body = urlencode({"payload": payload_text}).encode()
    ts = timestamp or str(int(time.time()))
    return {"endpoint": "slack", "method": "POST", "path": "/api/slack", "data": body,
            "headers": {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature_for(body, ts, SLACK_SECRET)},
            "content_type": "application/x-www-form-urlencoded"}


def _decision(**fields: Any) -> dict[str, Any]:
    from lib.approvals.links import form_token

    body = {"decision": "approved", "token": form_token(ACTION), "approver": "ann", **fields}
    return {"endpoint": "approvals", "method": "POST", "path": f"/api/approvals/{ACTION}/decision",
            "data": json.dumps(body).encode(), "headers": {}, "content_type": "application/json"}


def _stripe(raw: str) -> dict[str, Any]:
    body = raw.encode()
    return {"endpoint": "stripe", "method": "POST", "path": "/api/stripe", "data": body,
            "headers": sign_stripe(body, {}), "content_type": "application/json"}


def _stripe_refund(**fields: Any) -> dict[str, Any]:
    event = stripe_template()
    event["data"]["object"].update(fields)
    return _stripe(json.dumps(event))


def _dashboard(query: str) -> dict[str, Any]:
    from tests.robustness.endpoints import sign_approvals

    return {"endpoint": "dashboard", "method": "GET", "path": f"/api/dashboard?{query}", "data": b"",
            "headers": sign_approvals(b"", {"Accept": "application/json"}), "content_type": ""}


def _inngest(body: str, query: str = "fnId=support-workflows-request-approval", method: str = "POST") -> dict[str, Any]:
    return {"endpoint": "inngest", "method": method, "path": f"/api/inngest?{query}", "data": body.encode(),
            "headers": {}, "content_type": "application/json"}


CASES: dict[str, tuple[Callable[[], dict[str, Any]], int]] = {
    # Front, signed: the parsers behind the signature check
    "front: 50,000 nested arrays": (lambda: _front(lambda p: None, raw=DEEP), 400),
    "front: emitted_at 1e999": (lambda: _front(lambda p: None, raw=json.dumps(front_template()).replace('"emitted_at": ', '"emitted_at": 1e999, "x": ')), 400),
    "front: emitted_at 'Infinity' as a string": (lambda: _front(lambda p: p["payload"].update(emitted_at="Infinity")), 400),
    "front: emitted_at NaN": (lambda: _front(lambda p: None, raw=json.dumps(front_template()).replace('"emitted_at": ', '"emitted_at": NaN, "x": ')), 400),
    "front: recipients is a number": (lambda: _front(lambda p: _message(p).update(recipients=5)), 400),
    "front: message id is an object": (lambda: _front(lambda p: _message(p).update(id={"a": 1})), 400),
    "front: inbox list holds a number": (lambda: _front(lambda p: p["payload"]["source"].update(data=[7])), 400),
    "front: 400-digit timestamp header": (lambda: {**_front(lambda p: None), "headers": {"x-front-request-timestamp": "9" * 400, "x-front-signature": "x"}}, 401),
    # Slack, signed
    "slack: 400-digit timestamp": (lambda: _slack(json.dumps(slack_template()), timestamp="9" * 400), 401),
    "slack: payload nested 50,000 deep": (lambda: _slack(DEEP), 400),
    "slack: user name is an object": (lambda: _slack(json.dumps({**slack_template(), "user": {"username": {"a": 1}}})), 400),
    # the approvals decision form, with a valid token
    "approvals: token is a number": (lambda: {**_decision(), "data": json.dumps({"decision": "approved", "token": 5}).encode()}, 400),
    "approvals: approver is a list": (lambda: _decision(approver=["ann"]), 400),
    "approvals: reason is an object": (lambda: _decision(reason={"why": "x"}), 400),
    "approvals: body nested 20,000 deep": (lambda: {**_decision(), "data": ("[" * 20_000 + "]" * 20_000).encode()}, 400),
    # Stripe, signed: a delivery that can never succeed is a 400 (Stripe stops retrying), not a 503
    "stripe: body nested 50,000 deep": (lambda: _stripe(DEEP), 400),
    "stripe: refund id is a list": (lambda: _stripe_refund(id=["re_1"]), 400),
    "stripe: amount is a string": (lambda: _stripe_refund(amount="lots"), 400),
    "stripe: amount 1e999": (lambda: _stripe(json.dumps(stripe_template()).replace('"amount": 4900', '"amount": 1e999')), 400),
    # the dashboard, with the key: its query parameters
    "dashboard: days=abc": (lambda: _dashboard("days=abc"), 400),
    "dashboard: days has 400 digits": (lambda: _dashboard("days=" + "9" * 400), 400),
    "dashboard: app=<script>": (lambda: _dashboard("app=%3Cscript%3Ealert(1)%3C%2Fscript%3E"), 404),
    "dashboard: app is 10,000 characters": (lambda: _dashboard("app=" + "a" * 10_000), 404),
    # the Inngest serve endpoint
    "inngest: body nested 50,000 deep": (lambda: _inngest(DEEP), 400),
    "inngest: empty object": (lambda: _inngest("{}"), 400),
    "inngest: unknown function": (lambda: _inngest("{}", query="fnId=nope"), 404),
    "inngest: sync with Inngest unreachable": (lambda: _inngest("", query="", method="PUT"), 502),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_known_bad_input_is_refused_cleanly(case: str, world: Any) -> None:
    build, expected = CASES[case]
    request = build()
    endpoint = ENDPOINT[request.pop("endpoint")]
    before, sent = _snapshot(), len(world.events)
    response = endpoint.app().test_client().open(request["path"], method=request["method"], headers=request["headers"],
                                                 data=request["data"], content_type=request["content_type"])
    assert response.status_code == expected, response.get_data()[:300]
    assert _snapshot() == before and len(world.events) == sent


def test_front_without_any_secret_is_503_retry_later(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRONT_APP_SECRET")
    monkeypatch.delenv("FRONT_API_SECRET")
    request = _front(lambda p: None)
    response = ENDPOINT["front-app"].app().test_client().post("/api/front", data=request["data"], headers=request["headers"])
    assert response.status_code == 503 and "FRONT_APP_SECRET" in response.json["error"]


def test_a_well_formed_front_delivery_still_goes_through(world: Any) -> None:
    """The control: the same template, untouched, is accepted (so the refusals above are about the input)."""
    request = _front(lambda p: None)
    response = ENDPOINT["front-app"].app().test_client().post("/api/front", data=request["data"], headers=request["headers"])
    assert response.status_code == 200 and response.json["status"] == "sent", response.json
    assert world.events[-1]["data"]["inboxId"] == INBOX


def test_every_function_has_a_row() -> None:
    """A new `api/*.py` without a row here would go untested for bad input."""
    from pathlib import Path

    served = {e.app.__name__.lstrip("_").split("_")[0] for e in ENDPOINTS}  # _front, _inngest_cloud, ...
    functions = {p.stem for p in (Path(__file__).parent.parent.parent / "api").glob("*.py") if not p.name.startswith("_")}
    assert functions <= served, f"api functions with no row in ENDPOINTS: {sorted(functions - served)}"
