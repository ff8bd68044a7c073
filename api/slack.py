"""`/api/slack`: Slack's interactivity URL. Verifies the signature, records the click, answers JSON."""

from flask import request
from flask.typing import ResponseReturnValue

from lib.approvals.slack_endpoint import handle_interaction
from lib.web import create_app

app = create_app(__name__)


@app.post("/api/slack")
def interaction() -> ResponseReturnValue:
    return handle_interaction(request)
