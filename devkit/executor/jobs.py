"""Due jobs: claiming them, and the timers (sleep wakes, wait/invoke timeouts, cron firings).

A part of `Engine` (engine.py), split along the engine's sections; its methods use the others' through `self`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from lib.db.models import utcnow
from devkit.executor.core import (
    INVOKE_TIMEOUT_MESSAGE,
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
        claimed = []
        with self.db.session() as s:
            due = s.scalars(
                select(ExecutorJob)
                .where(ExecutorJob.done.is_(False), ExecutorJob.claimed_by.is_(None), ExecutorJob.due_at <= utcnow())
                .order_by(ExecutorJob.due_at, ExecutorJob.id)
                .limit(limit)
            ).all()
            for job in due:
                result = s.execute(
                    update(ExecutorJob)
                    .where(ExecutorJob.id == job.id, ExecutorJob.claimed_by.is_(None), ExecutorJob.done.is_(False))
                    .values(claimed_by=me)
                )
                if result.rowcount == 1:
                    claimed.append(job)
        return claimed

    def release(self, job_id: int) -> None:
        """Give a claimed job back (its handling failed before it finished), due again shortly."""
        with self.lock, self.db.session() as s:
            self._job_retry_at(s, job_id, utcnow() + timedelta(seconds=1))

    def _job_done(self, s: Session, job_id: int) -> None:
        s.execute(update(ExecutorJob).where(ExecutorJob.id == job_id).values(done=True))

    def _job_retry_at(self, s: Session, job_id: int, due_at: Any) -> None:
        s.execute(update(ExecutorJob).where(ExecutorJob.id == job_id).values(claimed_by=None, due_at=due_at))

    def handle_timer(self, job: ExecutorJob) -> None:
        """A `wake` (sleep over), `timeout` (wait/invoke gave up) or `cron` (a schedule is due) job."""
        with self.lock, self.db.session() as s:
            self._job_done(s, job.id)
            if job.kind == "cron":
                self._fire_cron(s, job)
                self.wakeup.set()
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
        self.wakeup.set()
