"""Every HTTP endpoint, one row each: how to reach it, what a well-formed request looks like, how to sign one.

The property tests (`test_generated.py`) and the known-class tests take their requests from
this table, so a new function (say `api/stripe.py`) is covered by adding one `Endpoint` row:
its Flask app, its paths and methods, a template of the body it expects (the generator
mutates it: wrong types, deep nesting, non-finite numbers) and a signer that makes a
generated body pass the signature check, so the parsers behind it are reached too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlencode

from flask import Flask

APP_SECRET = "front-app-secret-robust"
API_SECRET = "front-api-secret-robust"
SLACK_SECRET = "slack-signing-secret-robust"
APPROVALS_SECRET = "approvals-secret-robust"
CRON_SECRET = "cron-secret-robust"
STRIPE_WEBHOOK_SECRET = "whsec_robust"
INBOX = "inb_robust"
ACTION = "act_robust"

ENV = {
    "FRONT_APP_SECRET": APP_SECRET,
    "FRONT_API_SECRET": API_SECRET,
    "SLACK_SIGNING_SECRET": SLACK_SECRET,
    "APPROVALS_SECRET": APPROVALS_SECRET,
    "CRON_SECRET": CRON_SECRET,
    "STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
    "PUBLIC_BASE_URL": "https://support.example.com",
}

Signer = Callable[[bytes, dict[str, str]], dict[str, str]]
Body = Callable[[str], bytes]  # JSON text of the template (mutated) -> the request body


@dataclass(frozen=True)
class Endpoint:
    name: str
    app: Callable[[], Flask]
    paths: tuple[str, ...]
    methods: tuple[str, ...]  # the ones it serves first; the generator adds others
    template: Callable[[], Any]  # a well-formed body, as JSON-able data
    content_type: str = "application/json"
    wrap: Body = field(default=lambda text: text.encode("utf-8", "surrogatepass"))
    sign: Signer | None = None  # headers that make this body pass the signature check
    headers: tuple[str, ...] = ()  # headers worth fuzzing
    query_keys: tuple[str, ...] = ()
    json_errors: bool = True  # 4xx bodies are JSON `{"error": ...}` (the SDK's own answers are not)


# -- apps (imported lazily: the environment must be set first) -----------------


def _front() -> Flask:
    from api.front import app

    return app


def _slack() -> Flask:
    from api.slack import app

    return app


def _approvals() -> Flask:
    from api.approvals import app

    return app


def _dashboard() -> Flask:
    from api.dashboard import app

    return app


def _cron() -> Flask:
    from api.cron import app

    return app


def _stripe() -> Flask:
    from api.stripe import app

    return app


def _inngest() -> Flask:
    from api.inngest import app

    return app


_cloud_app: Flask | None = None


def _inngest_cloud() -> Flask:
    """The serve endpoint in Inngest Cloud mode (signed requests only), built as `api/inngest.py` builds it."""
    global _cloud_app
    if _cloud_app is None:
        import inngest

        from lib.inngest.serve import make_app
        from lib.workflows import all_functions

        nowhere = f"http://127.0.0.1:{_closed_port()}"  # a sync (PUT) fails at once, as with Inngest unreachable
        client = inngest.Inngest(app_id="support-workflows", is_production=True, api_base_url=nowhere,
                                 event_api_base_url=nowhere, signing_key="signkey-prod-" + "ab" * 32,
                                 event_key="robust-event-key")
        _cloud_app = make_app("inngest-cloud", client, all_functions())
    return _cloud_app


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- signers ---------------------------------------------------------------------


def sign_front_app(body: bytes, headers: dict[str, str]) -> dict[str, str]:
    from lib.front.webhooks import sign_app

    ts = str(int(time.time() * 1000))
    return {**headers, "x-front-request-timestamp": ts, "x-front-signature": sign_app(body, ts, APP_SECRET)}


def sign_front_rule(body: bytes, headers: dict[str, str]) -> dict[str, str]:
    from lib.front.webhooks import sign_rule

    return {k: v for k, v in headers.items() if k != "x-front-request-timestamp"} | {"x-front-signature": sign_rule(body, API_SECRET)}


def sign_slack(body: bytes, headers: dict[str, str]) -> dict[str, str]:
    from lib.approvals.slack import signature_for

    ts = str(int(time.time()))
    return {**headers, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature_for(body, ts, SLACK_SECRET)}


def sign_approvals(body: bytes, headers: dict[str, str]) -> dict[str, str]:
    import base64

    return {**headers, "Authorization": "Basic " + base64.b64encode(f"ann:{APPROVALS_SECRET}".encode()).decode()}


def sign_cron(body: bytes, headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Authorization": f"Bearer {CRON_SECRET}"}


def sign_stripe(body: bytes, headers: dict[str, str]) -> dict[str, str]:
    """`Stripe-Signature` over the raw bytes, as `stripe.WebhookSignature` checks it (`t=...,v1=HMAC("{t}." + body)`)."""
    import hashlib
    import hmac

    ts = str(int(time.time()))
    mac = hmac.new(STRIPE_WEBHOOK_SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {**headers, "Stripe-Signature": f"t={ts},v1={mac}"}


# -- templates ---------------------------------------------------------------------


def front_template() -> Any:
    from devkit.sandbox.front import app_webhook

    return app_webhook("inbound_received", inbox_id=INBOX)


def slack_template() -> Any:
    return {
        "type": "block_actions",
        "user": {"id": "U1", "username": "ann", "name": "ann"},
        "container": {"type": "message", "channel_id": "C1", "message_ts": "1700000000.000001"},
        "channel": {"id": "C1"},
        "message": {"ts": "1700000000.000001"},
        "response_url": None,
        "actions": [{"action_id": "approve", "block_id": "approval", "value": "act_missing", "type": "button"}],
    }


def slack_form(text: str) -> bytes:
    return urlencode({"payload": text.encode("utf-8", "surrogatepass")}).encode()


def decision_template() -> Any:
    from lib.approvals.links import form_token

    return {"decision": "rejected", "token": form_token(ACTION), "approver": "ann", "reason": "not eligible"}


def stripe_template() -> Any:
    from devkit.sandbox.stripe_server import FakeStripe

    stripe_api = FakeStripe()
    stripe_api.add_payment("pi_robust", 4900)
    refund = stripe_api.add_refund("pi_robust", 4900, metadata={"action_id": ACTION})
    return stripe_api.event(refund["id"], "refund.updated")


def inngest_template() -> Any:
    return {
        "ctx": {"attempt": 0, "disable_immediate_execution": False, "run_id": "run_1", "stack": {"stack": []}},
        "event": {"name": "support/approval.requested", "data": {}, "id": "", "ts": 0},
        "events": [],
        "steps": {},
        "use_api": False,
    }


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("front-app", _front, ("/api/front",), ("POST",), front_template, sign=sign_front_app,
             headers=("x-front-signature", "x-front-request-timestamp", "x-front-challenge")),
    Endpoint("front-rule", _front, ("/api/front",), ("POST",), lambda: front_template()["payload"], sign=sign_front_rule,
             headers=("x-front-signature",)),
    Endpoint("slack", _slack, ("/api/slack",), ("POST",), slack_template, content_type="application/x-www-form-urlencoded",
             wrap=slack_form, sign=sign_slack, headers=("X-Slack-Request-Timestamp", "X-Slack-Signature")),
    Endpoint("approvals", _approvals,
             ("/api/approvals", f"/api/approvals/{ACTION}", f"/api/approvals/{ACTION}/decision", "/api/approvals/{any}",
              "/api/approvals/{any}/decision"),
             ("POST", "GET"), decision_template, sign=sign_approvals, headers=("Authorization", "Accept", "Cookie"),
             query_keys=("key", "action", "exp", "sig")),
    Endpoint("dashboard", _dashboard, ("/api/dashboard", "/api/dashboard/{any}"), ("GET",), lambda: {}, sign=sign_approvals,
             headers=("Authorization", "Accept", "Cookie"), query_keys=("key", "days", "app")),
    Endpoint("stripe", _stripe, ("/api/stripe",), ("POST",), stripe_template, sign=sign_stripe, headers=("Stripe-Signature",)),
    Endpoint("cron", _cron, ("/api/cron",), ("GET",), lambda: {}, sign=sign_cron, headers=("Authorization",)),
    Endpoint("inngest", _inngest, ("/api/inngest",), ("POST", "GET", "PUT"), inngest_template,
             query_keys=("fnId", "stepId", "probe", "deployId"), json_errors=False),
    Endpoint("inngest-cloud", _inngest_cloud, ("/api/inngest",), ("POST", "GET", "PUT"), inngest_template,
             headers=("X-Inngest-Signature", "X-Inngest-Server-Kind"), query_keys=("fnId", "stepId", "probe", "deployId"),
             json_errors=False),
)

FUNCTION_IDS = ("support-workflows-request-approval", "request-approval", "support-workflows-handle-inbound-message", "nope")
