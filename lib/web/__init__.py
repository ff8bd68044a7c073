"""Small Flask helpers shared by the `api/` functions: JSON errors for every failure.

Request parsing (size, depth, finite numbers, typed fields) lives in `lib.web.parsing`.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from lib.web.answer import error_body
from lib.web.parsing import BadInput

logger = logging.getLogger("support.web")


def json_error(status: int, message: str, **extra: Any) -> ResponseReturnValue:
    return jsonify(error_body(message, **extra)), status


def show_logs() -> None:
    """Send the `support` loggers' INFO lines to stderr when nothing else configured logging.

    On Vercel nobody calls `logging.basicConfig`, and Python then drops INFO records:
    counts of ignored webhooks, decisions, sent events would never reach the
    function's logs. The dev server and pytest configure logging themselves; left alone.
    """
    support = logging.getLogger("support")
    if logging.getLogger().handlers or support.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    support.addHandler(handler)
    support.setLevel(logging.INFO)


def create_app(name: str) -> Flask:
    """A Flask app whose HTTP errors (404, 405, 413, 400...) answer JSON, not HTML, and whose logs show."""
    show_logs()
    app = Flask(name)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> ResponseReturnValue:
        response = json_error(exc.code or 500, exc.description or exc.name)
        if exc.code == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            body, status = response  # type: ignore[misc]
            return body, status, {"Allow": ", ".join(exc.valid_methods)}  # type: ignore[attr-defined]
        return response

    @app.errorhandler(BadInput)
    def _bad_input(exc: BadInput) -> ResponseReturnValue:
        return json_error(exc.status, exc.message)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        """The last net, not the mechanism: endpoints validate their input themselves, so this is a bug."""
        logger.exception("unhandled %s in %s", type(exc).__name__, name)
        return json_error(500, "internal error; nothing was handed over, retry later")

    return app
