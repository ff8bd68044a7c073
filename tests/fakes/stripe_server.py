"""A fake Stripe API on 127.0.0.1 for the real `stripe` library (`StripeClient`) to talk to.

    with FakeStripe() as stripe_api:            # sets STRIPE_API_BASE and STRIPE_SECRET_KEY, resets get_stripe()
        stripe_api.add_payment("pi_1", 4900, "usd")
        create_refund(action_id="act_1", purchase_id="pi_1")
        assert stripe_api.refunds[0]["payment_intent"] == "pi_1"

It keeps Stripe's rules that matter for refunds: a bearer secret key, form-encoded
bodies with `metadata[...]` keys, `Idempotency-Key` (the same key with the same
parameters replays the first answer with `Idempotent-Replayed: true`; with other
parameters it is an `idempotency_error`), unknown payments (404
`resource_missing`) and fully refunded ones (400 `charge_already_refunded`).

Scriptable: `fail_next(status, type, code, times)` answers errors in Stripe's
shape; `drop_after_create(times)` creates the refund and then closes the
connection without answering, which is what the client sees when our process
or the network dies between Stripe's work and our database write.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections import deque
from types import TracebackType
from typing import Any

from flask import Flask, Response, jsonify, request

from tests.fakes.server import EnvSwap, LocalServer

SECRET_KEY = "sk_test_fake"


class FakeStripe:
    def __init__(self, secret_key: str = SECRET_KEY) -> None:
        self.secret_key = secret_key
        self.payments: dict[str, dict[str, Any]] = {}  # payment intent id -> {amount, currency, charge, refunded}
        self.refunds: list[dict[str, Any]] = []  # refunds created, oldest first
        self.requests: list[dict[str, Any]] = []  # every POST /v1/refunds, authorised or not: {idempotency_key, account, params}
        self.delay = 0.0
        self._idempotent: dict[str, tuple[dict[str, Any], int, dict[str, Any]]] = {}
        self._failures: deque[tuple[int, str, str | None]] = deque()
        self._drops = 0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._env = EnvSwap()
        self.app = self._make_app()  # public, so a sandbox can serve it on a fixed port
        self._server = LocalServer(self.app)

    @property
    def url(self) -> str:
        return self._server.url

    # --- setup -----------------------------------------------------------
    def add_payment(self, payment_intent: str, amount: int, currency: str = "usd") -> None:
        self.payments[payment_intent] = {"amount": amount, "currency": currency, "charge": f"ch_{payment_intent[3:]}", "refunded": 0}

    def fail_next(self, status: int = 500, type: str = "api_error", code: str | None = None, times: int = 1) -> None:
        with self._lock:
            self._failures.extend([(status, type, code)] * times)

    def drop_after_create(self, times: int = 1) -> None:
        """The next `times` refund creations succeed at "Stripe" but the caller never hears the answer."""
        with self._lock:
            self._drops += times

    # --- lifecycle -------------------------------------------------------
    def __enter__(self) -> "FakeStripe":
        from lib.payments.client import reset_stripe

        self._server.start()
        self._env.set({"STRIPE_API_BASE": self.url, "STRIPE_SECRET_KEY": self.secret_key, "STRIPE_MAX_NETWORK_RETRIES": "2"})
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
            if self.delay:
                time.sleep(self.delay)
            params = _decode_form(request.form)
            key = request.headers.get("Idempotency-Key")
            with self._lock:
                self.requests.append({"idempotency_key": key, "account": request.headers.get("Stripe-Account"), "params": params})
                if request.headers.get("Authorization") != f"Bearer {self.secret_key}":
                    return _error(401, "invalid_request_error", None, "Invalid API Key provided")
                if key and key in self._idempotent:
                    first_params, status, body = self._idempotent[key]
                    if first_params != params:
                        return _error(400, "idempotency_error", None, "Keys for idempotent requests can only be used with the same parameters they were first used with.")
                    response = jsonify(body)
                    response.status_code = status
                    response.headers["Idempotent-Replayed"] = "true"
                    return response
                if self._failures:
                    status, kind, code = self._failures.popleft()
                    return _error(status, kind, code, f"scripted {kind}")
                status, body = self._refund(params)
                if key and status < 500:
                    self._idempotent[key] = (params, status, body)
                drop = status == 200 and self._drops > 0
                if drop:
                    self._drops -= 1
            if drop:
                _drop_connection()
                return Response(status=500)  # never reaches the client: the socket is gone
            response = jsonify(body)
            response.status_code = status
            return response

        return app

    def _refund(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
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
        refund = {
            "id": f"re_fake{next(self._ids)}",
            "object": "refund",
            "amount": amount,
            "currency": payment["currency"],
            "payment_intent": payment_intent or next(k for k, p in self.payments.items() if p is payment),
            "charge": payment["charge"],
            "reason": params.get("reason"),
            "metadata": params.get("metadata") or {},
            "status": "succeeded",
            "created": int(time.time()),
        }
        self.refunds.append(refund)
        return 200, refund


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


def _error(status: int, kind: str, code: str | None, message: str) -> Response:
    status, body = _error_body(status, kind, code, message)
    response = jsonify(body)
    response.status_code = status
    return response


def _drop_connection() -> None:
    """Close the client's socket without a response (werkzeug's dev server exposes it)."""
    sock = request.environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
