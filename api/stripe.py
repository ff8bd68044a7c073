"""`/api/stripe`: Stripe's webhook endpoint (refund updates). Logic in `lib.payments.webhooks`; no SDK at import."""

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from lib import config
from lib.payments.webhooks import handle
from lib.web import create_app, json_error
from lib.web.parsing import BadInput, bounded_body

app = create_app(__name__)


@app.post("/api/stripe")
def stripe_webhook() -> ResponseReturnValue:
    limit = config.env_int("MAX_WEBHOOK_BYTES")
    try:
        body = bounded_body(request, limit)
    except BadInput:
        return json_error(413, f"body larger than MAX_WEBHOOK_BYTES ({limit} bytes)")
    outcome = handle(body, request.headers)
    return jsonify(outcome.body), outcome.status
