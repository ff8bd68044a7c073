"""Events: the Event API's ingest, and what an event does (cancel, resume waiters, trigger runs).

A part of `Engine` (engine.py), split along the engine's sections; its methods use the others' through `self`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.db.models import utcnow
from devkit.executor import event_ids, expressions
from devkit.executor.core import (
    CLAIM_FOR,
    CLAIMED,
    SCHEDULED_OTHERS,
    ACTIVE,
    BadEvent,
    CallPlan,
    IDEMPOTENCY_WINDOW,
    RunStatus,
    TERMINAL,
    logger,
    new_id,
    normalise_event,
)
from devkit.executor.models import (
    ExecutorEvent,
    ExecutorFunction,
    ExecutorJob,
    ExecutorRun,
    ExecutorWaiter,
    listening,
)


class Events:
    """Engine methods of this section (see the module docstring)."""

    def ingest(self, raw_events: list[Any], *, seed: str | None = None) -> tuple[list[str], str | None]:
        """Accept events in order, start/cancel/resume runs; returns the accepted ids and the error
        that stopped the rest, if any.

        As Inngest's Event API: the events before an invalid one are accepted, it and those
        after it are not (inngest-py `test_partial_send_error`: `[ok, bad, bad]` gives one id).
        Ids come from the event, else from the SDK's seed header (`event_ids.py`), so a send
        the SDK retries after a lost answer repeats its ids and starts no run twice.

        With the scheduler's hook (`self.handoff`) and a free worker slot, the first call due now
        (a started run's, or a resumed waiter's) is born claimed by that worker, prepared in this
        transaction and given to it: no wake of the scheduler, no claim round, no second
        transaction. Without a slot it stays due for the scheduler, as every other job does.
        """
        handoff = self.handoff
        worker = handoff.reserve() if handoff is not None else None
        plan: CallPlan | None = None
        handed = False
        try:
            with self.lock, self.db.session() as s:
                s.info[CLAIM_FOR] = worker
                ids, error = self._accept(s, raw_events, event_ids.seeded_ids(seed, len(raw_events)))
                claimed = s.info.get(CLAIMED)
                if claimed is not None:
                    s.flush()  # the job's id
                    plan = self._prepare(s, claimed)
                others = s.info.get(SCHEDULED_OTHERS, False)
            if plan is not None and handoff is not None:
                handed = handoff.give(plan)
                if not handed:  # stopping: its slots back, the call due again (for the next start)
                    self._abandon_quietly(plan)
        finally:
            if worker is not None and not handed:
                handoff.unreserve()  # type: ignore[union-attr]
        if not handed or others:
            self.wakeup.set()
        return ids, error

    def _accept(self, s: Session, raw_events: list[Any], seeded: list[str] | None) -> tuple[list[str], str | None]:
        """`ingest`'s transaction: store each event and act on it, up to the first invalid one."""
        ids: list[str] = []
        now = utcnow()
        for index, raw in enumerate(raw_events):
            try:
                event = normalise_event(raw, default_id=seeded[index] if seeded else None)
            except BadEvent as exc:
                return ids, str(exc)
            ids.append(event["id"])
            seen = s.get(ExecutorEvent, event["id"])
            if seen is not None and now - seen.received_at < IDEMPOTENCY_WINDOW:
                seen.receipts = (seen.receipts or 1) + 1  # stored again, as Inngest stores each send; no run
                continue
            if seen is None:
                s.add(ExecutorEvent(id=event["id"], name=event["name"], payload=event, received_at=now, receipts=1))
            else:
                seen.name, seen.payload, seen.received_at, seen.receipts = event["name"], event, now, 1
            s.flush()
            self._dispatch(s, event)
        return ids, None

    def _abandon_quietly(self, plan: CallPlan) -> None:
        """`abandon` after the events were committed: a failure is logged, not answered as one to the
        sender (its job, still claimed, is released by the next start)."""
        try:
            self.abandon(plan)
        except Exception:
            logger.exception("could not give back job %s; it resumes on the next start", plan.job_id)

    def list_events(self, name: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Received events, newest first, in the shape of Inngest's `GET /v1/events` items."""
        with self.db.session() as s:
            query = select(ExecutorEvent).order_by(ExecutorEvent.received_at.desc(), ExecutorEvent.id.desc()).limit(limit)
            if name:
                query = query.where(ExecutorEvent.name == name)
            items = [
                {"internal_id": r.id, "received_at": r.received_at.isoformat() + "Z", **r.payload}
                for r in s.scalars(query).all()
                for _ in range(r.receipts or 1)  # one item per receipt: a retried send shows twice
            ]
            return items[:limit]

    def _dispatch(self, s: Session, event: dict[str, Any]) -> None:
        name = event["name"]
        functions = s.scalars(select(ExecutorFunction).where(listening(name))).all()
        # Cancellations first: `event` is the run's trigger, `async` the incoming event.
        cancellable = {
            f.id: f.config.get("cancel") or [] for f in functions if any(c.get("event") == name for c in f.config.get("cancel") or [])
        }
        if cancellable:
            runs = s.scalars(
                select(ExecutorRun).where(ExecutorRun.function_id.in_(cancellable), ExecutorRun.status.in_(ACTIVE))
            ).all()
            for run in runs:
                for cancel in cancellable[run.function_id]:
                    if cancel.get("event") == name and self._safe_match(cancel.get("if"), {"event": run.event, "async": event}):
                        self._finish(s, run, RunStatus.CANCELLED, error={"name": "Cancelled", "message": f"cancelled by {name} {event['id']}"})
                        break
        # Waiters: same scoping as cancellation.
        for waiter in s.scalars(select(ExecutorWaiter).where(ExecutorWaiter.event_name == name).order_by(ExecutorWaiter.id)).all():
            run = s.get(ExecutorRun, waiter.run_id)
            if run is None or run.status in TERMINAL:
                s.delete(waiter)
                continue
            if self._safe_match(waiter.expression, {"event": run.event, "async": event}):
                s.delete(waiter)
                self._resolve_step(s, run, waiter.step_id, data=event)
        # Triggers.
        for fn in functions:
            for trigger in fn.config.get("triggers") or []:
                if trigger.get("event") == name and self._safe_match(trigger.get("expression"), {"event": event}):
                    key = self._key({"key": fn.config["idempotency"]}, event) if fn.config.get("idempotency") else None
                    if (key is None or not self._ran_with_key(s, fn, key, event)) and self._singleton_admits(s, fn, event):
                        self._start_run(s, fn, event, idempotency_key=key)
                    break

    @staticmethod
    def _ran_with_key(s: Session, fn: ExecutorFunction, key: str, event: dict[str, Any]) -> bool:
        """Function-level `idempotency`: one run per evaluated key per 24 h (unscaled, as Inngest)."""
        since = utcnow() - IDEMPOTENCY_WINDOW
        seen = s.scalar(
            select(ExecutorRun.id).where(
                ExecutorRun.function_id == fn.id, ExecutorRun.idempotency_key == key, ExecutorRun.created_at > since
            )
        )
        if seen is not None:
            logger.info("%s: idempotency key %r already ran (run %s); event %s starts nothing", fn.id, key, seen, event.get("id"))
            return True
        return False

    def _singleton_admits(self, s: Session, fn: ExecutorFunction, event: dict[str, Any]) -> bool:
        """`singleton` (Inngest docs, "Singleton functions"): at most one active run per key. Mode
        `skip` starts nothing while one is active; `cancel` cancels the active run and starts anew."""
        singleton = fn.config.get("singleton")
        if not isinstance(singleton, dict):
            return True
        key = self._key(singleton, event)
        active = s.scalars(
            select(ExecutorRun).where(ExecutorRun.function_id == fn.id, ExecutorRun.status.in_(ACTIVE))
        ).all()
        same = [run for run in active if self._key(singleton, run.event) == key]
        if not same:
            return True
        if singleton.get("mode") == "cancel":
            for run in same:
                self._finish(s, run, RunStatus.CANCELLED, error={"name": "Cancelled", "message": f"replaced by event {event['id']} (singleton)"})
            return True
        logger.info("%s: singleton key %r has an active run (%s); event %s starts nothing", fn.id, key, same[0].id, event["id"])
        return False

    @staticmethod
    def _safe_match(expression: str | None, scope: dict[str, Any]) -> bool:
        try:
            return expressions.matches(expression, scope)
        except expressions.ExpressionError:
            logger.exception("bad expression %r; treated as no match", expression)
            return False

    def _start_run(
        self,
        s: Session,
        fn: ExecutorFunction,
        event: dict[str, Any],
        *,
        parent: tuple[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> ExecutorRun:
        config = fn.config
        throttle = config.get("throttle") or None
        concurrency = (config.get("concurrency") or [None])[0]
        run = ExecutorRun(
            id=new_id(),
            function_id=fn.id,
            status=RunStatus.QUEUED,
            event=event,
            attempt=0,
            throttle_key=self._key(throttle, event) if throttle else None,
            concurrency_key=self._key(concurrency, event) if concurrency else None,
            idempotency_key=idempotency_key,
            parent_run_id=parent[0] if parent else None,
            parent_step_id=parent[1] if parent else None,
        )
        s.add(run)
        self._schedule(s, run.id, "call", None, utcnow())
        return run

    @staticmethod
    def _key(option: dict[str, Any], event: dict[str, Any]) -> str:
        expr = option.get("key")
        if not expr:
            return ""
        try:
            return str(expressions.evaluate(expr, {"event": event}))
        except expressions.ExpressionError:
            logger.exception("bad key expression %r", expr)
            return ""

    def _schedule(self, s: Session, run_id: str, kind: str, step_id: str | None, due_at: Any) -> None:
        """A due job. The first call due now, in a transaction that claims for a worker
        (`s.info[CLAIM_FOR]`, see `Calls.apply`), is born claimed by it (`s.info[CLAIMED]`)."""
        job = ExecutorJob(run_id=run_id, kind=kind, step_id=step_id, due_at=due_at, done=False)
        worker = s.info.get(CLAIM_FOR)
        if worker and kind == "call" and CLAIMED not in s.info and due_at <= utcnow():
            job.claimed_by, s.info[CLAIMED] = worker, job
        else:
            s.info[SCHEDULED_OTHERS] = True
        s.add(job)
