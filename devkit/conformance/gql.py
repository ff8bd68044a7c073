"""The dev server's GraphQL `/v0/gql`, as far as inngest-py's test helpers query it.

`pkg/test_core/test_core/helper.py` in inngest-py sends four queries; their root fields
are answered from the executor's runs (`Engine.get_run`/`run_ids_for_event`), by name, without a
GraphQL parser (each answer carries every field the helper reads):

- `run(runID) { output status trace { childrenSpans { name outputID } } }`: status in
  upper case (RUNNING, COMPLETED, FAILED, CANCELLED), output as JSON text (a failed run's
  error object), one span per step, named as the step;
- `runTrigger(runID) { payloads }`: the triggering event as JSON text;
- `runTraceSpanOutputByID(outputID) { data error { message name stack } }`: a step's memo;
- `event(query: {eventId}) { functionRuns { id } }`: the runs an event started.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

if TYPE_CHECKING:
    from devkit.executor.engine import Engine

_STATUS = {"Completed": "COMPLETED", "Failed": "FAILED", "Cancelled": "CANCELLED"}


def _root_fields(query: str) -> set[str]:
    return set(re.findall(r"\b(run|runTrigger|runTraceSpanOutputByID|event)\s*\(", query))


def _run(engine: "Engine", run_id: str) -> dict[str, Any] | None:
    run = engine.get_run(run_id)
    if run is None:
        return None
    status = _STATUS.get(run["status"], "RUNNING")
    output: Any = run["output"] if status == "COMPLETED" else run["error"] if status in ("FAILED", "CANCELLED") else None
    spans = [{"name": step["name"] or step["id"], "outputID": f"{run_id}:{step['id']}"} for step in run["steps"]]
    return {
        "id": run_id,
        "status": status,
        "output": None if output is None and status != "COMPLETED" else json.dumps(output),
        "trace": {"childrenSpans": spans},
    }


def _span_output(engine: "Engine", output_id: str) -> dict[str, Any] | None:
    run_id, _, step_id = output_id.partition(":")
    run = engine.get_run(run_id)
    step = next((s for s in (run or {}).get("steps", []) if s["id"] == step_id), None)
    if step is None:
        return None
    error = step["error"] if step["status"] == "Failed" else None
    if error is not None:
        error = {"message": error.get("message"), "name": error.get("name"), "stack": error.get("stack")}
    data = step["output"] if step["status"] == "Completed" else None
    return {"data": None if data is None else json.dumps(data), "error": error}


def add_routes(app: Flask, engine: "Engine") -> None:
    @app.post("/v0/gql")
    def gql() -> ResponseReturnValue:
        body = request.get_json(silent=True) or {}
        query, variables = str(body.get("query") or ""), body.get("variables") or {}
        values = list(variables.values())
        wanted, data = _root_fields(query), {}
        ident = str(values[0]) if values else ""
        if "run" in wanted:
            data["run"] = _run(engine, ident)
        if "runTrigger" in wanted:
            run = engine.get_run(ident)
            data["runTrigger"] = {"payloads": [json.dumps(run["event"])]} if run else None
        if "runTraceSpanOutputByID" in wanted:
            data["runTraceSpanOutputByID"] = _span_output(engine, ident)
        if "event" in wanted:
            data["event"] = {"functionRuns": [{"id": run_id} for run_id in engine.run_ids_for_event(ident)]}
        if not wanted:
            return jsonify({"data": {}, "errors": [{"message": "query not supported by the offline executor"}]})
        return jsonify({"data": data})
