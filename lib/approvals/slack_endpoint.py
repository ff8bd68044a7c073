"""Slack's interactive callback: verify, record, hand the decision to Inngest, answer. Nothing slower.

Slack shows the clicker an error unless the answer is a 200 within 3 s (Slack,
"Handling user interaction": acknowledgment response), so the endpoint never waits
on Slack itself: the workflow updates the message (`chat.update`, or the click's
`response_url` for incoming-webhook messages) as a retried step. The hand-over to
Inngest is bounded (`decisions.SEND_DEADLINE_SECONDS`); when it cannot finish the
decision is reverted and the answer is 502, which Slack shows the clicker as an
error, with a short "nothing was recorded, try again" through `response_url` if the
budget allows. Clicks that change nothing (already decided, expired, or another
decision still being handed over: "being decided, try again") answer 200 with
`ok: false` and the reason, also sent to the clicker within the budget. Forged or
stale requests get 401, malformed ones 400 (typed by `lib.web.parsing`).
"""

from __future__ import annotations

import time
from typing import Any

from flask import Request, Response, jsonify

from lib.config import MissingSetting
from lib.fallback import best_effort
from lib.web.parsing import BadInput, header, webhook_body

# Slack's 3 s less a margin for the network between Slack and us.
ANSWER_BUDGET_SECONDS = 2.5
# A message to the clicker is only worth trying with at least this much of the budget left.
MIN_TELL_SECONDS = 0.2


def _json(status: int, **body: Any) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


def _tell_clicker(response_url: str | None, text: str, deadline: float) -> None:
    """An ephemeral note to the clicker, abandoned at `deadline` (best effort: the answer matters more)."""
    left = deadline - time.monotonic()
    if not response_url or left < MIN_TELL_SECONDS:
        return
    from lib.approvals.slack import escape, get_session

    def post() -> None:
        get_session().post(response_url, json={"response_type": "ephemeral", "replace_original": False, "text": escape(text)},
                           timeout=(left / 2, left / 2)).raise_for_status()

    best_effort(post, what="answering the Slack clicker")


def handle_interaction(request: Request) -> Response:
    from lib.approvals.decisions import DecisionNotSent, submit_decision
    from lib.approvals.slack import SlackSignatureError, parse_interaction, verify_signature

    deadline = time.monotonic() + ANSWER_BUDGET_SECONDS
    try:
        body = webhook_body(request)
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
        result = submit_decision(click.action_id, click.decision, f"slack:{click.user}", "slack", response_url=click.response_url)
    except DecisionNotSent as exc:
        _tell_clicker(click.response_url, "Your click was not recorded (the workflow could not be reached in time); nothing was decided, try again.", deadline)
        return _json(502, error=str(exc))
    if result.outcome == "recorded":
        text = f"Recorded: {result.message}."
    else:
        if result.outcome == "deciding":
            text = f"This action is {result.message}; your click changed nothing yet."
        elif result.outcome == "already_decided":
            text = f"This action was {result.message}; your click changed nothing."
        else:
            text = f"{result.message[:1].upper()}{result.message[1:]}."
        _tell_clicker(click.response_url, text, deadline)
    return _json(200, ok=result.outcome == "recorded", outcome=result.outcome, actionId=click.action_id, text=text)
