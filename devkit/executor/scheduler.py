"""The worker: a thread that takes due jobs from the database and runs them on a small pool.

Jobs are durable rows, claimed with a compare-and-set; on start the executor releases
claims a killed process left behind, so sleeps, waits and calls resume after a restart.

The loop sleeps until the next job falls due, at most 50 ms (`IDLE_WAIT_CAP`), or until a
write wakes it: every transaction that schedules or re-times a job nobody holds sets
`engine.wakeup` after its commit. The scheduler also lends the engine its free slots
(`engine.handoff`, `core.Handoff`): an ingested event's first call is given straight to a
worker, without a round of the loop.
"""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

from devkit.executor import driver
from devkit.executor.engine import CallPlan, Engine, Outcome
from devkit.executor.models import ExecutorJob
from lib.db.models import utcnow

logger = logging.getLogger("support.executor")

POLL_SECONDS = 0.05  # while every worker is busy: how often the loop looks for a free one
# The longest idle sleep. This process's writes wake the loop; the cap bounds the delay for a
# due time no wake announces (another executor on the same database, a row edited by hand, the
# wall clock stepping). 50 ms, not longer: with a 1 s cap, webhook -> draft in `python -m bench
# --only pipeline` was 10-30 ms slower in each of four alternated pairs of runs on a 2-vCPU VM
# (p50 730-762 against 720-733 ms); the time grew in the other processes (the fakes' answers, the
# OpenAI SDK's own work), and we did not find why. One short read every 50 ms is cheap.
IDLE_WAIT_CAP = POLL_SECONDS


class Scheduler:
    def __init__(self, engine: Engine, *, signing_key: str | None = None, workers: int = 8) -> None:
        self.engine = engine
        self.signing_key = signing_key
        self.workers = workers
        self.me = uuid.uuid4().hex
        self._stop = threading.Event()
        self._gate = threading.Lock()  # a hand-off either reaches the pool before `stop` or is refused
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._busy = threading.Semaphore(workers)
        self._http: Any = None

    def start(self) -> "Scheduler":
        from devkit.executor import framing

        self._http = framing.session()
        self.engine.release_stale_claims(self.me)
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="executor-job")
        self.engine.handoff = self
        self._thread = threading.Thread(target=self._loop, name="executor-scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._gate:
            self._stop.set()
        if self.engine.handoff is self:
            self.engine.handoff = None
        self.engine.wakeup.set()
        if self._thread:
            self._thread.join(timeout=10)
        if self._pool:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._http:
            self._http.close()

    # ---- the engine's hand-off hook (core.Handoff) -----------------------------------------

    def reserve(self) -> str | None:
        if self._stop.is_set() or not self._busy.acquire(blocking=False):
            return None
        return self.me

    def give(self, plan: CallPlan) -> bool:
        with self._gate:
            if self._stop.is_set() or self._pool is None:
                return False
            try:
                self._submit(plan)
            except RuntimeError:  # the pool is shut down
                return False
        return True

    def unreserve(self) -> None:
        self._busy.release()

    # ---- the loop ----------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.engine.wakeup.clear()  # before looking: a wake from here on ends the wait below
            try:
                wait = self._claim_round()
            except Exception:  # keep the worker alive; the job stays due and is retried
                logger.exception("executor scheduler loop failed")
                wait = POLL_SECONDS
            if wait > 0:
                self.engine.wakeup.wait(wait)

    def _claim_round(self) -> float:
        """Claim what is due, one free slot each; answers how long to sleep unless woken."""
        held = self._hold_free_slots()
        if not held:
            return POLL_SECONDS
        try:
            jobs, next_due = self.engine.take_due(self.me, held)
            for job in jobs:
                self._submit(job)
                held -= 1
        finally:
            for _ in range(held):
                self._busy.release()
        if next_due is None:
            return IDLE_WAIT_CAP
        return min(max(0.0, (next_due - utcnow()).total_seconds()), IDLE_WAIT_CAP)

    def _hold_free_slots(self) -> int:
        held = 0
        while self._busy.acquire(blocking=False):
            held += 1
        return held

    def _submit(self, item: ExecutorJob | CallPlan) -> None:
        """Run a claimed job or a prepared call on the pool, on a slot already held."""
        assert self._pool is not None
        future = self._pool.submit(self._run, item)
        future.add_done_callback(self._if_dropped(item))

    def _if_dropped(self, item: ExecutorJob | CallPlan) -> Callable[[Future[None]], None]:
        def back(future: Future[None]) -> None:
            if not future.cancelled():
                return
            self._busy.release()  # `stop` dropped it before a worker took it: due again for the next start
            try:
                if isinstance(item, CallPlan):
                    self.engine.abandon(item)
                else:
                    self.engine.release(item.id)
            except Exception:
                logger.exception("could not give back a dropped job; it resumes on the next start")

        return back

    # ---- a worker ----------------------------------------------------------------------------

    def _run(self, item: ExecutorJob | CallPlan) -> None:
        """Handle a job (or make a call already prepared), then each next call of its run that is due
        at once, holding one worker slot."""
        try:
            following = item if isinstance(item, CallPlan) else self._handle(item)
            while following is not None:
                if self._stop.is_set():
                    self.engine.abandon(following)  # stopping: a later start makes it
                    return
                following = self._call(following)
        finally:
            self._busy.release()

    def _handle(self, job: ExecutorJob) -> CallPlan | None:
        """One job; after a call, the run's next call if it is due now (claimed and prepared for this worker)."""
        try:
            if job.kind == "call":
                plan = self.engine.prepare_call(job)
                return self._call(plan) if plan is not None else None
            self.engine.handle_timer(job)
        except Exception:
            logger.exception("executor job %s (%s) failed; releasing it", job.id, job.kind)
            self._release(job.id)
        return None

    def _call(self, plan: CallPlan) -> CallPlan | None:
        """Make the request and apply the answer; the run's next call when it is due now."""
        try:
            try:
                outcome = driver.call(self._http, plan, signing_key=self.signing_key)
            except Exception as exc:  # never leave a claimed job behind
                logger.exception("calling %s failed", plan.function_id)
                outcome = Outcome(status=None, error=f"{type(exc).__name__}: {exc}")
            return self.engine.apply(plan, outcome, claim_for=self.me)
        except Exception:
            logger.exception("executor job %s (call) failed; releasing it", plan.job_id)
            self._release(plan.job_id)
        return None

    def _release(self, job_id: int) -> None:
        try:
            self.engine.release(job_id)
        except Exception:
            logger.exception("could not release job %s; it resumes on the next start", job_id)
