"""`/api/cron`: Vercel Cron calls it every five minutes; it re-syncs our Inngest functions."""

import hmac

from flask import request
from flask.typing import ResponseReturnValue

from lib import config
from lib.inngest.sync import sync_app
from lib.web import create_app, json_error

app = create_app(__name__)


@app.get("/api/cron")
def cron() -> ResponseReturnValue:
    secret = config.env("CRON_SECRET")
    if secret:
        sent = request.headers.get("Authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {secret}".encode()):
            return json_error(401, "missing or wrong Authorization bearer token")
    result = sync_app()
    return result.as_json(), 200 if result.ok else 502
