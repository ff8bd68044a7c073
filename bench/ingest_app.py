"""The WSGI app gunicorn serves in the ingest benchmark: the real webhook and a JSON-only baseline.

    /api/front  the Front webhook function (`api.front.app`), unchanged
    /api/json   the baseline: parse the JSON body, answer 200 (a Flask app made like the functions)

Both live in one server (same workers, same threads), routed by path as on Vercel.
"""

from __future__ import annotations

from flask import jsonify, request
from flask.typing import ResponseReturnValue

import api.front
from devkit.devserver import PathDispatcher
from lib.web import create_app

json_only = create_app("bench.json_only")


@json_only.post("/api/json")
def parse_and_answer() -> ResponseReturnValue:
    request.get_json()
    return jsonify({"ok": True})


app = PathDispatcher({"front": api.front.app, "json": json_only})
