"""step.run memo, triggers with expression filters, and the run's output."""

from __future__ import annotations

import inngest

from tests.executor.conftest import SCALE
from devkit.sandbox.inngest_stack import InngestStack


def test_step_run_memo_and_output(client: inngest.Inngest) -> None:
    calls: list[str] = []

    @client.create_function(fn_id="two-steps", trigger=inngest.TriggerEvent(event="test/two"))
    def two_steps(ctx: inngest.ContextSync) -> dict:
        a = ctx.step.run("a", lambda: calls.append("a") or ctx.event.data["x"] + 1)
        b = ctx.step.run("b", lambda: calls.append("b") or a * 10)
        return {"a": a, "b": b}

    with InngestStack([two_steps], time_scale=SCALE) as stack:
        stack.send("test/two", {"x": 1})
        [run] = stack.wait_for_run("two-steps")
    assert run["output"] == {"a": 2, "b": 20}
    assert calls == ["a", "b"]  # each step ran once: memoised on later requests
    assert [(s["name"], s["op"], s["status"], s["output"]) for s in run["steps"]] == [
        ("a", "StepRun", "Completed", 2),
        ("b", "StepRun", "Completed", 20),
    ]
    assert run["function_id"] == "support-workflows-two-steps"


def test_runs_on_each_database(database_url: str) -> None:
    """The same flow (memo, sleep, retry) with the state in SQLite and in MariaDB."""
    import datetime

    from lib.inngest.client import make_client

    client = make_client()
    tries: list[int] = []

    @client.create_function(fn_id="on-db", trigger=inngest.TriggerEvent(event="test/db"), retries=2)
    def on_db(ctx: inngest.ContextSync) -> list:
        first = ctx.step.run("first", lambda: [ctx.event.data["v"]])
        ctx.step.sleep("pause", datetime.timedelta(seconds=5))

        def second() -> list:
            tries.append(ctx.attempt)
            if ctx.attempt == 0:
                raise RuntimeError("once")
            return first + ["second"]

        return ctx.step.run("second", second)

    with InngestStack([on_db], time_scale=SCALE) as stack:
        stack.send("test/db", {"v": "é€"}, id="db-1")
        [run] = stack.wait_for_run("on-db")
    assert run["output"] == ["é€", "second"]
    assert tries == [0, 1]


def test_step_send_event_reaches_the_executor_and_triggers_another_function(client: inngest.Inngest) -> None:
    @client.create_function(fn_id="sender", trigger=inngest.TriggerEvent(event="test/send-start"))
    def sender(ctx: inngest.ContextSync) -> list:
        return ctx.step.send_event("emit", inngest.Event(name="test/sent", data={"from": ctx.run_id}))

    @client.create_function(fn_id="receiver", trigger=inngest.TriggerEvent(event="test/sent"))
    def receiver(ctx: inngest.ContextSync) -> str:
        return ctx.event.data["from"]

    with InngestStack([sender, receiver], time_scale=SCALE) as stack:
        stack.send("test/send-start", {})
        [sent] = stack.wait_for_run("sender")
        [received] = stack.wait_for_run("receiver")
    assert received["output"] == sent["id"]
    assert len(sent["output"]) == 1  # the event id the executor answered
