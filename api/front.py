"""`/api/front`: Front's application and rule webhooks become Inngest events.

All logic lives in `lib.front.ingest`; this module stays light (no Inngest SDK,
no SQLAlchemy at import) so a cold start answers Front quickly.
"""

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from lib import config
from lib.front.ingest import handle
from lib.web import create_app, json_error
from lib.web.parsing import BadInput, bounded_body

app = create_app(__name__)


@app.post("/api/front")
@app.post("/")
def front_webhook() -> ResponseReturnValue:
    limit = config.env_int("MAX_WEBHOOK_BYTES")
    try:
        body = bounded_body(request, limit)
    except BadInput:
        return json_error(413, f"body larger than MAX_WEBHOOK_BYTES ({limit} bytes)")
    outcome = handle(body, request.headers)
    return jsonify(outcome.body), outcome.status
