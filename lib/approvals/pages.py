"""The approvals web page, one Flask Blueprint (`blueprint`): who may see what, and what each answer looks like (HTML or JSON).

Access: the shared secret `APPROVALS_SECRET` (`lib.approvals.access`: as `?key=`, which
also sets an HttpOnly cookie, or the cookie, or as the basic-auth password) opens the list of
every pending action; a signed link (`?action=&exp=&sig=`) opens that one action
only. Decision forms carry a signed token bound to the action (CSRF: another
site cannot mint one), which is also what authorises the POST.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Request, Response, jsonify, request as current_request
from pydantic import BaseModel, ConfigDict, Field

from lib import config
from lib.approvals.access import REALM, holds_key, remember_key
from lib.config import MissingSetting
from lib.lazy import lazy
from lib.web.pages import html_page, wants_json
from lib.web.parsing import BadInput, bounded_body, loads_object, validate

blueprint = Blueprint("approvals", __name__, url_prefix="/api/approvals")

MAX_FORM_BYTES = 64 * 1024  # a decision is a few short fields and a reason
MAX_ACTION_ID = 64  # `actions.id` holds 64


@lazy()
def _templates() -> Any:
    """The page templates' Jinja environment (compiling them costs; the Slack endpoint never needs them)."""
    from lib.approvals.templates import environment

    env = environment()
    env.globals["detail_url"] = lambda action_id: f"/api/approvals/{quote(action_id, safe='')}"
    return env


def _page(template: str, status: int = 200, **context: Any) -> Response:
    return html_page(_templates().get_template(template).render(**context), status)


def _message(request: Request, status: int, title: str, message: str, kind: str = "", /, **extra: Any) -> Response:
    if wants_json(request):
        error = {"error": message} if status >= 400 else {}  # every endpoint's refusals carry `error`
        response = jsonify({"ok": status < 300, "message": message, **error, **extra})
        response.status_code = status
        return response
    return _page("message", status, title=title, message=message, kind=kind, back=extra.get("back"))


def _signed_for(request: Request, action_id: str) -> bool:
    from lib.approvals.links import verify

    return verify(action_id, request.args.get("exp"), request.args.get("sig"))


def _unauthorised(request: Request) -> Response:
    response = _message(request, 401, "Sign in needed",
                        "Open this page from an approval link, or with the approvals key (?key=, or as the basic-auth password).",
                        "error")
    response.headers["WWW-Authenticate"] = REALM
    return response


def _not_configured(request: Request, exc: MissingSetting) -> Response:
    return _message(request, 503, "Approvals page not configured", str(exc), "error")


def _remember_key(request: Request, response: Response) -> Response:
    return remember_key(request, response, blueprint.url_prefix or "/api/approvals")


def _detail(request: Request, action_id: str) -> Response:
    from lib.approvals import store
    from lib.approvals.links import form_token

    item = store.get(action_id) if len(action_id) <= MAX_ACTION_ID else None
    if item is None:
        return _message(request, 404, "Not found", "No approval request exists for this action.", "error")
    token = form_token(action_id) if item.open else None
    if wants_json(request):
        return jsonify({"action": item.model_dump(mode="json"), "token": token})
    from lib.approvals.brief import approval_brief

    return _page("detail", item=item, token=token, brief=approval_brief(action_id))


@blueprint.get("")
def index() -> Response:
    """GET /api/approvals: one action through a signed link, else every pending action for holders of the key."""
    from lib.approvals import store

    request = current_request

    try:
        config.require("APPROVALS_SECRET", "it signs approval links and guards the approvals page")
        action_id = request.args.get("action")
        if action_id and request.args.get("sig"):
            if not _signed_for(request, action_id):
                return _message(request, 403, "Link not valid", "This approval link is invalid or has expired.", "error")
            return _detail(request, action_id)
        if not holds_key(request):
            return _unauthorised(request)
        if action_id:
            return _remember_key(request, _detail(request, action_id))
        items = store.pending()
        if wants_json(request):
            return jsonify({"pending": [item.model_dump(mode="json") for item in items]})
        from lib.approvals.brief import approval_brief

        briefs = {item.action_id: approval_brief(item.action_id) for item in items}
        return _remember_key(request, _page("list", items=items, briefs=briefs))
    except MissingSetting as exc:
        return _not_configured(request, exc)


@blueprint.get("/<action_id>")
def detail(action_id: str) -> Response:
    """GET /api/approvals/<actionId>, with the key or a signed link for this action."""
    request = current_request
    try:
        config.require("APPROVALS_SECRET", "it signs approval links and guards the approvals page")
        if not (holds_key(request) or _signed_for(request, action_id)):
            return _unauthorised(request)
        return _remember_key(request, _detail(request, action_id))
    except MissingSetting as exc:
        return _not_configured(request, exc)


class DecisionForm(BaseModel):
    """What a decision POST carries, as a form or JSON; a field of another type is a 400, never a crash."""

    model_config = ConfigDict(extra="ignore")

    decision: str | None = None
    token: str | None = Field(None, max_length=200)
    approver: str | None = None
    reason: str | None = None


def _decision_form(request: Request) -> DecisionForm:
    """The form or JSON body, bounded and typed (`BadInput` otherwise)."""
    body = bounded_body(request, MAX_FORM_BYTES)
    if request.is_json:
        return validate(DecisionForm, loads_object(body), what="decision")
    if request.mimetype not in ("application/x-www-form-urlencoded", "multipart/form-data", ""):
        raise BadInput("send the decision as a form or as JSON", 415)
    return validate(DecisionForm, request.form.to_dict(flat=True), what="decision")


@blueprint.post("/<action_id>/decision")
def decide(action_id: str) -> Response:
    """POST /api/approvals/<actionId>/decision: form (or JSON) with decision, token, approver, reason."""
    from lib.approvals.decisions import HTTP_STATUS, DecisionNotSent, submit_decision
    from lib.approvals.links import verify_form_token

    request = current_request

    try:
        form = _decision_form(request)
    except BadInput as exc:
        return _message(request, exc.status, "Bad request", exc.message, "error")
    if len(action_id) > MAX_ACTION_ID:
        return _message(request, 404, "Not found", "No approval request exists for this action.", "error")
    decision = form.decision
    try:
        if not verify_form_token(action_id, form.token):
            return _message(request, 403, "Form expired", "This form is not valid for this action (or is over an hour old). Reload the page and decide again.", "error")
    except MissingSetting as exc:
        return _not_configured(request, exc)
    if decision not in ("approved", "rejected"):
        return _message(request, 400, "Bad request", "decision must be 'approved' or 'rejected'.", "error")
    approver = (form.approver or "").strip()[:150]
    basic = request.authorization.username if request.authorization else None
    decided_by = f"web:{approver or basic or 'approver'}"
    reason = (form.reason or "").strip()[:2000] or None
    try:
        result = submit_decision(action_id, decision, decided_by, "web", reason)
    except DecisionNotSent as exc:
        return _message(request, 502, "Not recorded", str(exc), "error", outcome="not_sent")
    status = HTTP_STATUS[result.outcome]
    what = (result.request.action_type.replace("_", " ") if result.request else "action").capitalize()
    titles = {"recorded": f"{what} {decision}", "already_decided": f"{what} already decided",
              "deciding": "Being decided, try again",
              "expired": f"{what} request expired", "unknown": "Not found"}
    kind = "" if status == 200 else "conflict"
    extra: dict[str, Any] = {"outcome": result.outcome, "actionId": action_id, "back": "/api/approvals"}
    if result.request is not None:
        extra["status"] = result.request.status
        extra["decidedBy"] = result.request.decided_by
    message = result.message
    if result.outcome == "recorded":
        message = (f"Recorded: {message}. The workflow takes it from here"
                   f"{' (the refund goes to Stripe next)' if decision == 'approved' and what == 'Refund' else ''}.")
    elif result.outcome == "already_decided":
        message = f"This action was {message}; your decision changed nothing."
    return _message(request, status, titles[result.outcome], message, kind, **extra)
