"""The receiving blueprint mounted in a minimal product app, as a Python app would use it."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask

from lib.apps.receiver import BadParams, integration_blueprint
from lib.apps.signing import HEADER, sign


def _app(**handlers: Any) -> Flask:
    app = Flask("product")
    app.register_blueprint(integration_blueprint("k", handlers))
    return app


def _post(app: Flask, payload: dict[str, Any], secret: str = "k") -> Any:
    body = json.dumps(payload).encode()
    return app.test_client().post("/", data=body, headers={HEADER: sign(secret, body)})


def test_only_the_given_handlers_are_supported() -> None:
    app = _app(lookupUser=lambda email: {"id": "u1", "email": email})
    ok = _post(app, {"action": "lookupUser", "email": "a@example.com"})
    assert ok.status_code == 200 and ok.get_json() == {"id": "u1", "email": "a@example.com"}
    assert _post(app, {"action": "getPurchases", "userId": "u1"}).status_code == 501


def test_null_result_is_json_null() -> None:
    response = _post(_app(lookupUser=lambda email: None), {"action": "lookupUser", "email": "a@example.com"})
    assert response.status_code == 200 and response.data == b"null"


def test_bad_params_and_unserialisable_results() -> None:
    def revoke(purchaseId: str) -> Any:  # noqa: N803
        if not purchaseId.startswith("pi_"):
            raise BadParams("purchaseId must start with pi_")
        return {"when": object()}

    app = _app(revokeAccess=revoke)
    bad = _post(app, {"action": "revokeAccess", "purchaseId": "x"})
    assert bad.status_code == 400 and bad.get_json()["message"] == "purchaseId must start with pi_"
    broken = _post(app, {"action": "revokeAccess", "purchaseId": "pi_1"})
    assert broken.status_code == 500 and broken.get_json()["error"] == "handler_failed"


def test_wrong_secret_is_401_before_any_handler_runs() -> None:
    seen: list[str] = []
    app = _app(lookupUser=lambda email: seen.append(email))
    response = _post(app, {"action": "lookupUser", "email": "a@example.com"}, secret="other")
    assert response.status_code == 401 and response.get_json()["reason"] == "forged"
    assert seen == []
    assert app.test_client().get("/").status_code == 405
