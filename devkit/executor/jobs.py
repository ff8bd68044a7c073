"""Due jobs: claiming them, and the timers (sleep wakes, wait/invoke timeouts, cron firings).

A part of `Engine` (engine.py), split along the engine's sections; its methods use the others' through `self`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from lib.db.models import utcnow
from devkit.executor.core import (
    INVOKE_TIMEOUT_MESSAGE,
    SCHEDULED_OTHERS,
    StepStatus,
    TERMINAL,
)
from devkit.executor.models import (
    ExecutorJob,
    ExecutorRun,
    ExecutorWaiter,
)


class Jobs:
    """Engine methods of this section (see the module docstring)."""

    def release_stale_claims(self, me: str) -> int:
        """Jobs a killed executor had claimed become claimable again (at-least-once)."""
        with self.lock, self.db.session() as s:
            result = s.execute(
                update(ExecutorJob)
                .where(ExecutorJob.done.is_(False), ExecutorJob.claimed_by.is_not(None), ExecutorJob.claimed_by != me)
                .values(claimed_by=None)
            )
            return result.rowcount or 0

    def claim_due(self, me: str, limit: int) -> list[ExecutorJob]:
        """Due jobs, each claimed with a compare-and-set so no two workers take the same one."""
        return self.take_due(me, limit)[0]

    def take_due(self, me: str, limit: int) -> tuple[list[ExecutorJob], datetime | None]:
        """`claim_due`, and when the next unclaimed job falls due: now or earlier when more are due
        than `limit`, None when none is waiting. One read finds both, so an idle scheduler sleeps
        until that moment (capped: scheduler.IDLE_WAIT_CAP)."""
        claimed: list[ExecutorJob] = []
        with self.db.session() as s:
            now = utcnow()
            waiting = s.scalars(
                select(ExecutorJob)
                .where(ExecutorJob.done.is_(False), ExecutorJob.claimed_by.is_(None))
                .order_by(ExecutorJob.due_at, ExecutorJob.id)
                .limit(limit + 1)
            ).all()
            due = [job for job in waiting if job.due_at <= now][:limit]
            later = waiting[len(due)] if len(waiting) > len(due) else None
            for job in due:
                result = s.execute(
                    update(ExecutorJob)
                    .where(ExecutorJob.id == job.id, ExecutorJob.claimed_by.is_(None), ExecutorJob.done.is_(False))
                    .values(claimed_by=me)
                )
                if result.rowcount == 1:
                    claimed.append(job)
        self.jobs_claimed += len(claimed)
        return claimed, later.due_at if later is not None else None

    def release(self, job_id: int) -> None:
        """Give a claimed job back (its handling failed before it finished), due again shortly."""
        with self._transaction() as s:
            self._job_retry_at(s, job_id, utcnow() + timedelta(seconds=1))

    def _job_done(self, s: Session, job_id: int) -> None:
        s.execute(update(ExecutorJob).where(ExecutorJob.id == job_id).values(done=True))

    def _job_retry_at(self, s: Session, job_id: int, due_at: Any) -> None:
        s.execute(update(ExecutorJob).where(ExecutorJob.id == job_id).values(claimed_by=None, due_at=due_at))
        s.info[SCHEDULED_OTHERS] = True  # the scheduler must learn the new due time (`Engine._transaction`)

    def handle_timer(self, job: ExecutorJob) -> None:
        """A `wake` (sleep over), `timeout` (wait/invoke gave up) or `cron` (a schedule is due) job.

        What it makes due (the call after a sleep, a cron run's call and next firing) wakes the
        scheduler after the commit (`Engine._transaction`): woken before, it would read none of it.
        """
        with self._transaction() as s:
            self._job_done(s, job.id)
            if job.kind == "cron":
                self._fire_cron(s, job)
                return
            run = s.get(ExecutorRun, job.run_id)
            step = self._step(s, job.run_id, job.step_id or "")
            if run is None or run.status in TERMINAL or step is None:
                return
            if job.kind == "wake" and step.status == StepStatus.SLEEPING:
                self._resolve_step(s, run, step.step_id, data=None)
            elif job.kind == "timeout" and step.status == StepStatus.WAITING:
                s.execute(delete(ExecutorWaiter).where(ExecutorWaiter.run_id == run.id, ExecutorWaiter.step_id == step.step_id))
                self._resolve_step(s, run, step.step_id, data=None)
            elif job.kind == "timeout" and step.status == StepStatus.INVOKING:
                self._resolve_step(s, run, step.step_id, error={"name": "InngestInvokeTimeoutError", "message": INVOKE_TIMEOUT_MESSAGE})
