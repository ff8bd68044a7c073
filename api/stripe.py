"""`/api/stripe`: Stripe's webhook endpoint (refund updates). Logic in `lib.payments.webhooks`; no SDK at import."""

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from lib.payments.webhooks import handle
from lib.web import create_app
from lib.web.parsing import webhook_body

app = create_app(__name__)


@app.post("/api/stripe")
def stripe_webhook() -> ResponseReturnValue:
    body = webhook_body(request)  # over MAX_WEBHOOK_BYTES: BadInput, answered 413 JSON by create_app
    outcome = handle(body, request.headers)
    return jsonify(outcome.body), outcome.status
