"""`/api/front`: Front's application and rule webhooks become Inngest events.

All logic lives in `lib.front.ingest`; this module stays light (no Inngest SDK,
no SQLAlchemy at import) so a cold start answers Front quickly.
"""

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from lib import config
from lib.front.ingest import handle
from lib.web import create_app

app = create_app(__name__)


@app.post("/api/front")
@app.post("/")
def front_webhook() -> ResponseReturnValue:
    request.max_content_length = config.env_int("MAX_WEBHOOK_BYTES", 1_048_576)  # larger bodies: JSON 413
    outcome = handle(request.get_data(cache=False), request.headers)
    return jsonify(outcome.body), outcome.status
