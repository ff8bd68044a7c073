"""An event's first call goes straight to a worker the scheduler lends; anything that re-times a job wakes the scheduler.

Engine-level, with a stand-in for the scheduler's hook (`Engine.handoff`, see `core.Handoff`):
the run an ingested event starts gets its first call born claimed by the lent worker and
prepared in the ingest transaction; without a slot, or when the scheduler refuses it, the
call stays due and unclaimed, and no slot is kept. Since the scheduler now sleeps until the
next due job instead of polling, a call held back (concurrency) or released must wake it.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Iterator

import pytest
from sqlalchemy import select

from devkit.executor.engine import CallPlan, Engine
from devkit.executor.models import ExecutorJob, create_tables
from lib.db import make_database
from tests.executor.conftest import engine_on

URL = "http://127.0.0.1:9/api/inngest"
FUNCTION = {
    "id": "app-fn",
    "name": "fn",
    "triggers": [{"event": "test/ingest"}],
    "concurrency": [{"limit": 1}],
    "steps": {"step": {"id": "step", "name": "step", "runtime": {"type": "http", "url": URL}}},
}


class Lender:
    """The scheduler's side of the hook: one worker id to lend, or none; `accept=False` as when stopping."""

    def __init__(self, worker: str | None = "worker-1", *, accept: bool = True) -> None:
        self.worker, self.accept = worker, accept
        self.held = 0
        self.given: list[CallPlan] = []

    def reserve(self) -> str | None:
        if self.worker is None:
            return None
        self.held += 1
        return self.worker

    def give(self, plan: CallPlan) -> bool:
        if not self.accept:
            return False
        self.held -= 1  # the slot now belongs to the call
        self.given.append(plan)
        return True

    def unreserve(self) -> None:
        self.held -= 1


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    with engine_on(sqlite_url, URL, [FUNCTION]) as engine:
        engine.wakeup.clear()
        yield engine


def _jobs(engine: Engine) -> list[ExecutorJob]:
    with engine.db.session() as s:
        return list(s.scalars(select(ExecutorJob).where(ExecutorJob.done.is_(False), ExecutorJob.kind == "call")))


def _ingest(engine: Engine, lender: Lender | None, *names: str) -> Any:
    engine.handoff = lender
    engine.ingest([{"name": name, "data": {}} for name in names])
    return lender


def test_an_event_hands_its_runs_first_call_to_the_lent_worker(engine: Engine) -> None:
    lender = _ingest(engine, Lender(), "test/ingest")

    [plan] = lender.given
    [job] = _jobs(engine)
    assert plan.job_id == job.id and job.claimed_by == "worker-1"
    assert plan.step_id is None and plan.body["event"]["name"] == "test/ingest"
    assert lender.held == 0
    assert engine.claim_due("other", 8) == []  # nobody else can take it
    assert not engine.wakeup.is_set()  # nothing else is due: the scheduler sleeps on


def test_only_the_first_call_of_a_batch_is_handed_off(engine: Engine) -> None:
    lender = _ingest(engine, Lender(), "test/ingest", "test/ingest")

    assert len(lender.given) == 1 and lender.held == 0
    assert sorted(str(job.claimed_by) for job in _jobs(engine)) == ["None", "worker-1"]
    assert engine.wakeup.is_set()  # the other is the scheduler's


def test_without_a_free_slot_the_call_stays_due_for_the_scheduler(engine: Engine) -> None:
    lender = _ingest(engine, Lender(worker=None), "test/ingest")

    assert lender.given == []
    [job] = _jobs(engine)
    assert job.claimed_by is None
    assert engine.wakeup.is_set()


def test_a_refused_hand_off_leaves_the_call_due_and_frees_its_slots(engine: Engine) -> None:
    refusing = _ingest(engine, Lender(accept=False), "test/ingest")

    assert refusing.given == [] and refusing.held == 0
    [job] = _jobs(engine)
    assert job.claimed_by is None and not job.done
    assert engine.wakeup.is_set()
    # The refused call's concurrency slot (limit 1) was given back: the next run's call is admitted.
    accepting = _ingest(engine, Lender(), "test/ingest")
    assert len(accepting.given) == 1


def test_an_event_that_starts_nothing_gives_the_slot_back(engine: Engine) -> None:
    lender = _ingest(engine, Lender(), "test/unheard")

    assert lender.given == [] and lender.held == 0
    assert _jobs(engine) == []


def test_a_call_held_back_by_concurrency_wakes_the_scheduler(engine: Engine) -> None:
    engine.ingest([{"name": "test/ingest", "data": {}}, {"name": "test/ingest", "data": {}}])
    first, second = engine.claim_due("scheduler", 8)
    assert engine.prepare_call(first) is not None
    engine.wakeup.clear()

    assert engine.prepare_call(second) is None  # limit 1: due again in 50 ms
    assert engine.wakeup.is_set()


def test_a_released_job_wakes_the_scheduler(engine: Engine) -> None:
    engine.ingest([{"name": "test/ingest", "data": {}}])
    [job] = engine.claim_due("scheduler", 8)
    engine.wakeup.clear()

    engine.release(job.id)
    assert engine.wakeup.is_set()
    assert [j.claimed_by for j in _jobs(engine)] == [None]


class SeenOnWake(threading.Event):
    """The scheduler's wakeup, noting which unclaimed jobs a fresh read finds at the moment it is set."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self.seen: list[list[str]] = []

    def set(self) -> None:
        with self.engine.db.session() as s:
            query = select(ExecutorJob.kind).where(ExecutorJob.done.is_(False), ExecutorJob.claimed_by.is_(None))
            self.seen.append(sorted(s.scalars(query).all()))
        super().set()


def test_a_cron_firing_wakes_the_scheduler_after_its_commit(sqlite_url: str) -> None:
    db = make_database(sqlite_url)
    create_tables(db.engine)
    try:
        engine = Engine(db, time_scale=0.0001)  # a minute's wait: 6 ms
        cron = {**FUNCTION, "id": "app-cron", "triggers": [{"cron": "* * * * *"}]}
        engine.register("app", URL, [cron])
        time.sleep(0.02)
        [job] = engine.claim_due("scheduler", 8)
        engine.wakeup = wake = SeenOnWake(engine)

        engine.handle_timer(job)
        # Woken before the commit, the scheduler would read neither job and sleep on.
        assert wake.seen == [["call", "cron"]]  # the run's first call and the next firing
    finally:
        db.engine.dispose()
