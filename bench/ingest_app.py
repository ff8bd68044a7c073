"""The WSGI app gunicorn serves in the ingest benchmark: the real webhook and its baseline.

    /api/front     the Front webhook function (`api.front.app`), unchanged
    /api/handover  the baseline: the minimal correct hand-over. It verifies the HMAC as Front
                   signs it and POSTs the event to the same Inngest event API (the sink) over a
                   kept-alive HTTP connection, answering 200 only once that POST succeeded, and
                   does nothing else (no schema, no registry, no dedupe, no SDK)

Both live in one server (same workers, same threads), routed by path as on Vercel.
"""

from __future__ import annotations

import json
import os
import threading

import requests
from flask import jsonify, request
from flask.typing import ResponseReturnValue

import api.front
from devkit.devserver import PathDispatcher
from lib.front.webhooks import WebhookError, verify_app_signature
from lib.web import create_app

handover = create_app("bench.handover")
_local = threading.local()


def _session() -> requests.Session:
    """One keep-alive session per server thread (requests sessions are not thread-safe)."""
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


@handover.post("/api/handover")
def verify_and_hand_over() -> ResponseReturnValue:
    body = request.get_data()
    try:
        verify_app_signature(body, request.headers.get("x-front-signature", ""),
                             request.headers.get("x-front-request-timestamp", ""), os.environ["FRONT_APP_SECRET"])
    except WebhookError as exc:
        return jsonify({"error": exc.message}), exc.status
    payload = json.loads(body)["payload"]
    event = {"name": "front/inbound_received", "id": payload["id"], "data": payload}
    answer = _session().post(f"{os.environ['INNGEST_BASE_URL']}/e/bench", json=[event], timeout=10)
    if answer.status_code != 200:
        return jsonify({"error": "not handed over"}), 502
    return jsonify({"status": "sent", "id": payload["id"]})


app = PathDispatcher({"front": api.front.app, "handover": handover})
