"""Parallel steps (StepPlanned), sleep, wait_for_event (match and timeout), invoke, cancel-on-event."""

from __future__ import annotations

import datetime

import inngest
import pytest

from tests.executor.conftest import SCALE
from devkit.sandbox.inngest_stack import InngestStack


def test_parallel_steps_are_planned_then_run_by_step_id(client: inngest.Inngest) -> None:
    ran: list[str] = []

    @client.create_function(fn_id="fan-out", trigger=inngest.TriggerEvent(event="test/fan-out"))
    def fan_out(ctx: inngest.ContextSync) -> dict:
        results = ctx.group.parallel(
            tuple((lambda n=n: ctx.step.run(f"part-{n}", lambda: ran.append(f"part-{n}") or n * n)) for n in range(3))
        )
        total = ctx.step.run("sum", lambda: ran.append("sum") or sum(results))
        return {"parts": list(results), "total": total}

    with InngestStack([fan_out], time_scale=SCALE) as stack:
        stack.send("test/fan-out", {})
        [run] = stack.wait_for_run("fan-out")
    assert run["output"] == {"parts": [0, 1, 4], "total": 5}
    assert sorted(ran) == ["part-0", "part-1", "part-2", "sum"]  # each ran exactly once
    assert {s["name"]: s["status"] for s in run["steps"]} == {
        "part-0": "Completed", "part-1": "Completed", "part-2": "Completed", "sum": "Completed"
    }


def test_sleep_wakes_and_continues(client: inngest.Inngest) -> None:
    @client.create_function(fn_id="sleeper", trigger=inngest.TriggerEvent(event="test/sleep"))
    def sleeper(ctx: inngest.ContextSync) -> str:
        ctx.step.sleep("nap", datetime.timedelta(seconds=30))
        return ctx.step.run("after", lambda: "awake")

    with InngestStack([sleeper], time_scale=SCALE) as stack:
        stack.send("test/sleep", {})
        [run] = stack.wait_for_run("sleeper")
    assert run["output"] == "awake"
    assert [(s["name"], s["op"], s["status"]) for s in run["steps"]] == [("nap", "Sleep", "Completed"), ("after", "StepRun", "Completed")]


def _waiter(client: inngest.Inngest) -> inngest.Function:
    @client.create_function(fn_id="waiter", trigger=inngest.TriggerEvent(event="test/approval.requested"))
    def waiter(ctx: inngest.ContextSync) -> dict:
        decided = ctx.step.wait_for_event(
            "decision",
            event="test/approval.decided",
            if_exp="async.data.actionId == event.data.actionId",
            timeout=datetime.timedelta(seconds=100),
        )
        return {"decision": decided.data["decision"] if decided else None}

    return waiter


def test_wait_for_event_matches_only_its_own_event(client: inngest.Inngest) -> None:
    with InngestStack([_waiter(client)], time_scale=1.0) as stack:
        stack.send("test/approval.requested", {"actionId": "a1"})
        stack.wait_for(lambda: any(s["status"] == "Waiting" for r in stack.runs("waiter") for s in r["steps"]))
        stack.send("test/approval.decided", {"actionId": "other", "decision": "reject"})
        stack.send("test/approval.decided", {"actionId": "a1", "decision": "approve"})
        [run] = stack.wait_for_run("waiter")
    assert run["output"] == {"decision": "approve"}
    assert run["steps"][0]["output"]["data"] == {"actionId": "a1", "decision": "approve"}


def test_wait_for_event_times_out_to_none(client: inngest.Inngest) -> None:
    with InngestStack([_waiter(client)], time_scale=SCALE) as stack:
        stack.send("test/approval.requested", {"actionId": "a2"})
        [run] = stack.wait_for_run("waiter")
    assert run["output"] == {"decision": None}


def _child_and_parent(client: inngest.Inngest) -> tuple[inngest.Function, inngest.Function]:
    @client.create_function(fn_id="child", trigger=inngest.TriggerEvent(event="test/child"), retries=0)
    def child(ctx: inngest.ContextSync) -> dict:
        if ctx.event.data.get("fail"):
            raise ValueError("child broke")
        return {"doubled": ctx.event.data["n"] * 2}

    @client.create_function(fn_id="parent", trigger=inngest.TriggerEvent(event="test/parent"))
    def parent(ctx: inngest.ContextSync) -> dict:
        try:
            out = ctx.step.invoke("call-child", function=child, data=dict(ctx.event.data))
        except inngest.StepError as err:
            return {"child_error": err.message}
        return {"child": out}

    return child, parent


def test_invoke_resumes_the_parent_with_the_childs_output(client: inngest.Inngest) -> None:
    child, parent = _child_and_parent(client)
    with InngestStack([child, parent], time_scale=SCALE) as stack:
        stack.send("test/parent", {"n": 21})
        [run] = stack.wait_for_run("parent")
        [child_run] = stack.wait_for_run("child")
    assert run["output"] == {"child": {"doubled": 42}}
    assert child_run["event"]["name"] == "inngest/function.invoked"
    assert child_run["parent_run_id"] == run["id"]


def test_invoke_surfaces_the_childs_failure(client: inngest.Inngest) -> None:
    child, parent = _child_and_parent(client)
    with InngestStack([child, parent], time_scale=SCALE) as stack:
        stack.send("test/parent", {"n": 1, "fail": True})
        [run] = stack.wait_for_run("parent")
        stack.wait_for_run("child", status="Failed")
    assert "child broke" in run["output"]["child_error"]


def test_cancel_on_event_stops_only_the_matching_run(client: inngest.Inngest) -> None:
    @client.create_function(
        fn_id="auto-send",
        trigger=inngest.TriggerEvent(event="test/inbound"),
        cancel=[inngest.Cancel(event="test/outbound", if_exp="async.data.conversationId == event.data.conversationId")],
    )
    def auto_send(ctx: inngest.ContextSync) -> str:
        ctx.step.sleep("delay", datetime.timedelta(seconds=500))
        return ctx.step.run("send", lambda: "sent")

    with InngestStack([auto_send], time_scale=SCALE) as stack:
        stack.send("test/inbound", {"conversationId": "c1"})
        stack.send("test/inbound", {"conversationId": "c2"})
        stack.wait_for(lambda: sum(1 for r in stack.runs("auto-send") for s in r["steps"] if s["status"] == "Sleeping") == 2)
        stack.send("test/outbound", {"conversationId": "c1"})
        [cancelled] = stack.wait_for_run("auto-send", status="Cancelled")
        [completed] = stack.wait_for_run("auto-send", status="Completed")
    assert cancelled["event"]["data"]["conversationId"] == "c1"
    assert completed["event"]["data"]["conversationId"] == "c2"
    assert completed["output"] == "sent"


def test_a_parallel_step_is_retried_by_its_step_id(client: inngest.Inngest) -> None:
    tries: dict[str, list[int]] = {"steady": [], "shaky": []}

    @client.create_function(fn_id="fan-retry", trigger=inngest.TriggerEvent(event="test/fan-retry"), retries=2)
    def fan_retry(ctx: inngest.ContextSync) -> list:
        def steady() -> str:
            tries["steady"].append(ctx.attempt)
            return "steady"

        def shaky() -> str:
            tries["shaky"].append(ctx.attempt)
            if ctx.attempt == 0:
                raise RuntimeError("first try fails")
            return "shaky"

        return list(ctx.group.parallel((lambda: ctx.step.run("steady", steady), lambda: ctx.step.run("shaky", shaky))))

    with InngestStack([fan_retry], time_scale=SCALE) as stack:
        stack.send("test/fan-retry", {})
        [run] = stack.wait_for_run("fan-retry")
    assert run["output"] == ["steady", "shaky"]
    assert tries == {"steady": [0], "shaky": [0, 1]}


def test_an_invoked_child_gets_the_parents_data_as_event_data(client: inngest.Inngest) -> None:
    sent = {"purchaseId": "pu_1", "reason": "duplicate", "actionId": "act_1", "nested": {"cents": [100, 250]}}

    @client.create_function(fn_id="echo-child", trigger=inngest.TriggerEvent(event="test/echo-child"), retries=0)
    def echo_child(ctx: inngest.ContextSync) -> dict:
        return {"name": ctx.event.name, "data": dict(ctx.event.data)}

    @client.create_function(fn_id="echo-parent", trigger=inngest.TriggerEvent(event="test/echo-parent"))
    def echo_parent(ctx: inngest.ContextSync) -> dict:
        return ctx.step.invoke("refund", function=echo_child, data=sent)

    with InngestStack([echo_child, echo_parent], time_scale=SCALE) as stack:
        stack.send("test/echo-parent", {})
        [parent] = stack.wait_for_run("echo-parent")
    got = parent["output"]
    meta = got["data"].pop("_inngest")
    assert got == {"name": "inngest/function.invoked", "data": sent}
    # Inngest Cloud's invocation metadata rides along, as it does there.
    assert meta["fn_id"] == "support-workflows-echo-child"
    assert meta["source_fn_id"] == "support-workflows-echo-parent"
    assert meta["correlation_id"] == f"{parent['id']}.{parent['steps'][0]['id']}"


def test_a_child_failing_after_its_retries_is_a_step_error_in_the_parent(client: inngest.Inngest) -> None:
    """As `execute-approved-action` must see `process-refund` fail: once, after the child's own retries."""
    child_attempts: list[int] = []
    parent_calls: list[bool] = []

    @client.create_function(fn_id="refund-child", trigger=inngest.TriggerEvent(event="test/refund-child"), retries=1)
    def refund_child(ctx: inngest.ContextSync) -> None:
        child_attempts.append(ctx.attempt)
        raise ValueError(f"card declined for {ctx.event.data['purchaseId']}")

    @client.create_function(fn_id="refund-parent", trigger=inngest.TriggerEvent(event="test/refund-parent"), retries=2)
    def refund_parent(ctx: inngest.ContextSync) -> dict:
        parent_calls.append(True)
        try:
            ctx.step.invoke("refund", function=refund_child, data={"purchaseId": ctx.event.data["purchaseId"]})
        except inngest.StepError as err:
            if ctx.event.data.get("rethrow"):
                raise
            return {"caught": type(err).__name__, "message": err.message}
        return {"caught": None}

    with InngestStack([refund_child, refund_parent], time_scale=SCALE) as stack:
        stack.send("test/refund-parent", {"purchaseId": "pu_9"})
        [caught] = stack.wait_for_run("refund-parent")
        assert child_attempts == [0, 1]  # the child used its retries before the parent heard of it
        parent_calls.clear()
        stack.send("test/refund-parent", {"purchaseId": "pu_7", "rethrow": True})
        [failed] = stack.wait_for_run("refund-parent", status="Failed")
    assert caught["output"] == {"caught": "StepError", "message": "card declined for pu_9"}
    # Uncaught, the StepError fails the parent at once: the SDK marks it not retriable.
    assert "card declined for pu_7" in failed["error"]["message"]
    assert len(parent_calls) == 2 and failed["attempt"] == 0  # invoke, then resume and raise: no retries


def test_an_invoke_timeout_resumes_the_parent_with_an_error(client: inngest.Inngest) -> None:
    @client.create_function(fn_id="slow-child", trigger=inngest.TriggerEvent(event="test/slow-child"))
    def slow_child(ctx: inngest.ContextSync) -> str:
        ctx.step.sleep("forever", datetime.timedelta(days=7))
        return "late"

    @client.create_function(fn_id="impatient", trigger=inngest.TriggerEvent(event="test/impatient"))
    def impatient(ctx: inngest.ContextSync) -> str:
        try:
            return ctx.step.invoke("slow", function=slow_child, data={}, timeout=datetime.timedelta(seconds=10))
        except inngest.StepError as err:
            return f"gave up: {err.name}"

    with InngestStack([slow_child, impatient], time_scale=SCALE) as stack:
        stack.send("test/impatient", {})
        [run] = stack.wait_for_run("impatient")
        [child] = stack.runs("slow-child")
    assert run["output"] == "gave up: InngestInvokeTimeoutError"
    assert child["status"] == "Running"  # like Inngest, the child is not cancelled


def test_a_sleep_wakes_at_the_iso_time_the_sdk_sent(client: inngest.Inngest) -> None:
    until = datetime.datetime(2099, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.timezone.utc)

    @client.create_function(fn_id="until", trigger=inngest.TriggerEvent(event="test/until"))
    def sleeps_until(ctx: inngest.ContextSync) -> str:
        ctx.step.sleep_until("until-2099", until)
        return "awake"

    with InngestStack([sleeps_until], time_scale=1.0) as stack:  # the default: production semantics
        stack.send("test/until", {})
        # The step too: a run's steps and jobs are two reads (reading.py), the wake may show first.
        [run] = stack.wait_for(lambda: [r for r in stack.runs("until")
                                        if r["steps"] and r["scheduled"] and r["scheduled"][0]["kind"] == "wake"])
    assert run["scheduled"] == [{"kind": "wake", "step_id": run["steps"][0]["id"], "due_at": "2099-01-02T03:04:05.678000Z"}]
    assert run["steps"][0]["status"] == "Sleeping"


def test_time_scale_defaults_to_production_semantics(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from devkit.executor import Executor, time_scale_setting

    monkeypatch.delenv("INNGEST_EXECUTOR_TIME_SCALE", raising=False)
    assert time_scale_setting() == 1.0
    executor = Executor(signing_key="")
    try:
        assert executor.engine.time_scale == 1.0
    finally:
        executor.database.engine.dispose()
    monkeypatch.setenv("INNGEST_EXECUTOR_TIME_SCALE", "0.01")
    assert time_scale_setting() == 0.01
    for bad in ("0", "-1", "fast"):
        monkeypatch.setenv("INNGEST_EXECUTOR_TIME_SCALE", bad)
        with pytest.raises(ValueError):
            time_scale_setting()
