"""The dashboard page, one Flask Blueprint (`blueprint`) at `/api/dashboard`: HTML for browsers, JSON on request.

Guarded like the approvals list (`lib.approvals.access`: the approvals key as `?key=`, its
cookie, or the basic-auth password). Query: `days` (1..90, default 30) and `app` (a slug;
default every app). Bad parameters are a 400, an unknown app a 404, a missing setting or
an unreachable database a 503; never a 500.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Request, Response, jsonify, request as current_request

from lib import config
from lib.approvals.access import REALM, holds_key, remember_key
from lib.config import MissingSetting
from lib.lazy import lazy
from lib.web.pages import html_page, wants_json
from lib.web.parsing import BadInput, digits

blueprint = Blueprint("dashboard", __name__, url_prefix="/api/dashboard")

MAX_SLUG = 64  # `apps.slug` holds 64
# No script runs on the page, so none may; styles are inline; the chart is inline SVG.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"


@lazy()
def _templates() -> Any:
    from lib.dashboard.templates import environment

    return environment()


def _answer(request: Request, status: int, title: str, message: str) -> Response:
    if wants_json(request):
        response = jsonify({"ok": False, "error": message})
        response.status_code = status
    else:
        response = html_page(_templates().get_template("message").render(title=title, message=message, kind="error"), status)
    return response


def _days(raw: str | None) -> int:
    from lib.dashboard.queries import DEFAULT_DAYS, MAX_DAYS

    if raw is None or raw == "":
        return DEFAULT_DAYS
    days = digits(raw, max_digits=3)
    if days is None or not 1 <= days <= MAX_DAYS:
        raise BadInput(f"days must be a whole number from 1 to {MAX_DAYS}")
    return days


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _figures(request: Request) -> Response:
    from lib.apps.registry import UnknownApp, get_app, list_apps
    from lib.dashboard.queries import Window, summaries

    window = Window.last(_days(request.args.get("days")))
    slug = request.args.get("app") or None
    if slug is not None:
        try:
            apps = [get_app(slug)] if len(slug) <= MAX_SLUG else []
        except UnknownApp:
            apps = []
        if not apps:
            return _answer(request, 404, "No such app", "No app is registered with this slug.")
    else:
        apps = list_apps()
    found = summaries(window, apps)
    if wants_json(request):
        return jsonify({"window": _jsonable(window) | {"since": window.since.isoformat()}, "apps": _jsonable(found)})
    response = html_page(_templates().get_template("dashboard").render(window=window, apps=found, only=slug))
    response.headers["Content-Security-Policy"] = CSP
    return response


@blueprint.get("")
def index() -> Response:
    """GET /api/dashboard: per app, the last `days` days' figures, trend and trust, for holders of the approvals key."""
    from sqlalchemy.exc import OperationalError

    from lib.apps.registry import RegistryNotMigrated

    request = current_request
    try:
        config.require("APPROVALS_SECRET", "it guards the dashboard and the approvals page")
        if not holds_key(request):
            response = _answer(request, 401, "Sign in needed",
                               "Open the dashboard with the approvals key (?key=, or as the basic-auth password).")
            response.headers["WWW-Authenticate"] = REALM
            return response
        return remember_key(request, _figures(request), blueprint.url_prefix or "/api/dashboard")
    except BadInput as exc:
        return _answer(request, exc.status, "Bad request", exc.message)
    except MissingSetting as exc:
        return _answer(request, 503, "Dashboard not configured", str(exc))
    except (OperationalError, RegistryNotMigrated) as exc:
        return _answer(request, 503, "Database unavailable", f"the database cannot be read now ({type(exc).__name__}); retry later")
