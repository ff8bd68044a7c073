"""`/api/approvals`: the approvers' web page (list, one action, decide). Logic lives in `lib.approvals.pages`."""

from flask import request
from flask.typing import ResponseReturnValue

from lib.approvals import pages
from lib.web import create_app

app = create_app(__name__)


@app.get("/api/approvals")
def index() -> ResponseReturnValue:
    return pages.index(request)


@app.get("/api/approvals/<action_id>")
def detail(action_id: str) -> ResponseReturnValue:
    return pages.detail(request, action_id)


@app.post("/api/approvals/<action_id>/decision")
def decide(action_id: str) -> ResponseReturnValue:
    return pages.decide(request, action_id)
