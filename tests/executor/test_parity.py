"""Regression tests for the divergences from Inngest that inngest-py's own suite found (issue 20).

Each test pins one behaviour of Inngest (the dev server / Cloud) that the SDK's
dev-server tests in `inngest/inngest-py` (tests/test_inngest/...) assert, named next to it.
"""

from __future__ import annotations

import datetime
import threading

import inngest
import inngest.flask
import requests
from flask import Flask

from tests.executor.conftest import SCALE
from devkit.sandbox.inngest_stack import InngestStack


def test_a_step_after_a_parallel_group_runs_in_the_discovery_request(client: inngest.Inngest) -> None:
    """inngest-py cases/parallel_steps.py: four parallel steps, "after" and the return cost 6 requests.

    Once the group is done, the next `step.run` runs inline; it is not planned again.
    """
    requests_seen: list[int] = []

    @client.create_function(fn_id="par-then-seq", retries=0, trigger=inngest.TriggerEvent(event="test/par-seq"))
    def fn(ctx: inngest.ContextSync) -> int:
        requests_seen.append(1)
        a, b = ctx.group.parallel((lambda: ctx.step.run("a", lambda: 1), lambda: ctx.step.run("b", lambda: 2)))
        after = ctx.step.run("after", lambda: a + b)
        return after

    with InngestStack([fn], time_scale=SCALE) as stack:
        stack.send("test/par-seq", {})
        [run] = stack.wait_for_run("par-then-seq")
    assert run["output"] == 3
    # plan [a, b] + a + b + (discovery runs "after") + return
    assert len(requests_seen) == 5


def test_race_mode_calls_again_as_soon_as_one_parallel_step_finishes(client: inngest.Inngest) -> None:
    """inngest-py cases/parallel_mode_race.py: with `ParallelMode.RACE` the fast branch goes on
    while the slow one still runs (order a.1, a.2, b.1, b.2)."""
    order: list[str] = []
    a2_ran = threading.Event()

    def slow() -> None:
        a2_ran.wait(10)  # released by a.2, which only runs if the executor does not wait for b.1
        order.append("b.1")

    @client.create_function(fn_id="racer", retries=0, trigger=inngest.TriggerEvent(event="test/race"))
    def fn(ctx: inngest.ContextSync) -> None:
        def fast_group() -> None:
            ctx.step.run("a.1", lambda: order.append("a.1"))
            ctx.step.run("a.2", lambda: order.append("a.2") or a2_ran.set())

        def slow_group() -> None:
            ctx.step.run("b.1", slow)
            ctx.step.run("b.2", lambda: order.append("b.2"))

        ctx.group.parallel((fast_group, slow_group), parallel_mode=inngest.ParallelMode.RACE)

    with InngestStack([fn], time_scale=SCALE) as stack:
        stack.send("test/race", {})
        stack.wait_for_run("racer", timeout=30)
    assert order == ["a.1", "a.2", "b.1", "b.2"]


def test_a_send_retried_with_the_same_seed_starts_its_runs_once(client: inngest.Inngest) -> None:
    """inngest-py client `_seed()` sends `x-inngest-event-id-seed: <ms>,<base64 10 bytes>` and
    retries with the same header; Inngest derives each event's id from it (test_send.py
    test_client_send_retry: 4 events stored, 2 unique internal ids, equal to the send ids)."""

    @client.create_function(fn_id="seeded", trigger=inngest.TriggerEvent(event="test/seeded"))
    def fn(ctx: inngest.ContextSync) -> str:
        return ctx.event.id

    with InngestStack([fn], time_scale=SCALE) as stack:
        body = [{"name": "test/seeded", "data": {}}, {"name": "test/seeded", "data": {}}]
        headers = {"x-inngest-event-id-seed": "1764110000000,AAECAwQFBgcICQ=="}
        first = requests.post(f"{stack.executor_url}/e/key", json=body, headers=headers, timeout=10).json()
        second = requests.post(f"{stack.executor_url}/e/key", json=body, headers=headers, timeout=10).json()
        assert first == second and len(set(first["ids"])) == 2
        runs = stack.wait_for_run("seeded", count=2)
        listed = requests.get(f"{stack.executor_url}/v1/events", params={"name": "test/seeded"}, timeout=10).json()["data"]
        assert len(stack.runs("seeded")) == 2
    assert sorted(r["output"] for r in runs) == sorted(first["ids"])
    assert all(len(i) == 26 for i in first["ids"])  # ULIDs, as Inngest's internal ids
    assert len(listed) == 4 and {e["internal_id"] for e in listed} == set(first["ids"])


def test_a_batch_with_an_invalid_event_accepts_the_events_before_it(client: inngest.Inngest) -> None:
    """inngest-py test_send.py test_partial_send_error: [ok, no name, no name] -> SendEventsError with 1 id."""

    @client.create_function(fn_id="partial", trigger=inngest.TriggerEvent(event="test/partial"))
    def fn(ctx: inngest.ContextSync) -> dict:
        return dict(ctx.event.data)

    with InngestStack([fn], time_scale=SCALE) as stack:
        from lib.inngest.client import get_client

        try:
            get_client().send_sync([inngest.Event(name="test/partial", data={"n": 1}), inngest.Event(name=""), inngest.Event(name="")])
        except Exception as exc:  # the SDK's SendEventsError (not exported at the top level)
            assert type(exc).__name__ == "SendEventsError", exc
            ids = exc.ids  # type: ignore[attr-defined]
        else:
            raise AssertionError("a batch with an invalid event must raise SendEventsError")
        [run] = stack.wait_for_run("partial")
    assert len(ids) == 1 and run["event"]["id"] == ids[0]
    assert run["output"] == {"n": 1}


def test_failure_payloads_are_shaped_as_inngest_sends_them(client: inngest.Inngest) -> None:
    """inngest-py cases/on_failure.py: `inngest/function.failed` data.error is
    {"error": "invalid status code: 500", "message", "name", "stack"}; the run's error has no `status`."""
    failures: list[dict] = []

    class MyError(Exception):
        pass

    def on_failure(ctx: inngest.ContextSync) -> None:
        failures.append(dict(ctx.event.data))

    @client.create_function(fn_id="fails", retries=0, on_failure=on_failure, trigger=inngest.TriggerEvent(event="test/fails"))
    def fn(ctx: inngest.ContextSync) -> None:
        raise MyError("intentional failure")

    with InngestStack([fn], time_scale=SCALE) as stack:
        stack.send("test/fails", {"foo": 1})
        [run] = stack.wait_for_run("fails", status="Failed")
        stack.wait_for(lambda: failures)
    error = failures[0]["error"]
    assert set(error) == {"error", "message", "name", "stack"}
    assert error["error"] == "invalid status code: 500"
    assert (error["name"], error["message"]) == ("MyError", "intentional failure")
    assert "status" not in run["error"] and run["error"]["message"] == "intentional failure"


def test_an_invoke_timeout_says_what_inngest_says(client: inngest.Inngest) -> None:
    """inngest-py cases/invoke_timeout.py: message "Timed out waiting for invoked function to complete"."""

    @client.create_function(fn_id="slow-child", trigger=inngest.TriggerEvent(event="never"))
    def child(ctx: inngest.ContextSync) -> str:
        ctx.step.sleep("nap", datetime.timedelta(hours=1))
        return "late"

    @client.create_function(fn_id="impatient", retries=0, trigger=inngest.TriggerEvent(event="test/impatient"))
    def parent(ctx: inngest.ContextSync) -> str:
        try:
            ctx.step.invoke("call", function=child, timeout=datetime.timedelta(seconds=1))
        except inngest.StepError as exc:
            return f"{exc.name}: {exc.message}"
        return "no timeout"

    with InngestStack([child, parent], time_scale=SCALE) as stack:
        stack.send("test/impatient", {})
        [run] = stack.wait_for_run("impatient")
    assert run["output"] == "InngestInvokeTimeoutError: Timed out waiting for invoked function to complete"


def test_large_state_is_fetched_through_the_api(client: inngest.Inngest) -> None:
    """inngest-py cases/steps_that_needs_api.py: over the request limit the executor sends `use_api`
    and the SDK fetches `/v0/runs/<id>/actions` and `/batch`, so a body-limited framework still works."""
    counters: dict[str, int] = {}

    @client.create_function(fn_id="big-state", retries=0, trigger=inngest.TriggerEvent(event="test/big"))
    def fn(ctx: inngest.ContextSync) -> int:
        total = 0
        for i in range(4):
            total += len(ctx.step.run(f"s{i}", lambda i=i: counters.update({i: counters.get(i, 0) + 1}) or "a" * 40_000))
        return total

    app = Flask("body-limited")
    app.config["MAX_CONTENT_LENGTH"] = 100_000  # the framework refuses bigger requests (413)

    with InngestStack(time_scale=SCALE, serve_app=app, register=False) as stack:
        from lib.inngest.client import get_client

        inngest.flask.serve(app, get_client(), [fn])
        stack.register()
        stack.executor.engine.max_request_bytes = 60_000
        stack.send("test/big", {})
        [run] = stack.wait_for_run("big-state")
    assert run["output"] == 160_000
    assert counters == {0: 1, 1: 1, 2: 1, 3: 1}


def test_a_streamed_201_answer_is_unwrapped() -> None:
    """inngest-py comm_lib/models.py `create_streaming`: 201, keepalive spaces, then
    {"body": <json text>, "headers": {...}, "status": <the real status>}."""
    from devkit.executor import driver
    from devkit.executor.core import CallPlan
    from devkit.sandbox.server import LocalServer

    app = Flask("streamer")

    @app.post("/api/inngest")
    def streamed() -> tuple[str, int]:
        return '  {"body": "\\"done\\"", "headers": {"x-inngest-no-retry": "false"}, "status": 200}', 201

    with LocalServer(app) as server:
        plan = CallPlan(1, "run", "fn", f"{server.url}/api/inngest", {}, None)
        outcome = driver.call(requests.Session(), plan, signing_key=None)
    assert (outcome.status, outcome.body, outcome.headers.get("x-inngest-no-retry")) == (200, "done", "false")


def test_an_http10_answer_claiming_chunked_is_read_to_the_close(sqlite_url: str) -> None:
    """Go's net/http (Inngest) ignores Transfer-Encoding on HTTP/1.0 and reads to the close;
    inngest-py's streaming tests relay a streamed answer so (`test_core/http_proxy.py`).
    The executor used to parse chunk sizes and fail the call (InvalidChunkLength)."""
    import socketserver
    import time

    from devkit.executor import Executor

    class Http10Relay(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            length = 0
            while (line := self.rfile.readline().strip()):
                name, _, value = line.decode().partition(":")
                length = int(value) if name.lower() == "content-length" else length
            self.rfile.read(length)
            self.wfile.write(b"HTTP/1.0 201 Created\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
                             b'  {"body": "\\"done\\"", "headers": {}, "status": 200}')

    relay = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Http10Relay)
    threading.Thread(target=relay.serve_forever, daemon=True).start()
    executor = Executor(database_url=sqlite_url, time_scale=SCALE, signing_key="", signing_key_fallback="").start(port=0)
    try:
        executor.engine.register("relayed", f"http://127.0.0.1:{relay.server_address[1]}/api", [
            {"id": "relayed-fn", "retries": 0, "triggers": [{"event": "test/relayed"}]}
        ])
        executor.engine.ingest([{"name": "test/relayed", "data": {}}])
        for _ in range(200):
            [run] = executor.engine.list_runs()
            if run["status"] != "Running" or run["attempt"] > 0:
                break
            time.sleep(0.05)
    finally:
        executor.stop()
        relay.shutdown()
        relay.server_close()
    assert (run["status"], run["output"], run["error"]) == ("Completed", "done", None)


def _singleton(client: inngest.Inngest, mode: str, release: threading.Event) -> inngest.Function:
    @client.create_function(
        fn_id=f"single-{mode}", retries=0, singleton=inngest.Singleton(mode=mode),  # type: ignore[arg-type]
        trigger=inngest.TriggerEvent(event=f"test/single-{mode}"),
    )
    def fn(ctx: inngest.ContextSync) -> str:
        ctx.step.wait_for_event("hold", event=f"test/release-{mode}", timeout=datetime.timedelta(seconds=30))
        return ctx.event.data["n"]

    return fn


def test_singleton_skip_starts_nothing_while_a_run_is_active(client: inngest.Inngest) -> None:
    """inngest-py cases/singleton_skip.py: a second event while a run is active starts no run."""
    with InngestStack([_singleton(client, "skip", threading.Event())], time_scale=1.0) as stack:
        stack.send("test/single-skip", {"n": "first"})
        stack.wait_for(lambda: any(s["status"] == "Waiting" for r in stack.runs("single-skip") for s in r["steps"]))
        stack.send("test/single-skip", {"n": "second"})
        stack.send("test/release-skip", {})
        [run] = stack.wait_for_run("single-skip")
        assert len(stack.runs("single-skip")) == 1
    assert run["output"] == "first"


def test_singleton_cancel_replaces_the_active_run(client: inngest.Inngest) -> None:
    """inngest-py cases/singleton_cancel.py: the active run is Cancelled and the new one runs."""
    with InngestStack([_singleton(client, "cancel", threading.Event())], time_scale=1.0) as stack:
        stack.send("test/single-cancel", {"n": "first"})
        stack.wait_for(lambda: any(s["status"] == "Waiting" for r in stack.runs("single-cancel") for s in r["steps"]))
        stack.send("test/single-cancel", {"n": "second"})
        [cancelled] = stack.wait_for_run("single-cancel", status="Cancelled")
        stack.wait_for(lambda: any(s["status"] == "Waiting" for r in stack.runs("single-cancel") if r["status"] == "Running" for s in r["steps"]))
        stack.send("test/release-cancel", {})
        [run] = stack.wait_for_run("single-cancel")
    assert cancelled["event"]["data"]["n"] == "first" and run["output"] == "second"


def test_ai_infer_fails_its_step_with_a_clear_error(client: inngest.Inngest) -> None:
    """`step.ai.infer` (opcode AIGateway) is not implemented: the step fails, not retried, saying so."""
    from inngest.experimental.ai import openai as ai_openai

    @client.create_function(fn_id="infers", retries=3, trigger=inngest.TriggerEvent(event="test/infer"))
    def fn(ctx: inngest.ContextSync) -> str:
        try:
            ctx.step.ai.infer("ask", adapter=ai_openai.Adapter(auth_key="k", model="gpt-4o"), body={"messages": []})
        except inngest.StepError as exc:
            return exc.message
        return "answered"

    with InngestStack([fn], time_scale=SCALE) as stack:
        stack.send("test/infer", {})
        [run] = stack.wait_for_run("infers")
    assert "step.ai.infer" in run["output"] and "not implemented" in run["output"]
    assert run["steps"][0]["attempt"] == 0
