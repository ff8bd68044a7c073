"""Registration: storing an app's functions as a sync does, and cron triggers.

A part of `Engine` (engine.py), split along the engine's sections; its methods use the others' through `self`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lib.db.models import utcnow
from devkit.executor import cron, timing
from devkit.executor.core import (
    BadEvent,
    CRON_EVENT,
    UNSUPPORTED_OPTIONS,
    logger,
    normalise_event,
)
from devkit.executor.models import (
    ExecutorEvent,
    ExecutorFunction,
    ExecutorJob,
    listens_to,
)


class Registration:
    """Engine methods of this section (see the module docstring)."""

    def register(self, app_id: str, url: str, functions: list[dict[str, Any]]) -> list[str]:
        """Store (or replace) the app's functions and drop those it no longer serves, as an Inngest sync does.

        Options this executor does not implement are logged.
        """
        ids = []
        with self.lock, self.db.session() as s:
            self._functions.clear()  # calls read the functions afresh (`Calls._function`)
            for config in functions:
                if not isinstance(config, dict):
                    raise BadEvent("every function must be a JSON object")
                fn_id = config.get("id")
                if not isinstance(fn_id, str) or not fn_id:
                    raise BadEvent("every function needs an id")
                ignored = [k for k in UNSUPPORTED_OPTIONS if config.get(k)]
                for trigger in config.get("triggers") or []:
                    if isinstance(trigger, dict) and "cron" in trigger:
                        try:
                            cron.parse(str(trigger["cron"]))
                        except cron.CronError as exc:
                            raise BadEvent(f"function {fn_id}: bad cron trigger: {exc}") from None
                if ignored:
                    logger.warning("function %s: %s not implemented by the offline executor; ignored", fn_id, ", ".join(ignored))
                step = (config.get("steps") or {}).get("step") or {}
                fn_url = ((step.get("runtime") or {}).get("url")) or url
                row = s.get(ExecutorFunction, fn_id)
                listens = listens_to(config)
                if row is None:
                    s.add(ExecutorFunction(id=fn_id, app_id=app_id, url=fn_url, config=config, listens=listens))
                else:
                    row.app_id, row.url, row.config, row.listens = app_id, fn_url, config, listens
                ids.append(fn_id)
            if app_id:
                gone = s.scalars(select(ExecutorFunction).where(ExecutorFunction.app_id == app_id, ExecutorFunction.id.not_in(ids))).all()
                for row in gone:
                    logger.info("app %s no longer serves %s; removed", app_id, row.id)
                    s.delete(row)
            s.flush()
            for fn_id in ids:
                self._schedule_crons(s, s.get(ExecutorFunction, fn_id))
        self.wakeup.set()
        return ids

    # ---- cron triggers ------------------------------------------------------------------------

    @staticmethod
    def _cron_key(fn_id: str) -> str:
        """The run_id column of a function's cron jobs (a function id may be longer than a run id)."""
        return "cron-" + hashlib.sha1(fn_id.encode()).hexdigest()

    def _schedule_crons(self, s: Session, fn: ExecutorFunction | None, *, only: int | None = None) -> None:
        """(Re)schedule the next firing of each cron trigger; the wait is multiplied by the time scale."""
        if fn is None:
            return
        key = self._cron_key(fn.id)
        if only is None:
            s.execute(update(ExecutorJob).where(ExecutorJob.run_id == key, ExecutorJob.kind == "cron", ExecutorJob.done.is_(False)).values(done=True))
        now = utcnow()
        for index, trigger in enumerate(fn.config.get("triggers") or []):
            if not isinstance(trigger, dict) or "cron" not in trigger or (only is not None and index != only):
                continue
            fires = cron.parse(str(trigger["cron"])).next_after(now)
            wait = (timing.naive_utc(fires) - now).total_seconds()
            self._schedule(s, key, "cron", str(index), timing.later(wait, self.time_scale))

    def _fire_cron(self, s: Session, job: ExecutorJob) -> None:
        """A cron trigger is due: start a run with Inngest's `inngest/scheduled.timer` event, schedule the next."""
        fn = next((f for f in s.scalars(select(ExecutorFunction)).all() if self._cron_key(f.id) == job.run_id), None)
        index = int(job.step_id or 0)
        triggers = fn.config.get("triggers") or [] if fn else []
        if fn is None or index >= len(triggers) or "cron" not in triggers[index]:
            return  # the function or its trigger is gone
        event = normalise_event({"name": CRON_EVENT, "data": {"cron": triggers[index]["cron"]}})
        s.add(ExecutorEvent(id=event["id"], name=CRON_EVENT, payload=event, received_at=utcnow()))
        if self._singleton_admits(s, fn, event):
            self._start_run(s, fn, event)
        self._schedule_crons(s, fn, only=index)

    def functions(self) -> list[dict[str, Any]]:
        with self.db.session() as s:
            rows = s.scalars(select(ExecutorFunction).order_by(ExecutorFunction.id)).all()
            return [{"id": r.id, "app_id": r.app_id, "url": r.url, "config": r.config} for r in rows]
