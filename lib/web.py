"""Small Flask helpers shared by the `api/` functions: JSON errors for every failure."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException


def json_error(status: int, message: str, **extra: Any) -> ResponseReturnValue:
    return jsonify({"error": message, **extra}), status


def create_app(name: str) -> Flask:
    """A Flask app whose HTTP errors (404, 405, 413, 400...) answer JSON, not HTML."""
    app = Flask(name)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> ResponseReturnValue:
        response = json_error(exc.code or 500, exc.description or exc.name)
        if exc.code == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            body, status = response  # type: ignore[misc]
            return body, status, {"Allow": ", ".join(exc.valid_methods)}  # type: ignore[attr-defined]
        return response

    return app
