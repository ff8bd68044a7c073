"""Slack's interactive callback: verify, decide, and tell the clicker what happened.

Slack shows an error to the clicker for any non-2xx answer, so decisions that
change nothing (already decided, expired) answer 200 with `ok: false` and the
reason, also posted to the clicker as an ephemeral message through the
payload's `response_url`; so does a click while another decision is still being
handed to the workflow ("being decided, try again"). Forged or stale requests get
401, malformed ones 400 (typed by `lib.web.parsing`),
and a decision that could not be handed to the workflow 502 (it was reverted).
"""

from __future__ import annotations

from typing import Any

from flask import Request, Response, jsonify

from lib import config
from lib.config import MissingSetting
from lib.fallback import with_fallback
from lib.web.parsing import BadInput, bounded_body, header


def _json(status: int, **body: Any) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


def _tell_clicker(response_url: str | None, text: str) -> None:
    if not response_url:
        return
    from lib.approvals.slack import TIMEOUT, get_session

    def post() -> None:
        get_session().post(response_url, json={"response_type": "ephemeral", "replace_original": False, "text": text},
                           timeout=TIMEOUT).raise_for_status()

    with_fallback(post, None, what="answering the Slack clicker")


def handle_interaction(request: Request) -> Response:
    from lib.approvals.decisions import DecisionNotSent, submit_decision
    from lib.approvals.slack import SlackSignatureError, parse_interaction, verify_signature

    try:
        body = bounded_body(request, config.env_int("MAX_WEBHOOK_BYTES", 1_048_576))
        timestamp = header(request.headers, "X-Slack-Request-Timestamp")
        signature = header(request.headers, "X-Slack-Signature")
    except BadInput as exc:
        return _json(exc.status, error=exc.message)
    try:
        verify_signature(body, timestamp, signature)
    except MissingSetting as exc:
        return _json(503, error=str(exc))
    except SlackSignatureError as exc:
        return _json(401, error=f"invalid Slack signature: {exc}")
    try:
        if request.mimetype != "application/x-www-form-urlencoded":
            raise BadInput("Slack posts interactions as application/x-www-form-urlencoded", 415)
        click = parse_interaction(request.form.get("payload"))
    except BadInput as exc:
        return _json(exc.status, error=exc.message)
    try:
        result = submit_decision(click.action_id, click.decision, f"slack:{click.user}", "slack")
    except DecisionNotSent as exc:
        return _json(502, error=str(exc))
    if result.outcome == "recorded":
        text = f"Recorded: {result.message}."
    elif result.outcome == "deciding":
        text = f"This action is {result.message}; your click changed nothing yet."
    elif result.outcome == "already_decided":
        text = f"This action was {result.message}; your click changed nothing."
    else:
        text = f"{result.message[:1].upper()}{result.message[1:]}."
    _tell_clicker(click.response_url, text)
    return _json(200, ok=result.outcome == "recorded", outcome=result.outcome, actionId=click.action_id, text=text)
