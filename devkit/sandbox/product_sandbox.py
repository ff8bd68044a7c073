"""Sandbox product app: `devkit.sandbox.product_app.FakeProductApp` on a fixed port, state in `.data/sandbox/product.json`.

It answers the signed integration contract at `/support` (`lib.apps.receiver`,
the same code a Python app would mount), with the customers and purchases of
`devkit.sandbox.seed`. `GET /` lists users, purchases and what was done to them.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify
from flask.typing import ResponseReturnValue
from markupsafe import escape

from devkit.sandbox.seed import CUSTOMERS
from devkit.sandbox.state import StateFile, persist_after_writes
from devkit.sandbox.web import PageDispatcher, page
from devkit.sandbox.product_app import URL_PREFIX, FakeProductApp

_KEPT = ("users", "purchases", "transfers", "magic_links", "email_changes")


class SandboxProduct:
    url_prefix = URL_PREFIX

    def __init__(self, state_dir: Path, *, secret: str) -> None:
        self.fake = FakeProductApp(secret)
        self.state = StateFile(state_dir / "product.json")
        if not self._restore():
            now = datetime.now(timezone.utc)
            for email, name, purchases in CUSTOMERS:
                bought = [{**{k: v for k, v in p.items() if k != "days_ago"},
                           "purchased_at": (now - timedelta(days=p["days_ago"])).isoformat(timespec="seconds")} for p in purchases]
                self.fake.add_user(email, name=name, purchases=bought)
            self.state.save(self.snapshot)
        persist_after_writes(self.fake.app, self.state, self.snapshot)
        self.app = PageDispatcher(self.fake.app, self._pages())

    def serve(self, port: int, host: str = "127.0.0.1") -> Any:
        from devkit.settings import serve

        return serve(self.app, port, host, "--product-port")

    def snapshot(self) -> dict[str, Any]:
        return {**{name: getattr(self.fake, name) for name in _KEPT}, "revoked": sorted(self.fake.revoked)}

    def _restore(self) -> bool:
        saved = self.state.load()
        if not saved:
            return False
        for name in _KEPT:
            if name in saved:
                setattr(self.fake, name, saved[name])
        self.fake.revoked = set(saved.get("revoked") or [])
        return True

    def _pages(self) -> Flask:
        app = Flask("sandbox-product-pages")

        @app.get("/_sandbox/state")
        def state() -> ResponseReturnValue:
            return jsonify(self.snapshot())

        @app.get("/")
        def index() -> Response:
            rows = "".join(
                f"<tr><td>{escape(u['email'])}</td><td>{escape(u.get('name') or '')}</td><td>"
                + "<br>".join(
                    f"{escape(p['id'])}: {escape(p.get('product'))}, {p.get('amount', 0) / 100:.2f} {escape(str(p.get('currency', '')).upper())},"
                    f" bought {escape(p.get('purchased_at', '?'))}{' <b>(access revoked)</b>' if p['id'] in self.fake.revoked else ''}"
                    for p in self.fake.purchases.values() if p["userId"] == u["id"]
                )
                + "</td></tr>"
                for u in self.fake.users.values()
            )
            body = (f"<p><small>integration URL: <code>{escape(URL_PREFIX)}</code> on this origin</small></p>"
                    f"<table><tr><th>email</th><th>name</th><th>purchases</th></tr>{rows}</table>")
            return Response(page("Sandbox product app", body), mimetype="text/html")

        return app
