"""Reading runs for `/v1/runs`, the runs page and the conformance adapter.

A part of `Engine` (engine.py), split along the engine's sections; its methods use the others' through `self`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from devkit.executor.core import (
    RunStatus,
)
from devkit.executor.models import (
    ExecutorFunction,
    ExecutorJob,
    ExecutorRun,
    ExecutorStep,
)


class Reading:
    """Engine methods of this section (see the module docstring)."""

    def list_runs(self, function_id: str | None = None, status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        with self.db.session() as s:
            query = select(ExecutorRun).order_by(ExecutorRun.created_at.desc(), ExecutorRun.id.desc()).limit(limit)
            if function_id:
                ids = self._function_ids(s, function_id)
                query = query.where(ExecutorRun.function_id.in_(ids))
            if status:
                query = query.where(ExecutorRun.status == status)
            runs = s.scalars(query).all()
            return [self._run_json(s, run) for run in runs]

    def run_ids_for_event(self, event_id: str) -> list[str]:
        """The runs an event started, oldest first (the dev server's `event { functionRuns }`)."""
        with self.db.session() as s:
            query = (
                select(ExecutorRun.id)
                .where(ExecutorRun.event["id"].as_string() == event_id)
                .order_by(ExecutorRun.created_at, ExecutorRun.id)
            )
            return list(s.scalars(query).all())

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        with self.db.session() as s:
            run = s.get(ExecutorRun, run_id)
            return self._run_json(s, run) if run else None

    @staticmethod
    def _function_ids(s: Session, function_id: str) -> list[str]:
        """The full id, plus any registered `<app>-<short id>` for a short one."""
        ids = [function_id]
        for fn in s.scalars(select(ExecutorFunction)).all():
            if fn.id == f"{fn.app_id}-{function_id}":
                ids.append(fn.id)
        return ids

    @staticmethod
    def _run_json(s: Session, run: ExecutorRun) -> dict[str, Any]:
        # Two reads, on SQLite two snapshots (pysqlite begins no transaction for a SELECT): an answer
        # applied in between can show in the jobs and not yet in the steps. A page refresh mends it.
        steps = s.scalars(select(ExecutorStep).where(ExecutorStep.run_id == run.id).order_by(ExecutorStep.created_at, ExecutorStep.id)).all()
        jobs = s.scalars(
            select(ExecutorJob).where(ExecutorJob.run_id == run.id, ExecutorJob.done.is_(False)).order_by(ExecutorJob.due_at, ExecutorJob.id)
        ).all()
        status = run.status if run.status != RunStatus.QUEUED else RunStatus.RUNNING
        iso = lambda d: d.isoformat() + "Z" if d else None  # noqa: E731
        return {
            "id": run.id,
            "function_id": run.function_id,
            "status": status,
            "output": run.output,
            "error": run.error,
            "event": run.event,
            "attempt": run.attempt,
            "parent_run_id": run.parent_run_id,
            "steps": [
                {
                    "id": st.step_id,
                    "name": st.name,
                    "op": st.op,
                    "status": st.status,
                    "output": st.output,
                    "error": st.error,
                    "attempt": st.attempt,
                }
                for st in steps
            ],
            # What the run waits for: a call (a retry when attempt > 0), a sleep's wake or a timeout, and when.
            "scheduled": [{"kind": j.kind, "step_id": j.step_id, "due_at": iso(j.due_at)} for j in jobs],
            "created_at": iso(run.created_at),
            "started_at": iso(run.started_at),
            "ended_at": iso(run.ended_at),
        }
