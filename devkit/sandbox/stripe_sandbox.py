"""Sandbox Stripe: `devkit.sandbox.stripe_server.FakeStripe` on a fixed port, state in `.data/sandbox/stripe.json`.

The refunds API is the fake's: bearer secret key, form bodies, idempotency keys
replaying the first answer (kept across restarts, as Stripe keeps them for 24 h),
`charge_already_refunded`. Seeded with the payments of the sandbox product app's
purchases. `GET /` shows payments and refunds, `GET /_sandbox/state` the same as JSON.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify
from flask.typing import ResponseReturnValue
from markupsafe import escape

from devkit.sandbox.seed import PAYMENTS
from devkit.sandbox.state import StateFile, persist_after_writes
from devkit.sandbox.web import PageDispatcher, page
from devkit.sandbox.stripe_server import SECRET_KEY, FakeStripe


class SandboxStripe:
    def __init__(self, state_dir: Path, *, secret_key: str = SECRET_KEY) -> None:
        self.secret_key = secret_key
        self.fake = FakeStripe(secret_key)
        self.state = StateFile(state_dir / "stripe.json")
        if not self._restore():
            for payment_intent, amount, currency in PAYMENTS:
                self.fake.add_payment(payment_intent, amount, currency)
            self.state.save(self.snapshot)
        persist_after_writes(self.fake.app, self.state, self.snapshot)
        self.app = PageDispatcher(self.fake.app, self._pages())

    def serve(self, port: int, host: str = "127.0.0.1") -> Any:
        from devkit.settings import serve

        return serve(self.app, port, host, "--stripe-port")

    def snapshot(self) -> dict[str, Any]:
        # The idempotency cache (per account and key) is kept too: a retry after a restart must replay, not refund twice.
        idempotent = [[account, key, *saved] for (account, key), saved in self.fake._idempotent.items()]
        return {"payments": self.fake.payments, "refunds": self.fake.refunds, "accounts": self.fake._accounts, "idempotent": idempotent}

    def _restore(self) -> bool:
        saved = self.state.load()
        if not saved:
            return False
        self.fake.payments = saved.get("payments") or {}
        self.fake.refunds = saved.get("refunds") or []
        self.fake._accounts = saved.get("accounts") or {}
        self.fake._idempotent = {(account, key): (params, status, body) for account, key, params, status, body in saved.get("idempotent") or []}
        self.fake._ids = itertools.count(len(self.fake.refunds) + 1)  # refund ids never repeat
        return True

    def _pages(self) -> Flask:
        app = Flask("sandbox-stripe-pages")

        @app.get("/_sandbox/state")
        def state() -> ResponseReturnValue:
            return jsonify({"payments": self.fake.payments, "refunds": self.fake.refunds})  # as stored (with internal keys)

        @app.get("/")
        def index() -> Response:
            return Response(self.render(), mimetype="text/html")

        return app

    def render(self) -> str:
        payments = "".join(
            f"<tr><td>{escape(pi)}</td><td>{escape(p['charge'])}</td><td>{_money(p['amount'], p['currency'])}</td>"
            f"<td>{_money(p['refunded'], p['currency'])}</td></tr>"
            for pi, p in self.fake.payments.items()
        )
        refunds = "".join(
            f"<tr class='refund' id='refund-{escape(r['id'])}'><td>{escape(r['id'])}</td><td>{escape(r['payment_intent'])}</td>"
            f"<td>{_money(r['amount'], r['currency'])}</td><td>{escape(r['status'])}</td>"
            f"<td>{escape((r.get('metadata') or {}).get('action_id', ''))}</td></tr>"
            for r in reversed(self.fake.refunds)
        ) or "<tr><td colspan=5 id='no-refunds'>No refunds yet.</td></tr>"
        body = (
            "<h2>Refunds</h2><table><tr><th>refund</th><th>payment</th><th>amount</th><th>status</th><th>action</th></tr>"
            f"{refunds}</table><h2>Payments</h2><table><tr><th>payment intent</th><th>charge</th><th>amount</th>"
            f"<th>refunded</th></tr>{payments}</table>"
        )
        return page("Sandbox Stripe", body)


def _money(amount: int, currency: str) -> str:
    return f"{amount / 100:.2f} {escape(currency.upper())}"
