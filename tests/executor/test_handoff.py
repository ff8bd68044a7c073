"""The worker that applies an answer makes the run's next request itself, and the executor commits without fsync.

Engine-level: the answer's next call is born claimed by the applying worker and prepared in
the same transaction (no scheduler round, no second claim), anything else the answer makes
due still wakes the scheduler, and the executor's SQLite connections use `synchronous=NORMAL`
while the service's keep FULL.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from sqlalchemy import select, text

from devkit.executor.engine import Engine, Outcome
from devkit.executor.models import ExecutorJob
from lib.db import make_database
from tests.executor.conftest import engine_on

FUNCTION = {
    "id": "app-fn",
    "name": "fn",
    "triggers": [{"event": "test/handoff"}],
    "steps": {"step": {"id": "step", "name": "step", "runtime": {"type": "http", "url": "http://127.0.0.1:9/api/inngest"}}},
}


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    with engine_on(sqlite_url, "http://127.0.0.1:9/api/inngest", [FUNCTION]) as engine:
        yield engine


def _first_call(engine: Engine) -> Any:
    engine.ingest([{"name": "test/handoff", "data": {}}])
    jobs = engine.claim_due("scheduler", 8)
    assert len(jobs) == 1
    plan = engine.prepare_call(jobs[0])
    assert plan is not None
    engine.wakeup.clear()
    return plan


def _unclaimed_due(engine: Engine) -> list[ExecutorJob]:
    with engine.db.session() as s:
        return list(s.scalars(select(ExecutorJob).where(ExecutorJob.done.is_(False), ExecutorJob.claimed_by.is_(None))))


def test_a_step_answer_hands_the_next_call_to_the_applying_worker(engine: Engine) -> None:
    plan = _first_call(engine)
    ran = Outcome(status=206, body=[{"op": "StepRun", "id": "s1", "name": "one", "displayName": "one", "data": 1}])

    following = engine.apply(plan, ran, claim_for="worker-1")

    assert following is not None and following.run_id == plan.run_id and following.step_id is None
    assert following.body["steps"] == {"s1": {"data": 1}} and following.body["ctx"]["stack"]["stack"] == ["s1"]
    with engine.db.session() as s:
        job = s.get(ExecutorJob, following.job_id)
        assert job is not None and job.kind == "call" and job.claimed_by == "worker-1" and not job.done
    assert _unclaimed_due(engine) == [] and engine.claim_due("other", 8) == []  # nobody else can take it
    assert not engine.wakeup.is_set()  # nothing else is due: the scheduler sleeps on


def test_the_final_answer_hands_nothing_over_and_wakes_the_scheduler(engine: Engine) -> None:
    plan = _first_call(engine)

    assert engine.apply(plan, Outcome(status=200, body={"ok": True}), claim_for="worker-1") is None
    assert engine.wakeup.is_set()
    assert engine.get_run(plan.run_id)["status"] == "Completed"


def test_parallel_steps_leave_the_rest_to_the_scheduler(engine: Engine) -> None:
    plan = _first_call(engine)
    planned = [{"op": "StepPlanned", "id": step_id, "name": step_id, "displayName": step_id} for step_id in ("a", "b")]

    following = engine.apply(plan, Outcome(status=206, body=planned), claim_for="worker-1")

    assert following is not None and following.step_id == "a"
    assert [job.step_id for job in _unclaimed_due(engine)] == ["b"]
    assert engine.wakeup.is_set()


def test_without_a_worker_every_job_goes_through_the_scheduler(engine: Engine) -> None:
    plan = _first_call(engine)
    ran = Outcome(status=206, body=[{"op": "StepRun", "id": "s1", "name": "one", "displayName": "one", "data": 1}])

    assert engine.apply(plan, ran) is None
    assert [job.run_id for job in _unclaimed_due(engine)] == [plan.run_id]
    assert engine.wakeup.is_set()


def test_the_executor_commits_without_fsync_and_the_service_keeps_full(engine: Engine, sqlite_url: str) -> None:
    service = make_database(sqlite_url)
    try:
        with engine.db.engine.connect() as executor_conn, service.engine.connect() as service_conn:
            assert executor_conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
            assert executor_conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert service_conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL, SQLite's default
    finally:
        service.engine.dispose()
