"""The executor's HTTP face: the Event API, registration, and the runs JSON and page.

`POST /e/<key>` (the SDK's `send`; events over `max_event_bytes` are refused as Inngest does), `GET /v1/events[?name=]`,
`POST /fn/register` (the serve endpoint's PUT), `GET /v0/runs/<id>/actions` and `/batch` (state for `use_api`),
`GET /v1/runs[?function_id=&status=]`, `GET /v1/runs/<id>`, `POST /v1/runs/<id>/cancel`,
`GET /v1/functions`, `GET /runs` (HTML), `GET /health`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, Response, jsonify, request
from flask.typing import ResponseReturnValue

from lib.web import create_app, json_error

if TYPE_CHECKING:
    from devkit.executor import Executor


def build_app(executor: "Executor") -> Flask:
    from devkit.executor.engine import BadEvent
    from devkit.executor.event_ids import SEED_HEADER
    from devkit.executor.event_size import oversized
    from devkit.executor.pages import runs_page
    from devkit.executor.signing import bearer_ok

    app = create_app("devkit.executor")
    engine = executor.engine

    @app.post("/e/<key>")
    def send_events(key: str) -> ResponseReturnValue:
        too_large = oversized(request.get_data(cache=True), executor.max_event_bytes)
        if too_large is not None:  # Inngest's answer to an oversized event: 400 (see devkit/executor/event_size.py)
            return jsonify({"ids": [], "status": 400, "error": too_large}), 400
        body: Any = request.get_json(silent=True)
        if body is None:
            return jsonify({"ids": [], "status": 400, "error": "body must be a JSON event or list of events"}), 400
        events = body if isinstance(body, list) else [body]
        ids, error = engine.ingest(events, seed=request.headers.get(SEED_HEADER))
        if error is not None:  # Inngest: the events before the bad one are accepted and their ids answered
            return jsonify({"ids": ids, "status": 400, "error": error}), 400
        return jsonify({"ids": ids, "status": 200})

    @app.get("/v1/events")
    def events() -> ResponseReturnValue:
        """Received events (repeats included), as the dev server's REST API lists them."""
        return jsonify({"data": engine.list_events(request.args.get("name"))})

    @app.post("/fn/register")
    def register() -> ResponseReturnValue:
        if executor.signing_key and not bearer_ok(request.headers.get("Authorization"), executor.signing_key, executor.signing_key_fallback):
            return json_error(401, "bad or missing signing key")
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("functions"), list) or not body.get("url"):
            return json_error(400, "expected {url, appname, functions: [...]}")
        try:
            ids = engine.register(str(body.get("appname") or ""), str(body["url"]), body["functions"])
        except BadEvent as exc:
            return json_error(400, str(exc))
        return jsonify({"ok": True, "modified": True, "functions": ids})

    @app.get("/v0/runs/<run_id>/actions")
    @app.get("/v0/runs/<run_id>/batch")
    def run_state(run_id: str) -> ResponseReturnValue:
        """What the SDK fetches when a request says `use_api` (inngest-py client `_get_steps`/`_get_batch`):
        the memoised steps as an object, the events as an array; with a signing key, its bearer is required."""
        if executor.signing_key and not bearer_ok(request.headers.get("Authorization"), executor.signing_key, executor.signing_key_fallback):
            return json_error(401, "bad or missing signing key")
        state = engine.run_state(run_id)
        if state is None:
            return json_error(404, f"no run {run_id}")
        events, steps = state
        return jsonify(steps if request.path.endswith("/actions") else events)

    @app.get("/v1/functions")
    def functions() -> ResponseReturnValue:
        return jsonify({"data": engine.functions()})

    @app.get("/v1/runs")
    def runs() -> ResponseReturnValue:
        return jsonify({"data": engine.list_runs(request.args.get("function_id"), request.args.get("status"))})

    @app.get("/v1/runs/<run_id>")
    def run(run_id: str) -> ResponseReturnValue:
        found = engine.get_run(run_id)
        if found is None:
            return json_error(404, f"no run {run_id}")
        return jsonify({"data": found})

    @app.post("/v1/runs/<run_id>/cancel")
    def cancel(run_id: str) -> ResponseReturnValue:
        if executor.signing_key and not bearer_ok(request.headers.get("Authorization"), executor.signing_key, executor.signing_key_fallback):
            return json_error(401, "bad or missing signing key")
        return jsonify({"cancelled": engine.cancel(run_id)})

    @app.get("/runs")
    @app.get("/runs/<run_id>")
    @app.get("/")
    def page(run_id: str | None = None) -> Response:
        status = request.args.get("status") or None
        function_id = request.args.get("function_id") or None
        if run_id:
            found = engine.get_run(run_id)
            runs = [found] if found else []
        else:
            runs = engine.list_runs(function_id, status)
        return Response(runs_page(runs, engine.functions(), status=status, function_id=function_id), mimetype="text/html")

    @app.get("/health")
    def health() -> ResponseReturnValue:
        return jsonify({"ok": True})

    return app
