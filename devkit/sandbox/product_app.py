"""A fake product app built on `lib.apps.receiver`, so tests exercise the real receiving side.

    product = FakeProductApp(secret)
    product.add_user("ada@example.com", name="Ada", purchases=[{"id": "pi_1", "product": "Pro", "amount": 4900}])
    with LocalServer(product.app) as server:   # integration URL: f"{server.url}/support"
        ...
    product.calls      # [(action, params), ...] in arrival order (signed requests only)
    product.revoked    # {purchase_id, ...}
    product.transfers  # [{"purchaseId", "fromEmail", "toEmail"}, ...]
    product.email_changes  # [{"fromEmail", "toEmail"}, ...]
    product.delay = 0.2                   # seconds every call waits before answering
    product.fail_next("lookupUser", 503)  # the next lookupUser answers 503 (queue several)
    product.unsupported.add("transferPurchase")  # answers 501
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from typing import Any

from flask import Flask, Response, jsonify

from lib.apps.receiver import BadParams, NotFound, integration_blueprint

URL_PREFIX = "/support"


class FakeProductApp:
    def __init__(self, secret: str, *, url_prefix: str = URL_PREFIX) -> None:
        self.secret = secret
        self.users: dict[str, dict[str, Any]] = {}  # by lower-cased email
        self.purchases: dict[str, dict[str, Any]] = {}  # by purchase id; each has "userId"
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.revoked: set[str] = set()
        self.transfers: list[dict[str, Any]] = []
        self.magic_links: list[str] = []
        self.email_changes: list[dict[str, Any]] = []
        self.delay = 0.0
        self.unsupported: set[str] = set()
        self._failures: dict[str, deque[int]] = defaultdict(deque)
        self._lock = threading.Lock()
        self.app = Flask(f"fake-product-{id(self)}")
        self.app.register_blueprint(integration_blueprint(lambda: self.secret, self._handlers(), url_prefix=url_prefix))
        self.app.before_request(self._scripted)

    # --- setup -----------------------------------------------------------
    def add_user(self, email: str, *, name: str = "", user_id: str | None = None, purchases: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        user = {"id": user_id or f"usr_{len(self.users) + 1}", "email": email, "name": name}
        self.users[email.lower()] = user
        for purchase in purchases or []:
            self.purchases[str(purchase["id"])] = {**purchase, "userId": user["id"]}
        return user

    def fail_next(self, action: str, status: int = 500, times: int = 1) -> None:
        """The next `times` calls of `action` answer `status` instead of running."""
        with self._lock:
            self._failures[action].extend([status] * times)

    def actions_called(self) -> list[str]:
        return [action for action, _ in self.calls]

    # --- request handling --------------------------------------------------
    def _scripted(self) -> Response | tuple[Response, int] | None:
        from flask import request

        from lib.apps.signing import HEADER, SignatureError, verify

        if self.delay:
            time.sleep(self.delay)
        body = request.get_data(cache=True)
        try:
            verify(self.secret, request.headers.get(HEADER), body)
        except SignatureError:
            return None  # the blueprint answers 401
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return None  # the blueprint answers 400
        action = str(payload.get("action", ""))
        with self._lock:
            self.calls.append((action, {k: v for k, v in payload.items() if k != "action"}))
            queued = self._failures.get(action)
            status = queued.popleft() if queued else None
        if status is not None:
            return jsonify({"error": f"scripted failure {status}"}), status
        if action in self.unsupported:
            return jsonify({"error": "unsupported_action", "action": action}), 501
        return None

    def _handlers(self) -> dict[str, Any]:
        return {
            "lookupUser": self._lookup_user,
            "getPurchases": self._get_purchases,
            "revokeAccess": self._revoke_access,
            "transferPurchase": self._transfer_purchase,
            "changeEmail": self._change_email,
            "generateMagicLink": self._generate_magic_link,
        }

    def _user(self, email: str) -> dict[str, Any]:
        user = self.users.get(email.lower())
        if user is None:
            raise NotFound(f"no user {email}")
        return user

    def _lookup_user(self, email: str) -> dict[str, Any]:
        return self._user(email)

    def _get_purchases(self, userId: str) -> list[dict[str, Any]]:  # noqa: N803 - wire names are camelCase
        return [{**p, "revoked": p["id"] in self.revoked} for p in self.purchases.values() if p["userId"] == userId]

    def _revoke_access(self, purchaseId: str, reason: str | None = None) -> dict[str, Any]:  # noqa: N803
        if purchaseId not in self.purchases:
            raise NotFound(f"no purchase {purchaseId}")
        with self._lock:
            already = purchaseId in self.revoked
            self.revoked.add(purchaseId)
        return {"purchaseId": purchaseId, "revoked": True, "alreadyRevoked": already}

    def _transfer_purchase(self, purchaseId: str, fromEmail: str, toEmail: str) -> dict[str, Any]:  # noqa: N803
        purchase = self.purchases.get(purchaseId)
        source = self._user(fromEmail)
        if purchase is None or purchase["userId"] != source["id"]:
            raise NotFound(f"{fromEmail} has no purchase {purchaseId}")
        target = self.users.get(toEmail.lower()) or self.add_user(toEmail)
        purchase["userId"] = target["id"]
        transfer = {"purchaseId": purchaseId, "fromEmail": fromEmail, "toEmail": toEmail}
        self.transfers.append(transfer)
        return {**transfer, "transferred": True}

    def _change_email(self, fromEmail: str, toEmail: str) -> dict[str, Any]:  # noqa: N803
        user = self._user(fromEmail)
        if toEmail.lower() in self.users:
            raise BadParams(f"{toEmail} already has an account")
        with self._lock:
            del self.users[fromEmail.lower()]
            user["email"] = toEmail
            self.users[toEmail.lower()] = user
            self.email_changes.append({"fromEmail": fromEmail, "toEmail": toEmail})
        return {"fromEmail": fromEmail, "toEmail": toEmail, "changed": True}

    def _generate_magic_link(self, email: str) -> dict[str, str]:
        self._user(email)
        url = f"https://product.example/login/{len(self.magic_links) + 1}?email={email}"
        self.magic_links.append(url)
        return {"url": url}
