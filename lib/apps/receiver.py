"""The product-app side of the integration: a Flask Blueprint a Python app mounts.

    from lib.apps.receiver import integration_blueprint, NotFound
    app.register_blueprint(integration_blueprint(secret, {"lookupUser": find_user, ...}, url_prefix="/support"))

Each handler is called with the request's params as keyword arguments (camelCase,
as sent) and returns anything JSON-serialisable. The blueprint checks
`X-Support-Signature` (300 s window) before reading the body as JSON, so an
unsigned caller learns nothing; it answers 401 on a bad signature, 400 on a body
that is not a JSON object with an `action`, 501 for actions without a handler,
404 `{"error": "not_found"}` when a handler raises `NotFound`, and 400 when the
params do not fit the handler.
"""

from __future__ import annotations

import inspect
import logging
import json
from typing import Any, Callable, Mapping

from flask import Blueprint, Response, jsonify, request

from lib.apps.signing import DEFAULT_WINDOW_SECONDS, HEADER, SignatureError, verify

logger = logging.getLogger("support.apps.receiver")

Handler = Callable[..., Any]


class NotFound(LookupError):
    """Raise from a handler when the user or purchase does not exist; answered as 404."""


class BadParams(ValueError):
    """Raise from a handler when the params make no sense; answered as 400 with the message."""


def _error(status: int, code: str, **extra: Any) -> tuple[Response, int]:
    return jsonify({"error": code, **extra}), status


def integration_blueprint(
    secret: str | Callable[[], str],
    handlers: Mapping[str, Handler],
    *,
    url_prefix: str = "",
    name: str = "support_integration",
    window: int = DEFAULT_WINDOW_SECONDS,
) -> Blueprint:
    """A Blueprint answering `POST {url_prefix}/` (and without the slash); `secret` may be a callable for rotation."""
    blueprint = Blueprint(name, __name__, url_prefix=url_prefix or None)

    @blueprint.post("/", strict_slashes=False)
    def receive() -> Any:
        body = request.get_data(cache=True)
        key = secret() if callable(secret) else secret
        try:
            verify(key, request.headers.get(HEADER), body, window=window)
        except SignatureError as exc:
            return _error(401, "invalid_signature", reason=exc.reason, message=str(exc))
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return _error(400, "malformed_json", message="body must be a JSON object")
        if not isinstance(payload, dict) or not isinstance(payload.get("action"), str):
            return _error(400, "malformed_request", message='body must be a JSON object with a string "action"')
        action = payload.pop("action")
        handler = handlers.get(action)
        if handler is None:
            return _error(501, "unsupported_action", action=action)
        try:
            inspect.signature(handler).bind(**payload)
        except TypeError as exc:
            return _error(400, "bad_params", action=action, message=str(exc))
        except ValueError:  # builtins without a signature: let the call decide
            pass
        try:
            result = json.dumps(handler(**payload))
        except NotFound as exc:
            return _error(404, "not_found", action=action, message=str(exc) or None)
        except BadParams as exc:
            return _error(400, "bad_params", action=action, message=str(exc))
        except Exception:  # noqa: BLE001 - the caller gets JSON 500 and retries; the trace goes to the log
            logger.exception("integration handler for %s failed", action)
            return _error(500, "handler_failed", action=action)
        return Response(result, status=200, mimetype="application/json")

    return blueprint
