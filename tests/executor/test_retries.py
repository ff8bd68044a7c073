"""Step and function retries: StepError with backoff, StepFailed after the last attempt,
NonRetriableError (x-inngest-no-retry), RetryAfterError (retry-after)."""

from __future__ import annotations

import datetime

import inngest
import pytest

from devkit.executor.timing import BACKOFF_BASE_SECONDS
from tests.executor.conftest import SCALE
from devkit.sandbox.inngest_stack import InngestStack


def test_a_failing_step_is_retried_then_succeeds(client: inngest.Inngest) -> None:
    attempts: list[int] = []

    @client.create_function(fn_id="flaky", trigger=inngest.TriggerEvent(event="test/flaky"), retries=3)
    def flaky(ctx: inngest.ContextSync) -> str:
        def work() -> str:
            attempts.append(ctx.attempt)
            if len(attempts) < 3:
                raise RuntimeError(f"boom {len(attempts)}")
            return "ok"

        return ctx.step.run("work", work)

    with InngestStack([flaky], time_scale=SCALE) as stack:
        stack.send("test/flaky", {})
        [run] = stack.wait_for_run("flaky")
    assert run["output"] == "ok"
    assert attempts == [0, 1, 2]  # ctx.attempt counts the step's retries
    [step] = run["steps"]
    assert (step["status"], step["attempt"]) == ("Completed", 2)


def test_a_step_failing_every_attempt_fails_the_run(client: inngest.Inngest) -> None:
    calls: list[int] = []

    @client.create_function(fn_id="doomed", trigger=inngest.TriggerEvent(event="test/doomed"), retries=1)
    def doomed(ctx: inngest.ContextSync) -> str:
        def work() -> str:
            calls.append(ctx.attempt)
            raise ValueError("always")

        return ctx.step.run("work", work)

    with InngestStack([doomed], time_scale=SCALE) as stack:
        stack.send("test/doomed", {})
        [run] = stack.wait_for_run("doomed", status="Failed")
    assert calls == [0, 1]  # retries=1: two attempts
    [step] = run["steps"]
    assert step["status"] == "Failed"
    assert step["error"]["message"] == "always"
    assert "always" in run["error"]["message"]


def test_a_caught_step_failure_lets_the_function_recover(client: inngest.Inngest) -> None:
    @client.create_function(fn_id="recovers", trigger=inngest.TriggerEvent(event="test/recovers"), retries=0)
    def recovers(ctx: inngest.ContextSync) -> str:
        try:
            ctx.step.run("bad", lambda: (_ for _ in ()).throw(KeyError("k")))
        except inngest.StepError as err:
            return ctx.step.run("fallback", lambda: f"recovered from {err.name}")
        return "unreachable"

    with InngestStack([recovers], time_scale=SCALE) as stack:
        stack.send("test/recovers", {})
        [run] = stack.wait_for_run("recovers")
    assert run["output"] == "recovered from KeyError"
    assert [s["status"] for s in run["steps"]] == ["Failed", "Completed"]


def test_non_retriable_error_is_not_retried(client: inngest.Inngest) -> None:
    calls: list[int] = []

    @client.create_function(fn_id="no-retry", trigger=inngest.TriggerEvent(event="test/no-retry"), retries=5)
    def no_retry(ctx: inngest.ContextSync) -> None:
        calls.append(ctx.attempt)
        raise inngest.NonRetriableError("give up")

    with InngestStack([no_retry], time_scale=SCALE) as stack:
        stack.send("test/no-retry", {})
        [run] = stack.wait_for_run("no-retry", status="Failed")
    assert calls == [0]
    assert run["error"]["message"] == "give up"


def test_function_errors_are_retried_with_backoff(client: inngest.Inngest) -> None:
    calls: list[int] = []

    @client.create_function(fn_id="fn-error", trigger=inngest.TriggerEvent(event="test/fn-error"), retries=2)
    def fn_error(ctx: inngest.ContextSync) -> int:
        calls.append(ctx.attempt)
        if ctx.attempt < 2:
            raise RuntimeError("not yet")
        return ctx.attempt

    with InngestStack([fn_error], time_scale=SCALE) as stack:
        stack.send("test/fn-error", {})
        [run] = stack.wait_for_run("fn-error")
    assert calls == [0, 1, 2]
    assert run["output"] == 2


def test_retry_after_error_is_retried_after_the_given_time(client: inngest.Inngest) -> None:
    calls: list[int] = []

    @client.create_function(fn_id="retry-after", trigger=inngest.TriggerEvent(event="test/retry-after"), retries=1)
    def retry_after(ctx: inngest.ContextSync) -> str:
        calls.append(ctx.attempt)
        if ctx.attempt == 0:
            raise inngest.RetryAfterError("later", datetime.timedelta(seconds=5))
        return "done"

    with InngestStack([retry_after], time_scale=SCALE) as stack:
        stack.send("test/retry-after", {})
        [run] = stack.wait_for_run("retry-after")
    assert calls == [0, 1]
    assert run["output"] == "done"


def test_retry_after_header_forms() -> None:
    from devkit.executor.timing import parse_time, retry_after_seconds

    now = parse_time("2026-01-01T00:00:00Z")
    assert retry_after_seconds("30", now) == 30
    assert retry_after_seconds("2026-01-01T00:00:10.000Z", now) == 10
    assert retry_after_seconds("Thu, 01 Jan 2026 00:01:00 GMT", now) == 60
    assert retry_after_seconds("garbage", now) is None


def test_a_failed_run_emits_function_failed_for_on_failure_handlers(client: inngest.Inngest) -> None:
    seen: list[str] = []

    def on_failure(ctx: inngest.ContextSync) -> None:
        seen.append(ctx.event.data["error"]["message"])

    @client.create_function(fn_id="fails-loudly", trigger=inngest.TriggerEvent(event="test/loud"), retries=0, on_failure=on_failure)
    def fails_loudly(ctx: inngest.ContextSync) -> None:
        raise ValueError("kaput")

    with InngestStack([fails_loudly], time_scale=SCALE) as stack:
        stack.send("test/loud", {})
        stack.wait_for_run("fails-loudly", status="Failed")
        stack.wait_for(lambda: seen)
    assert seen == ["kaput"]


def _due(job: dict) -> datetime.datetime:
    return datetime.datetime.fromisoformat(job["due_at"].rstrip("Z"))


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def test_retry_after_outranks_the_backoff(client: inngest.Inngest) -> None:
    @client.create_function(fn_id="later-please", trigger=inngest.TriggerEvent(event="test/later"), retries=1)
    def later_please(ctx: inngest.ContextSync) -> None:
        raise inngest.RetryAfterError("come back in an hour", datetime.timedelta(hours=1))

    with InngestStack([later_please], time_scale=1.0) as stack:
        before = _utcnow()
        stack.send("test/later", {})
        [run] = stack.wait_for(lambda: [r for r in stack.runs("later-please") if r["attempt"] == 1 and r["scheduled"]])
    [job] = run["scheduled"]
    assert job["kind"] == "call"
    assert _due(job) >= before + datetime.timedelta(minutes=59)  # the backoff alone would say 10 s
    assert run["status"] == "Running" and run["error"]["message"] == "come back in an hour"


@pytest.mark.parametrize("scale", [1.0, 0.5])
def test_a_step_error_is_retried_after_the_backoff_times_the_scale(client: inngest.Inngest, scale: float) -> None:
    @client.create_function(fn_id="backs-off", trigger=inngest.TriggerEvent(event="test/backs-off"), retries=3)
    def backs_off(ctx: inngest.ContextSync) -> None:
        ctx.step.run("work", lambda: (_ for _ in ()).throw(RuntimeError("down")))

    with InngestStack([backs_off], time_scale=scale) as stack:
        before = _utcnow()
        stack.send("test/backs-off", {})
        [run] = stack.wait_for(lambda: [r for r in stack.runs("backs-off") if r["steps"] and r["steps"][0]["status"] == "Retrying"])
        observed = _utcnow()
    [step], [job] = run["steps"], run["scheduled"]
    assert (job["kind"], job["step_id"], step["attempt"]) == ("call", step["id"], 1)
    backoff = datetime.timedelta(seconds=BACKOFF_BASE_SECONDS * scale)  # the first retry's wait
    slack = datetime.timedelta(milliseconds=5)
    assert before + backoff - slack <= _due(job) <= observed + backoff + slack
