"""The Event API (ids, idempotency, bad input), registration through the serve PUT, and triggers."""

from __future__ import annotations

import inngest
import pytest
import requests

from tests.executor.conftest import SCALE
from devkit.sandbox.inngest_stack import InngestStack


def _echo(client: inngest.Inngest, fn_id: str, event: str, expression: str | None = None) -> inngest.Function:
    @client.create_function(fn_id=fn_id, trigger=inngest.TriggerEvent(event=event, expression=expression))
    def echo(ctx: inngest.ContextSync) -> dict:
        return dict(ctx.event.data)

    return echo


def test_send_answers_ids_and_an_event_id_starts_one_run(client: inngest.Inngest) -> None:
    fn = _echo(client, "echo", "test/echo")
    with InngestStack([fn], time_scale=SCALE) as stack:
        response = requests.post(f"{stack.executor_url}/e/any-key", json=[{"name": "test/echo", "data": {"n": 1}, "id": "evt-1"}], timeout=10)
        assert response.json() == {"ids": ["evt-1"], "status": 200}
        assert stack.send("test/echo", {"n": 2}, id="evt-1") == ["evt-1"]  # duplicate id: accepted, starts nothing
        [other] = stack.send("test/echo", {"n": 3})
        assert other and other != "evt-1"
        runs = stack.wait_for_run("echo", count=2)
    assert sorted(r["output"]["n"] for r in runs) == [1, 3]
    assert len(runs) == 2


def test_the_projects_client_sends_through_the_sdk(client: inngest.Inngest) -> None:
    fn = _echo(client, "echo-sdk", "test/sdk")
    with InngestStack([fn], time_scale=SCALE) as stack:
        from lib.inngest.client import get_client

        ids = get_client().send_sync(inngest.Event(name="test/sdk", data={"via": "sdk"}, id="sdk-1"))
        assert ids == ["sdk-1"]
        [run] = stack.wait_for_run("echo-sdk")
    assert run["output"] == {"via": "sdk"}
    assert run["event"]["id"] == "sdk-1"


def test_bad_events_are_refused_and_nothing_is_lost(client: inngest.Inngest) -> None:
    fn = _echo(client, "echo-bad", "test/bad")
    with InngestStack([fn], time_scale=SCALE) as stack:
        url = f"{stack.executor_url}/e/key"
        assert requests.post(url, data="not json", headers={"content-type": "application/json"}, timeout=10).status_code == 400
        mixed = [{"data": {"no": "name"}}, {"name": "test/bad", "data": {}}]
        response = requests.post(url, json=mixed, timeout=10)
        assert response.status_code == 400
        assert "name" in response.json()["error"] and response.json()["ids"] == []
        assert stack.runs("echo-bad") == []  # nothing after the bad event was taken
        stack.send("test/bad", {"ok": True})
        [run] = stack.wait_for_run("echo-bad")
    assert run["output"] == {"ok": True}


def test_serve_put_registers_functions_with_their_urls(client: inngest.Inngest) -> None:
    fn = _echo(client, "echo-reg", "test/reg")
    with InngestStack([fn], time_scale=SCALE, register=False) as stack:
        assert requests.get(f"{stack.executor_url}/v1/functions", timeout=10).json()["data"] == []
        stack.register()
        [registered] = requests.get(f"{stack.executor_url}/v1/functions", timeout=10).json()["data"]
    assert registered["id"] == "support-workflows-echo-reg"
    assert registered["url"].startswith(stack.serve_url)
    assert "fnId=support-workflows-echo-reg" in registered["url"]
    assert registered["config"]["triggers"] == [{"event": "test/reg"}]


def test_register_refuses_a_body_without_functions(sqlite_url: str) -> None:
    with InngestStack([], register=False) as stack:
        response = requests.post(f"{stack.executor_url}/fn/register", json={"url": "http://x"}, timeout=10)
    assert response.status_code == 400


def test_trigger_expression_filters_events(client: inngest.Inngest) -> None:
    fn = _echo(client, "vip-only", "test/order", expression="event.data.tier == 'vip' && event.data.total > 100")
    with InngestStack([fn], time_scale=SCALE) as stack:
        stack.send("test/order", {"tier": "vip", "total": 50})
        stack.send("test/order", {"tier": "basic", "total": 500})
        stack.send("test/order", {"tier": "vip", "total": 500})
        [run] = stack.wait_for_run("vip-only")
        assert len(stack.runs("vip-only")) == 1
    assert run["output"] == {"tier": "vip", "total": 500}


def test_overlong_ids_and_malformed_function_lists_are_refused(sqlite_url: str) -> None:
    with InngestStack([], register=False) as stack:
        long_id = requests.post(f"{stack.executor_url}/e/k", json={"name": "x/y", "id": "i" * 201}, timeout=10)
        bad_fns = requests.post(f"{stack.executor_url}/fn/register", json={"url": "http://x", "functions": ["nope"]}, timeout=10)
    assert long_id.status_code == 400
    assert bad_fns.status_code == 400


def test_function_idempotency_key_starts_one_run_per_key(client: inngest.Inngest) -> None:
    @client.create_function(fn_id="once-per-order", trigger=inngest.TriggerEvent(event="test/order"), idempotency="event.data.orderId")
    def once(ctx: inngest.ContextSync) -> dict:
        return dict(ctx.event.data)

    with InngestStack([once], time_scale=SCALE) as stack:
        stack.send("test/order", {"orderId": "o-1", "n": 1})
        stack.send("test/order", {"orderId": "o-1", "n": 2})  # a different event, same key: no run
        stack.send("test/order", {"orderId": "o-2", "n": 3})
        runs = stack.wait_for_run("once-per-order", count=2)
        stack.send("test/order", {"orderId": "o-2", "n": 4})
        stack.send("test/bump", {})
        assert len(stack.runs("once-per-order")) == 2
    assert sorted(r["output"]["n"] for r in runs) == [1, 3]


def test_senders_cannot_forge_invocation_metadata_and_bad_ts_is_refused(client: inngest.Inngest) -> None:
    fn = _echo(client, "echo-meta", "test/meta")
    with InngestStack([fn], time_scale=SCALE) as stack:
        stack.send("test/meta", {"n": 1, "_inngest": {"fn_id": "someone-else"}})
        [run] = stack.wait_for_run("echo-meta")
        bad_ts = requests.post(f"{stack.executor_url}/e/k", json={"name": "test/meta", "ts": "yesterday"}, timeout=10)
    assert run["output"] == {"n": 1}  # Inngest strips `_inngest` from sent events too
    assert bad_ts.status_code == 400 and "ts" in bad_ts.json()["error"]


def test_an_oversized_event_is_refused_as_inngest_does_and_starts_nothing(client: inngest.Inngest) -> None:
    from devkit.executor.event_size import DEFAULT_MAX_EVENT_BYTES
    from lib.inngest.client import get_client

    fn = _echo(client, "echo-size", "test/size")
    with InngestStack([fn], time_scale=SCALE) as stack:
        assert stack.executor.max_event_bytes == DEFAULT_MAX_EVENT_BYTES == 256 * 1024
        with pytest.raises(Exception, match="Event is over the max size: Max 262144 bytes"):
            get_client().send_sync(inngest.Event(name="test/size", data={"blob": "x" * DEFAULT_MAX_EVENT_BYTES}, id="big-1"))
        raw = requests.post(f"{stack.executor_url}/e/k", json={"name": "test/size", "data": {"blob": "é" * 140_000}}, timeout=10)
        assert raw.status_code == 400  # 280,000 bytes of UTF-8, though 140,000 characters
        assert raw.json()["status"] == 400 and raw.json()["ids"] == [] and "Size" in raw.json()["error"]
        assert get_client().send_sync(inngest.Event(name="test/size", data={"blob": "x" * 1000}, id="small-1")) == ["small-1"]
        [run] = stack.wait_for_run("echo-size")
        assert len(stack.runs("echo-size")) == 1
    assert run["event"]["id"] == "small-1"


def test_the_event_size_limit_is_configurable(client: inngest.Inngest) -> None:
    from devkit.executor.__main__ import build_parser
    from lib.inngest.client import get_client

    assert build_parser().parse_args(["--max-event-bytes", "3145728"]).max_event_bytes == 3 * 1024 * 1024
    fn = _echo(client, "echo-limit", "test/limit")
    with InngestStack([fn], time_scale=SCALE, max_event_bytes=2048) as stack:
        with pytest.raises(Exception, match="Max 2048 bytes"):
            get_client().send_sync([inngest.Event(name="test/limit", data={"n": 1}), inngest.Event(name="test/limit", data={"blob": "x" * 2048})])
        assert stack.runs("echo-limit") == []  # the batch was refused whole
        stack.send("test/limit", {"blob": "x" * 1500})
        stack.wait_for_run("echo-limit")


def test_an_event_reads_only_the_functions_it_triggers_or_cancels(database_url: str) -> None:
    """Every event used to decode every registered function's config, so the Event API slowed
    with each app synced (inngest-py's suite registers hundreds). Now only the functions whose
    triggers or cancellations name the event are read: rows loaded are counted, not timed."""
    from sqlalchemy import event as orm_event, update

    from devkit.executor import Executor
    from devkit.executor.models import ExecutorFunction

    def fn(fn_id: str, trigger: str, cancel: str | None = None) -> dict:
        return {"id": fn_id, "triggers": [{"event": trigger}], "cancel": [{"event": cancel}] if cancel else []}

    executor = Executor(database_url=database_url, time_scale=SCALE, signing_key="", signing_key_fallback="")
    executor.engine.register("other", "http://127.0.0.1:9/api", [fn(f"other-{i}", f"test/other-{i}") for i in range(30)])
    executor.engine.register("mine", "http://127.0.0.1:9/api", [fn("mine-a", "test/mine"), fn("mine-b", "test/else", cancel="test/mine")])
    loaded: list[str] = []

    def on_load(target: ExecutorFunction, _context: object) -> None:
        loaded.append(target.id)

    orm_event.listen(ExecutorFunction, "load", on_load)
    try:
        ids, error = executor.engine.ingest([{"name": "test/mine", "data": {}}])
    finally:
        orm_event.remove(ExecutorFunction, "load", on_load)
    with executor.database.session() as s:  # a row from before the index column is always read
        s.execute(update(ExecutorFunction).where(ExecutorFunction.id == "mine-a").values(listens=None))
    executor.engine.ingest([{"name": "test/mine", "data": {}}])
    runs = executor.engine.list_runs()
    first_event_runs = executor.engine.run_ids_for_event(ids[0])  # what the conformance GraphQL answers
    executor.database.engine.dispose()
    assert error is None and len(ids) == 1
    assert first_event_runs == [runs[-1]["id"]]
    assert sorted(set(loaded)) == ["mine-a", "mine-b"]
    assert [r["function_id"] for r in runs] == ["mine-a", "mine-a"]
