"""A fake Stripe API on 127.0.0.1 for the real `stripe` library (`StripeClient`) to talk to.

    with FakeStripe() as stripe_api:            # sets STRIPE_API_BASE, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET
        stripe_api.add_payment("pi_1", 4900, "usd")
        create_refund(action_id="act_1", purchase_id="pi_1")
        assert stripe_api.refunds[0]["payment_intent"] == "pi_1"

It keeps Stripe's rules that matter for refunds, each with its source:

- A bearer secret key; form-encoded bodies with `metadata[...]` keys.
- `Idempotency-Key` (Stripe's "Idempotent requests", docs.stripe.com/api/idempotent_requests):
  "Stripe saves the status code and body of the first request made with a given
  idempotency key after endpoint execution begins. Retries with the same key return
  the saved response, including `500` errors." So a 500 from inside the endpoint is
  replayed for that key (for at least 24 h; this fake never prunes). "The idempotency
  layer compares incoming parameters to those of the original request and errors if
  they're not the same" (400 `idempotency_error`). Results are not saved when the
  request never reached the endpoint: a bad key (401), a rate limit (429). Keys are
  per account (`Stripe-Account`), as every object is.
- Unknown payments (404 `resource_missing`), fully refunded ones (400
  `charge_already_refunded`), amounts over what is left (400 `amount_too_large`).
- `GET /v1/refunds` (API reference "List all refunds", stripe/_refund_service.py and
  params/_refund_list_params.py): newest first, filters `payment_intent` / `charge`,
  `limit` 1..100 (default 10), `starting_after` / `ending_before` cursors, `has_more`;
  an unknown parameter is a 400. Only the account's own refunds are listed.
- `GET /v1/refunds/{id}`: the refund, or 404 `resource_missing` (other accounts' too).
- Refund statuses (stripe/_refund.py `status`: `pending`, `requires_action`, `succeeded`,
  `failed`, `canceled`; `failure_reason` when failed). `add_payment(refund_status=...)`
  chooses what a new refund starts as; `update_refund()` moves it later, as Stripe
  does for bank-based methods, giving the money back to the payment when it fails
  or is canceled.
- Webhooks (Stripe's "Receive Stripe events in your webhook endpoint" and
  `stripe.WebhookSignature`): `send_webhook()` POSTs an `event` object
  (`refund.updated`, `charge.refund.updated`, ...) with
  `Stripe-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "{t}.{body}")>`.

Scriptable: `fail_next(status, type, code, times, refund_first=False)` answers errors in
Stripe's shape (with `refund_first` the refund is made before the 500, which is why a
500 must be reconciled, not retried blindly); `drop_after_create(times)` creates the
refund and then closes the connection without answering, which is what the client sees
when our process or the network dies between Stripe's work and our database write.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import socket
import threading
import time
from collections import deque
from types import TracebackType
from typing import Any

import requests
from flask import Flask, Response, jsonify, request

from devkit.sandbox.server import EnvSwap, LocalServer

SECRET_KEY = "sk_test_fake"
WEBHOOK_SECRET = "whsec_test_fake"
PENDING = ("pending", "requires_action")
LIST_PARAMS = {"payment_intent", "charge", "limit", "starting_after", "ending_before", "created", "expand"}


class FakeStripe:
    def __init__(self, secret_key: str = SECRET_KEY, webhook_secret: str = WEBHOOK_SECRET) -> None:
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.payments: dict[str, dict[str, Any]] = {}  # payment intent id -> {amount, currency, charge, refunded, refund_status}
        self.refunds: list[dict[str, Any]] = []  # refunds created, oldest first (as Stripe returns them)
        self.requests: list[dict[str, Any]] = []  # every POST /v1/refunds, authorised or not: {idempotency_key, account, params, status}
        self.reads: list[dict[str, Any]] = []  # every GET: {path, args, account}
        self.delay = 0.0  # seconds each POST /v1/refunds waits before doing anything
        self.arrived = 0  # POST /v1/refunds that reached the fake, `delay` or not: one in flight counts
        self._accounts: dict[str, str | None] = {}  # refund id -> the account it belongs to
        self._idempotent: dict[tuple[str | None, str], tuple[dict[str, Any], int, dict[str, Any]]] = {}
        self._failures: deque[tuple[int, str, str | None, bool]] = deque()
        self._drops = 0
        self._ids = itertools.count(1)
        self._events = itertools.count(1)
        self._lock = threading.Lock()
        self._env = EnvSwap()
        self.app = self._make_app()  # public, so a sandbox can serve it on a fixed port
        self._server = LocalServer(self.app, closes_connections=True)  # it loses answers (`_drop_connection`)

    @property
    def url(self) -> str:
        return self._server.url

    # --- setup -----------------------------------------------------------
    def add_payment(self, payment_intent: str, amount: int, currency: str = "usd", *, refund_status: str = "succeeded",
                    settles_to: str | None = None) -> None:
        """A payment to refund; its refunds start as `refund_status` (card refunds succeed at once, others wait).

        With `settles_to`, Stripe has settled a waiting refund by the time anyone reads it again
        (what a poll finds when the webhook was missed).
        """
        self.payments[payment_intent] = {"amount": amount, "currency": currency, "charge": f"ch_{payment_intent[3:]}", "refunded": 0,
                                         "refund_status": refund_status, "settles_to": settles_to}

    def fail_next(self, status: int = 500, type: str = "api_error", code: str | None = None, times: int = 1,
                  *, refund_first: bool = False) -> None:
        """The next `times` creations answer this error; with `refund_first` the refund is made before a 500."""
        with self._lock:
            self._failures.extend([(status, type, code, refund_first)] * times)

    def drop_after_create(self, times: int = 1) -> None:
        """The next `times` refund creations succeed at "Stripe" but the caller never hears the answer."""
        with self._lock:
            self._drops += times

    def add_refund(self, payment_intent: str, amount: int, *, metadata: dict[str, str] | None = None, account: str | None = None) -> dict[str, Any]:
        """A refund made elsewhere (the dashboard, another action), newest of all."""
        with self._lock:
            status, body = self._refund({"payment_intent": payment_intent, "amount": str(amount), "metadata": metadata or {}}, account)
            assert status == 200, body
            return body

    def refund(self, refund_id: str) -> dict[str, Any]:
        return next(r for r in self.refunds if r["id"] == refund_id)

    def update_refund(self, refund_id: str, status: str, failure_reason: str | None = None) -> dict[str, Any]:
        """Stripe settles a refund later: `pending`/`requires_action` become `succeeded`, `failed` or `canceled`."""
        with self._lock:
            return self._update(self.refund(refund_id), status, failure_reason)

    def _update(self, refund: dict[str, Any], status: str, failure_reason: str | None = None) -> dict[str, Any]:
        """Change a refund's status (called under the lock)."""
        if refund["status"] in ("failed", "canceled"):
            raise ValueError(f"refund {refund['id']} is {refund['status']}: Stripe changes it no more")
        previous = refund["status"]
        refund["status"] = status
        if status == "failed":
            refund["failure_reason"] = failure_reason or "unknown"
        if status in ("failed", "canceled"):  # the money was never sent: the payment may be refunded again
            self.payments[refund["payment_intent"]]["refunded"] -= refund["amount"]
        refund["_previous"] = {"status": previous}
        return _public(refund)

    def event(self, refund_id: str, type: str = "refund.updated") -> dict[str, Any]:
        """A Stripe `event` object about the refund as it is now (snapshot payload)."""
        refund = self.refund(refund_id)
        return {
            "id": f"evt_fake{next(self._events)}",
            "object": "event",
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "type": type,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "account": self._accounts.get(refund_id),
            "data": {"object": _public(refund), "previous_attributes": refund.get("_previous") or {}},
        }

    def sign(self, payload: str, *, timestamp: int | None = None, secret: str | None = None) -> str:
        """`Stripe-Signature` as Stripe computes it (see `stripe.WebhookSignature`)."""
        timestamp = int(time.time()) if timestamp is None else timestamp
        mac = hmac.new((secret or self.webhook_secret).encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
        return f"t={timestamp},v1={mac}"

    def send_webhook(self, url: str, refund_id: str, type: str = "refund.updated", *, event: dict[str, Any] | None = None,
                     secret: str | None = None, timestamp: int | None = None) -> requests.Response:
        """Deliver an event to an endpoint the way Stripe does (JSON body, signed); the endpoint's answer."""
        payload = json.dumps(event or self.event(refund_id, type), indent=2)  # Stripe pretty-prints; the signature covers the raw text
        headers = {"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": self.sign(payload, timestamp=timestamp, secret=secret),
                   "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"}
        return requests.post(url, data=payload.encode(), headers=headers, timeout=30)

    # --- lifecycle -------------------------------------------------------
    def __enter__(self) -> "FakeStripe":
        from lib.payments.client import reset_stripe

        self._server.start()
        self._env.set({"STRIPE_API_BASE": self.url, "STRIPE_SECRET_KEY": self.secret_key, "STRIPE_MAX_NETWORK_RETRIES": "2",
                       "STRIPE_WEBHOOK_SECRET": self.webhook_secret})
        reset_stripe()
        return self

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType] | Any) -> None:
        from lib.payments.client import reset_stripe

        self._server.stop()
        self._env.restore()
        reset_stripe()

    # --- the API ---------------------------------------------------------
    def _make_app(self) -> Flask:
        app = Flask(f"fake-stripe-{id(self)}")

        @app.post("/v1/refunds")
        def create_refund() -> Any:
            with self._lock:
                self.arrived += 1
            if self.delay:
                time.sleep(self.delay)
            params = _decode_form(request.form)
            key = request.headers.get("Idempotency-Key")
            account = request.headers.get("Stripe-Account")
            with self._lock:
                sent = {"idempotency_key": key, "account": account, "params": params}
                self.requests.append(sent)
                if not self._authorised():
                    sent["status"] = 401
                    return _error(401, "invalid_request_error", None, "Invalid API Key provided")
                if key and (account, key) in self._idempotent:
                    first_params, status, body = self._idempotent[(account, key)]
                    if first_params != params:
                        sent["status"] = 400
                        return _error(400, "idempotency_error", None, "Keys for idempotent requests can only be used with the same parameters they were first used with.")
                    sent["status"] = status
                    response = jsonify(body)
                    response.status_code = status
                    response.headers["Idempotent-Replayed"] = "true"
                    return response
                if self._failures:
                    status, kind, code, refund_first = self._failures.popleft()
                    if refund_first:
                        self._refund(params, account)
                    status, body = _error_body(status, kind, code, f"scripted {kind}")
                    if key and status == 500:  # the endpoint had begun: Stripe saves the 500 for this key
                        self._idempotent[(account, key)] = (params, status, body)
                    sent["status"] = status
                    return _json(status, body)
                status, body = self._refund(params, account)
                if key:
                    self._idempotent[(account, key)] = (params, status, body)
                sent["status"] = status
                drop = status == 200 and self._drops > 0
                if drop:
                    self._drops -= 1
            if drop:
                _drop_connection()
                return Response(status=500)  # never reaches the client: the socket is gone
            return _json(status, body)

        @app.get("/v1/refunds")
        def list_refunds() -> Any:
            account = request.headers.get("Stripe-Account")
            self.reads.append({"path": request.path, "args": request.args.to_dict(), "account": account})
            if not self._authorised():
                return _error(401, "invalid_request_error", None, "Invalid API Key provided")
            unknown = sorted(set(request.args) - LIST_PARAMS)
            if unknown:
                return _error(400, "invalid_request_error", "parameter_unknown", f"Received unknown parameter: {unknown[0]}")
            try:
                limit = int(request.args.get("limit", "10"))
            except ValueError:
                return _error(400, "invalid_request_error", "parameter_invalid_integer", "Invalid integer: limit")
            if not 1 <= limit <= 100:
                return _error(400, "invalid_request_error", "parameter_invalid_integer", "This value must be between 1 and 100 (inclusive).")
            with self._lock:
                found = [r for r in reversed(self.refunds) if self._accounts.get(r["id"]) == account]  # newest first
                for refund in found:
                    self._settle(refund)
                if request.args.get("payment_intent"):
                    found = [r for r in found if r["payment_intent"] == request.args["payment_intent"]]
                if request.args.get("charge"):
                    found = [r for r in found if r["charge"] == request.args["charge"]]
                ids = [r["id"] for r in found]
                for cursor, after in (("starting_after", True), ("ending_before", False)):
                    value = request.args.get(cursor)
                    if value:
                        if value not in ids:
                            return _error(400, "invalid_request_error", "resource_missing", f"No such refund: '{value}'")
                        at = ids.index(value)
                        found = found[at + 1:] if after else found[:at][-limit:]
                        break
                page = found[:limit]
                return _json(200, {"object": "list", "url": "/v1/refunds", "has_more": len(found) > limit,
                                   "data": [_public(r) for r in page]})

        @app.get("/v1/refunds/<refund_id>")
        def retrieve_refund(refund_id: str) -> Any:
            account = request.headers.get("Stripe-Account")
            self.reads.append({"path": request.path, "args": request.args.to_dict(), "account": account})
            if not self._authorised():
                return _error(401, "invalid_request_error", None, "Invalid API Key provided")
            with self._lock:
                refund = next((r for r in self.refunds if r["id"] == refund_id), None)
                if refund is None or self._accounts.get(refund_id) != account:
                    return _error(404, "invalid_request_error", "resource_missing", f"No such refund: '{refund_id}'")
                self._settle(refund)
                return _json(200, _public(refund))

        return app

    def _settle(self, refund: dict[str, Any]) -> None:
        target = self.payments[refund["payment_intent"]].get("settles_to")
        if target and refund["status"] in PENDING:
            self._update(refund, target, "insufficient_funds" if target == "failed" else None)

    def _authorised(self) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.secret_key}"

    def _refund(self, params: dict[str, Any], account: str | None) -> tuple[int, dict[str, Any]]:
        """Stripe's answer to one refund creation (called under the lock)."""
        payment_intent = params.get("payment_intent")
        charge = params.get("charge")
        payment = self.payments.get(payment_intent) if payment_intent else next(
            (p for p in self.payments.values() if p["charge"] == charge), None)
        if payment is None:
            missing = payment_intent or charge
            return _error_body(404, "invalid_request_error", "resource_missing", f"No such payment: '{missing}'")
        remaining = payment["amount"] - payment["refunded"]
        amount = int(params.get("amount") or remaining)
        if remaining <= 0:
            return _error_body(400, "invalid_request_error", "charge_already_refunded", "This charge has already been refunded.")
        if amount > remaining:
            return _error_body(400, "invalid_request_error", "amount_too_large", "Refund amount is greater than the unrefunded amount.")
        payment["refunded"] += amount
        status = payment.get("refund_status", "succeeded")
        refund: dict[str, Any] = {
            "id": f"re_fake{next(self._ids)}",
            "object": "refund",
            "amount": amount,
            "currency": payment["currency"],
            "payment_intent": payment_intent or next(k for k, p in self.payments.items() if p is payment),
            "charge": payment["charge"],
            "reason": params.get("reason"),
            "metadata": params.get("metadata") or {},
            "status": status,
            "failure_reason": None,
            "created": int(time.time()),
        }
        if status == "requires_action":
            refund["next_action"] = {"type": "display_details", "display_details": {"expires_at": int(time.time()) + 86400}}
        self.refunds.append(refund)
        self._accounts[refund["id"]] = account
        return 200, _public(refund)


def _public(refund: dict[str, Any]) -> dict[str, Any]:
    """The refund as the API shows it (the fake's own bookkeeping keys start with `_`)."""
    return {k: v for k, v in refund.items() if not k.startswith("_")}


def _decode_form(form: Any) -> dict[str, Any]:
    """Stripe's form encoding (`metadata[action_id]=...`) back into nested dicts."""
    decoded: dict[str, Any] = {}
    for key, value in form.items(multi=False):
        if "[" in key and key.endswith("]"):
            outer, inner = key[:-1].split("[", 1)
            decoded.setdefault(outer, {})[inner] = value
        else:
            decoded[key] = value
    return decoded


def _error_body(status: int, kind: str, code: str | None, message: str) -> tuple[int, dict[str, Any]]:
    error: dict[str, Any] = {"type": kind, "message": message}
    if code:
        error["code"] = code
    return status, {"error": error}


def _json(status: int, body: dict[str, Any]) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


def _error(status: int, kind: str, code: str | None, message: str) -> Response:
    return _json(*_error_body(status, kind, code, message))


def _drop_connection() -> None:
    """Close the client's socket without a response (werkzeug's dev server exposes it)."""
    sock = request.environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
