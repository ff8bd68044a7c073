"""The worker: a thread that takes due jobs from the database and runs them on a small pool.

Jobs are durable rows, claimed with a compare-and-set; on start the executor releases
claims a killed process left behind, so sleeps, waits and calls resume after a restart.
"""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from devkit.executor import driver
from devkit.executor.engine import CallPlan, Engine, Outcome
from devkit.executor.models import ExecutorJob

logger = logging.getLogger("support.executor")

POLL_SECONDS = 0.05


class Scheduler:
    def __init__(self, engine: Engine, *, signing_key: str | None = None, workers: int = 8) -> None:
        self.engine = engine
        self.signing_key = signing_key
        self.workers = workers
        self.me = uuid.uuid4().hex
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._busy = threading.Semaphore(workers)
        self._http: Any = None

    def start(self) -> "Scheduler":
        from devkit.executor import framing

        self._http = framing.session()
        self.engine.release_stale_claims(self.me)
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="executor-job")
        self._thread = threading.Thread(target=self._loop, name="executor-scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.engine.wakeup.set()
        if self._thread:
            self._thread.join(timeout=10)
        if self._pool:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._http:
            self._http.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                free = self._free_slots()
                jobs = self.engine.claim_due(self.me, free) if free else []
                for job in jobs:
                    self._busy.acquire()
                    assert self._pool is not None
                    self._pool.submit(self._run, job)
            except Exception:  # keep the worker alive; the job stays due and is retried
                logger.exception("executor scheduler loop failed")
                jobs = []
            if not jobs:
                self.engine.wakeup.wait(POLL_SECONDS)
                self.engine.wakeup.clear()

    def _free_slots(self) -> int:
        free = 0
        while self._busy.acquire(blocking=False):
            free += 1
        for _ in range(free):
            self._busy.release()
        return free

    def _run(self, job: ExecutorJob) -> None:
        """Handle a job and then each next call of its run that is due at once, holding one worker slot."""
        try:
            following = self._handle(job)
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
