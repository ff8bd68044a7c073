"""Throttle (queued, not dropped, per key) and concurrency limits."""

from __future__ import annotations

import datetime
import threading
import time

import inngest

from tests.executor.conftest import SCALE
from devkit.sandbox.inngest_stack import InngestStack


def _parse(ts: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(ts.rstrip("Z"))


def test_throttle_queues_runs_per_key(client: inngest.Inngest) -> None:
    @client.create_function(
        fn_id="throttled",
        trigger=inngest.TriggerEvent(event="test/throttled"),
        throttle=inngest.Throttle(key="event.data.conversationId", limit=1, period=datetime.timedelta(seconds=20)),
    )
    def throttled(ctx: inngest.ContextSync) -> str:
        return ctx.event.data["n"]

    period = 20 * SCALE
    with InngestStack([throttled], time_scale=SCALE) as stack:
        for n in ("1", "2", "3"):
            stack.send("test/throttled", {"conversationId": "c1", "n": n})
        stack.send("test/throttled", {"conversationId": "c2", "n": "other"})
        runs = stack.wait_for_run("throttled", count=4)
    assert sorted(r["output"] for r in runs) == ["1", "2", "3", "other"]  # none dropped
    starts = sorted(_parse(r["started_at"]) for r in runs if r["event"]["data"]["conversationId"] == "c1")
    gaps = [(b - a).total_seconds() for a, b in zip(starts, starts[1:])]
    assert all(gap >= period * 0.99 for gap in gaps), gaps  # one start per key per period


def test_concurrency_limit_caps_simultaneous_executions(client: inngest.Inngest) -> None:
    lock = threading.Lock()
    current = [0]
    peak = [0]

    @client.create_function(
        fn_id="one-at-a-time",
        trigger=inngest.TriggerEvent(event="test/conc"),
        concurrency=[inngest.Concurrency(limit=1)],
    )
    def one_at_a_time(ctx: inngest.ContextSync) -> int:
        def work() -> int:
            with lock:
                current[0] += 1
                peak[0] = max(peak[0], current[0])
            time.sleep(0.1)
            with lock:
                current[0] -= 1
            return ctx.event.data["n"]

        return ctx.step.run("work", work)

    with InngestStack([one_at_a_time], time_scale=SCALE) as stack:
        for n in range(4):
            stack.send("test/conc", {"n": n})
        runs = stack.wait_for_run("one-at-a-time", count=4)
    assert sorted(r["output"] for r in runs) == [0, 1, 2, 3]
    assert peak[0] == 1


def test_concurrency_limit_applies_per_key(client: inngest.Inngest) -> None:
    lock = threading.Lock()
    current: dict[str, int] = {"a": 0, "b": 0}
    peak: dict[str, int] = {"a": 0, "b": 0}

    @client.create_function(
        fn_id="per-account",
        trigger=inngest.TriggerEvent(event="test/per-account"),
        concurrency=[inngest.Concurrency(limit=1, key="event.data.account")],
    )
    def per_account(ctx: inngest.ContextSync) -> str:
        account = ctx.event.data["account"]

        def work() -> str:
            with lock:
                current[account] += 1
                peak[account] = max(peak[account], current[account])
            time.sleep(0.05)
            with lock:
                current[account] -= 1
            return account

        return ctx.step.run("work", work)

    with InngestStack([per_account], time_scale=SCALE) as stack:
        for account in ("a", "b", "a", "b", "a"):
            stack.send("test/per-account", {"account": account})
        runs = stack.wait_for_run("per-account", count=5)
    assert sorted(r["output"] for r in runs) == ["a", "a", "a", "b", "b"]
    assert peak == {"a": 1, "b": 1}


def _tracked(peaks: dict[str, int], current: dict[str, int], lock: threading.Lock, *names: str) -> None:
    """Count one more request in flight under each name, hold it briefly, count it out."""
    with lock:
        for name in names:
            current[name] = current.get(name, 0) + 1
            peaks[name] = max(peaks.get(name, 0), current[name])
    time.sleep(0.05)
    with lock:
        for name in names:
            current[name] -= 1


def test_every_concurrency_constraint_holds_not_only_the_first(client: inngest.Inngest) -> None:
    lock = threading.Lock()
    current: dict[str, int] = {}
    peaks: dict[str, int] = {}

    @client.create_function(
        fn_id="two-limits",
        trigger=inngest.TriggerEvent(event="test/two-limits"),
        concurrency=[inngest.Concurrency(limit=2), inngest.Concurrency(limit=1, key="event.data.account")],
    )
    def two_limits(ctx: inngest.ContextSync) -> str:
        account = ctx.event.data["account"]
        return ctx.step.run("work", lambda: _tracked(peaks, current, lock, "all", account) or account)

    with InngestStack([two_limits], time_scale=SCALE) as stack:
        for account in ("a", "a", "a", "b", "b", "b"):
            stack.send("test/two-limits", {"account": account})
        runs = stack.wait_for_run("two-limits", count=6)
    assert sorted(r["output"] for r in runs) == ["a", "a", "a", "b", "b", "b"]
    assert peaks["a"] == 1 and peaks["b"] == 1  # the second, keyed constraint
    assert peaks["all"] <= 2


def test_account_scoped_concurrency_is_shared_across_functions(client: inngest.Inngest) -> None:
    lock = threading.Lock()
    current: dict[str, int] = {}
    peaks: dict[str, int] = {}
    shared = [inngest.Concurrency(limit=1, key="event.data.customer", scope="account")]

    def make(fn_id: str) -> inngest.Function:
        @client.create_function(fn_id=fn_id, trigger=inngest.TriggerEvent(event="test/shared"), concurrency=shared)
        def fn(ctx: inngest.ContextSync) -> str:
            return ctx.step.run("work", lambda: _tracked(peaks, current, lock, ctx.event.data["customer"]) or fn_id)

        return fn

    with InngestStack([make("first-fn"), make("second-fn")], time_scale=SCALE) as stack:
        for _ in range(3):
            stack.send("test/shared", {"customer": "c1"})
        stack.wait_for_run("first-fn", count=3)
        stack.wait_for_run("second-fn", count=3)
    assert peaks == {"c1": 1}  # six requests of two functions, never two at once
