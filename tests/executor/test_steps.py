"""step.run memo, triggers with expression filters, and the run's output."""

from __future__ import annotations

import inngest

from tests.executor.conftest import SCALE
from tests.fakes.inngest_stack import InngestStack


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
