"""`/api/front`: Front's application and rule webhooks become Inngest events.

All logic lives in `lib.front.ingest`; this module stays light (no Inngest SDK,
no SQLAlchemy at import) so a cold start answers Front quickly.
"""

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from lib.front.ingest import handle
from lib.web import create_app
from lib.web.parsing import webhook_body

app = create_app(__name__)


@app.post("/api/front")
@app.post("/")
def front_webhook() -> ResponseReturnValue:
    body = webhook_body(request)  # over MAX_WEBHOOK_BYTES: BadInput, answered 413 JSON by create_app
    outcome = handle(body, request.headers)
    return jsonify(outcome.body), outcome.status
