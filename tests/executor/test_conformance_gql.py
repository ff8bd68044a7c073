"""The run-query adapter the conformance script serves: the dev server's GraphQL answers, from our state.

The queries are the ones inngest-py's `pkg/test_core/test_core/helper.py` sends.
"""

from __future__ import annotations

import json

import inngest
from flask import Flask

from tests.executor.conftest import SCALE
from devkit.conformance import gql
from devkit.sandbox.inngest_stack import InngestStack

RUN_QUERY = "query GetRun($run_id: String!) { run(runID: $run_id) { output status } runTrigger(runID: $run_id) { payloads } }"
STEPS_QUERY = "query GetHistory($run_id: String!) { run(runID: $run_id) { trace { childrenSpans { name outputID } } } }"
OUTPUT_QUERY = "query GetHistory($output_id: String!) { runTraceSpanOutputByID(outputID: $output_id) { data error { message name stack } } }"
EVENT_QUERY = "query GetRunFromEventID($event_id: ID!) { event(query: {eventId: $event_id}) { functionRuns { id } } }"


def test_run_status_output_trigger_steps_and_event_runs(client: inngest.Inngest) -> None:
    @client.create_function(fn_id="gql-fn", trigger=inngest.TriggerEvent(event="test/gql"))
    def fn(ctx: inngest.ContextSync) -> dict:
        return {"got": ctx.step.run("first", lambda: 41) + 1}

    with InngestStack([fn], time_scale=SCALE) as stack:
        [event_id] = stack.send("test/gql", {"x": 1})
        [run] = stack.wait_for_run("gql-fn")
        stack.send("test/gql", {"x": 2})  # another event's run is not this event's
        stack.wait_for_run("gql-fn", count=2)
        app = Flask("gql-test")
        gql.add_routes(app, stack.executor.engine)
        http = app.test_client()

        def ask(query: str, **variables: str) -> dict:
            return http.post("/v0/gql", json={"query": query, "variables": variables}).get_json()["data"]

        answered = ask(RUN_QUERY, run_id=run["id"])
        spans = ask(STEPS_QUERY, run_id=run["id"])["run"]["trace"]["childrenSpans"]
        output = ask(OUTPUT_QUERY, output_id=spans[0]["outputID"])["runTraceSpanOutputByID"]
        runs = ask(EVENT_QUERY, event_id=event_id)["event"]["functionRuns"]
    assert answered["run"]["status"] == "COMPLETED" and json.loads(answered["run"]["output"]) == {"got": 42}
    assert json.loads(answered["runTrigger"]["payloads"][0])["data"] == {"x": 1}
    assert [s["name"] for s in spans] == ["first"]
    assert output == {"data": "41", "error": None}
    assert runs == [{"id": run["id"]}]
