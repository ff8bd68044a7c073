"""Calls read a function's registration once (`Calls._function`), not on every transition:
a re-registration must still reach the very next call, and a removed function must stop it.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from devkit.executor.engine import Engine, Outcome
from devkit.executor.models import create_tables
from lib.db import make_database

OLD_URL, NEW_URL = "http://127.0.0.1:9/api/inngest", "http://127.0.0.1:10/api/inngest"


def _function(url: str, retries: int) -> dict[str, Any]:
    return {
        "id": "app-fn",
        "name": "fn",
        "triggers": [{"event": "test/cache"}],
        "steps": {"step": {"id": "step", "name": "step", "runtime": {"type": "http", "url": url}, "retries": {"attempts": retries}}},
    }


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    db = make_database(sqlite_url)
    create_tables(db.engine)
    engine = Engine(db)
    engine.register("app", OLD_URL, [_function(OLD_URL, retries=3)])
    yield engine
    db.engine.dispose()


def _first_call(engine: Engine) -> Any:
    engine.ingest([{"name": "test/cache", "data": {}}])
    [job] = engine.claim_due("scheduler", 8)
    plan = engine.prepare_call(job)
    assert plan is not None
    return plan


def test_a_reregistration_reaches_the_next_call(engine: Engine) -> None:
    plan = _first_call(engine)
    assert plan.url == OLD_URL and plan.body["ctx"]["max_attempts"] == 4

    engine.register("app", NEW_URL, [_function(NEW_URL, retries=0)])
    ran = Outcome(status=206, body=[{"op": "StepRun", "id": "s1", "name": "one", "displayName": "one", "data": 1}])
    following = engine.apply(plan, ran, claim_for="worker-1")

    assert following is not None
    assert following.url == NEW_URL and following.body["ctx"]["max_attempts"] == 1
    # No retries left under the new registration: an error fails the run at once.
    assert engine.apply(following, Outcome(status=500, body={"name": "Error", "message": "boom"}), claim_for="worker-1") is None
    assert engine.get_run(plan.run_id)["status"] == "Failed"


def test_a_function_removed_by_a_resync_calls_nothing_more(engine: Engine) -> None:
    _first_call(engine)  # the function has been read for a call
    engine.ingest([{"name": "test/cache", "data": {}}])
    [job] = engine.claim_due("scheduler", 8)

    engine.register("app", OLD_URL, [])

    assert engine.prepare_call(job) is None
    run = engine.get_run(job.run_id)
    assert run["status"] == "Failed" and "not registered" in str(run["error"])
