"""Kill -9 the executor mid-sleep and mid-wait; a new process on the same database finishes the runs."""

from __future__ import annotations

import datetime
import os
import re
import signal
import subprocess
import sys
import time
from typing import Iterator

import inngest
import pytest
import requests

from lib.config import ROOT
from devkit.sandbox.server import LocalServer


class ExecutorProcess:
    def __init__(self, database_url: str, time_scale: float) -> None:
        env = {**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
        env.pop("INNGEST_SIGNING_KEY", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "devkit.executor", "--port", "0", "--time-scale", str(time_scale), "--no-migrate"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if not match:
            self.kill()
            raise AssertionError(f"executor did not start: {line!r}")
        self.url = f"http://127.0.0.1:{match.group(1)}"

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)


def _wait_for(predicate, timeout: float = 30):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met")


def _runs(url: str) -> list[dict]:
    return requests.get(f"{url}/v1/runs", timeout=10).json()["data"]


@pytest.fixture
def served(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ExecutorProcess, list[str]]]:
    """An executor subprocess and an in-process serve endpoint registered with it."""
    import inngest.flask
    from flask import Flask

    from lib.inngest.client import make_client, reset_client

    for key in ("INNGEST_BASE_URL", "INNGEST_API_BASE_URL", "INNGEST_EVENT_API_BASE_URL", "INNGEST_SIGNING_KEY"):
        monkeypatch.delenv(key, raising=False)
    first = ExecutorProcess(sqlite_url, 0.05)
    monkeypatch.setenv("INNGEST_DEV", first.url)
    reset_client()
    client = make_client()
    log: list[str] = []

    @client.create_function(fn_id="sleep-then-wait", trigger=inngest.TriggerEvent(event="test/durable"))
    def durable(ctx: inngest.ContextSync) -> dict:
        ctx.step.run("before", lambda: log.append("before") or "x")
        ctx.step.sleep("nap", datetime.timedelta(seconds=60))  # 3 s at scale 0.05
        got = ctx.step.wait_for_event(
            "go", event="test/go", if_exp="async.data.key == event.data.key", timeout=datetime.timedelta(hours=1)
        )
        return {"go": got.data["n"] if got else None}

    app = Flask("durable")
    inngest.flask.serve(app, client, [durable])
    server = LocalServer(app).start()
    try:
        assert requests.put(f"{server.url}/api/inngest", timeout=10).status_code == 200
        yield first, log
    finally:
        server.stop()
        if first.proc.poll() is None:
            first.kill()
        reset_client()


def test_kill_and_restart_mid_sleep_and_mid_wait(served: tuple[ExecutorProcess, list[str]], sqlite_url: str) -> None:
    first, log = served
    requests.post(f"{first.url}/e/k", json={"name": "test/durable", "data": {"key": "k1"}}, timeout=10).raise_for_status()
    _wait_for(lambda: any(s["status"] == "Sleeping" for r in _runs(first.url) for s in r["steps"]))
    first.kill()

    second = ExecutorProcess(sqlite_url, 0.05)
    third: ExecutorProcess | None = None
    try:
        # The sleep survives the kill: the new process wakes it and the run reaches its wait.
        _wait_for(lambda: any(s["status"] == "Waiting" for r in _runs(second.url) for s in r["steps"]))
        second.kill()
        third = ExecutorProcess(sqlite_url, 0.05)
        # The waiter survives too: an event sent to the third process resumes the run.
        requests.post(f"{third.url}/e/k", json={"name": "test/go", "data": {"key": "k1", "n": 7}}, timeout=10).raise_for_status()
        [run] = _wait_for(lambda: [r for r in _runs(third.url) if r["status"] == "Completed"])
    finally:
        for proc in (second, third):
            if proc is not None and proc.proc.poll() is None:
                proc.kill()
    assert run["output"] == {"go": 7}
    assert log == ["before"]  # the memoised step did not run again
    assert [s["status"] for s in run["steps"]] == ["Completed", "Completed", "Completed"]


def test_kill_mid_call_loses_no_run(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A request in flight when the executor dies is made again by the next one (at least once)."""
    import threading

    import inngest.flask
    from flask import Flask

    from lib.inngest.client import make_client, reset_client

    for key in ("INNGEST_BASE_URL", "INNGEST_API_BASE_URL", "INNGEST_EVENT_API_BASE_URL", "INNGEST_SIGNING_KEY"):
        monkeypatch.delenv(key, raising=False)
    first = ExecutorProcess(sqlite_url, 0.05)
    second: ExecutorProcess | None = None
    monkeypatch.setenv("INNGEST_DEV", first.url)
    reset_client()
    client = make_client()
    entered, release = threading.Event(), threading.Event()
    calls: list[int] = []

    @client.create_function(fn_id="slow-step", trigger=inngest.TriggerEvent(event="test/slow-step"))
    def slow_step(ctx: inngest.ContextSync) -> str:
        def work() -> str:
            calls.append(ctx.attempt)
            if len(calls) == 1:
                entered.set()
                release.wait(30)  # the executor is killed while it waits for this answer
            return "done"

        return ctx.step.run("work", work)

    app = Flask("mid-call")
    inngest.flask.serve(app, client, [slow_step])
    server = LocalServer(app).start()
    try:
        assert requests.put(f"{server.url}/api/inngest", timeout=10).status_code == 200
        requests.post(f"{first.url}/e/k", json={"name": "test/slow-step", "data": {}}, timeout=10).raise_for_status()
        assert entered.wait(30)
        first.kill()
        release.set()
        second = ExecutorProcess(sqlite_url, 0.05)
        [run] = _wait_for(lambda: [r for r in _runs(second.url) if r["status"] == "Completed"])
    finally:
        release.set()
        for proc in (first, second):
            if proc is not None and proc.proc.poll() is None:
                proc.kill()
        server.stop()
        reset_client()
    assert run["output"] == "done"
    assert len(calls) == 2  # the lost answer's step ran again: at-least-once, as on Inngest
