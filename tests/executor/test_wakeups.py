"""The scheduler end to end: an event's first call skips the claim round, and a sleep still wakes on time.

Observed through the engine's public counter `jobs_claimed`, with the executor in-process
(`InngestStack`). The idle loop waits until the next due job, capped at 50 ms (why: scheduler.py).
"""

from __future__ import annotations

import datetime
import threading
import time
from typing import Any

import inngest

from devkit.sandbox.inngest_stack import InngestStack


def test_an_events_first_call_is_made_without_a_claim(client: inngest.Inngest) -> None:
    claimed_at_call: list[int] = []
    holder: dict[str, Any] = {}

    @client.create_function(fn_id="direct", trigger=inngest.TriggerEvent(event="test/direct"))
    def direct(ctx: inngest.ContextSync) -> str:
        claimed_at_call.append(holder["engine"].jobs_claimed)
        return ctx.step.run("one", lambda: "done")

    with InngestStack([direct]) as stack:
        holder["engine"] = stack.executor.engine
        stack.send("test/direct", {})
        [run] = stack.wait_for_run("direct")
    assert run["output"] == "done"
    assert claimed_at_call[0] == 0  # the first request left without the scheduler claiming a job
    assert claimed_at_call == [0, 0]  # and the second came from the worker that applied the first answer


def test_with_every_worker_busy_an_event_waits_for_the_scheduler(client: inngest.Inngest) -> None:
    started, gate = threading.Event(), threading.Event()
    called: list[str] = []

    @client.create_function(fn_id="blocker", trigger=inngest.TriggerEvent(event="test/block"))
    def blocker(ctx: inngest.ContextSync) -> str:
        called.append(ctx.event.data["name"])
        if ctx.event.data["wait"]:
            started.set()
            gate.wait(10)
        return ctx.event.data["name"]

    with InngestStack([blocker], workers=1) as stack:
        stack.send("test/block", {"wait": True, "name": "first"})
        assert started.wait(10)
        before = stack.executor.engine.jobs_claimed
        stack.send("test/block", {"wait": False, "name": "second"})  # the only worker is busy: no hand-off
        time.sleep(0.2)
        assert called == ["first"]
        gate.set()
        runs = stack.wait_for_run("blocker", count=2)
        assert stack.executor.engine.jobs_claimed == before + 1  # the scheduler took it once the worker was free
    assert sorted(r["output"] for r in runs) == ["first", "second"]


def test_a_sleep_fires_on_time(client: inngest.Inngest) -> None:
    seen: dict[str, float] = {}

    def mark(name: str) -> str:
        seen[name] = time.monotonic()
        return name

    @client.create_function(fn_id="napper", trigger=inngest.TriggerEvent(event="test/nap"))
    def napper(ctx: inngest.ContextSync) -> str:
        ctx.step.run("before", lambda: mark("before"))
        ctx.step.sleep("nap", datetime.timedelta(milliseconds=300))
        return ctx.step.run("after", lambda: mark("after"))

    with InngestStack([napper], time_scale=1.0) as stack:
        stack.send("test/nap", {})
        [run] = stack.wait_for_run("napper")
    assert run["output"] == "after"
    start, end = seen["before"], seen["after"]
    assert 0.3 <= end - start < 0.3 + 0.15, end - start  # its wake is due when the sleep ends, and the idle wait is capped
