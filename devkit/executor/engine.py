"""The executor's state machine: events in, runs started, opcodes turned into steps and jobs.

Every transition is a short DB transaction taken under one process lock, so a run's
bookkeeping (is any parallel step still pending? has this waiter fired?) never races
with itself; the slow part, calling the function, happens outside the lock (see
`scheduler.py`). All state is in the `executor_*` tables, so a new process picks up
exactly where a killed one stopped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from typing import Any, Iterable

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from lib.db import Database
from lib.db.models import utcnow
from devkit.executor import cron, event_ids, expressions, timing
from devkit.executor.limits import InFlight, Slot, concurrency_slots
from devkit.executor.models import (
    ExecutorEvent,
    ExecutorFunction,
    ExecutorJob,
    ExecutorReceived,
    ExecutorRun,
    ExecutorStep,
    ExecutorWaiter,
)

logger = logging.getLogger("support.executor")

DEFAULT_RETRIES = 4  # Inngest's default: 4 retries, 5 attempts
IDEMPOTENCY_WINDOW = timedelta(hours=24)
INVOKED_EVENT = "inngest/function.invoked"
INNGEST_DATA_KEY = "_inngest"  # Inngest's own metadata in event data: set on invocations, stripped from sent events
FAILED_EVENT = "inngest/function.failed"
CRON_EVENT = "inngest/scheduled.timer"  # the event a cron-triggered run receives on Inngest
TERMINAL = ("Completed", "Failed", "Cancelled")
UNSUPPORTED_OPTIONS = ("batchEvents", "debounce", "rateLimit", "priority", "timeouts")
PENDING_STEP = ("Planned", "Retrying", "Sleeping", "Waiting", "Invoking")
INVOKE_TIMEOUT_MESSAGE = "Timed out waiting for invoked function to complete"  # Inngest's words (inngest-py cases/invoke_timeout.py)
# Inngest's largest request to an SDK (4 MiB); a bigger state goes by `use_api`: the SDK fetches
# `/v0/runs/<id>/actions` and `/batch` itself (inngest-py comm_lib/handler.py).
MAX_REQUEST_BYTES = 4 * 1024 * 1024
RACE = "race"  # StepPlanned `opts.parallelMode` of `ParallelMode.RACE` (inngest-py step_lib/base.py)


class BadEvent(ValueError):
    """An event the API refuses (no name, data not an object...)."""


def new_id() -> str:
    """Time-ordered id (ms timestamp + randomness), like Inngest's ULIDs sort by time."""
    return f"{int(time.time() * 1000):012x}{uuid.uuid4().hex[:14]}".upper()


@dataclass
class CallPlan:
    """What one function request needs, read under the lock and used outside it."""

    job_id: int
    run_id: str
    function_id: str
    url: str
    body: dict[str, Any]
    step_id: str | None
    slots: tuple[Slot, ...] = ()


@dataclass
class Outcome:
    """The function's answer (or the transport failure in `error`)."""

    status: int | None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None


def normalise_event(raw: Any, *, default_id: str | None = None) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise BadEvent("each event must be a JSON object")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise BadEvent("event name is required")
    data = raw.get("data") or {}
    if not isinstance(data, dict):
        raise BadEvent(f"event {name!r}: data must be an object")
    if len(name) > 200 or len(str(raw.get("id") or "")) > 200:
        raise BadEvent("event name and id must be at most 200 characters")
    try:
        ts = int(raw.get("ts") or time.time() * 1000)
    except (TypeError, ValueError):
        raise BadEvent(f"event {name!r}: ts must be milliseconds since the epoch") from None
    event: dict[str, Any] = {
        "id": str(raw.get("id") or default_id or new_id()),
        "name": name,
        "data": {k: v for k, v in data.items() if k != INNGEST_DATA_KEY},  # as Inngest: senders cannot forge it
        "ts": ts,
    }
    if raw.get("user"):
        event["user"] = raw["user"]
    if raw.get("v"):
        event["v"] = raw["v"]
    return event


def _error_memo(error: Any) -> dict[str, Any]:
    """The `{name, message, stack}` shape the SDK's memo parser accepts."""
    if isinstance(error, dict):
        return {
            "name": str(error.get("name") or "Error"),
            "message": str(error.get("message") or error.get("error") or error),
            "stack": error.get("stack") if isinstance(error.get("stack"), str) else None,
        }
    return {"name": "Error", "message": str(error), "stack": None}


def _failed_event_error(error: Any, http_status: int | None) -> dict[str, Any]:
    """`inngest/function.failed` data.error as Inngest sends it: `{"error": "invalid status code: 500",
    "message", "name", "stack"}` (inngest-py cases/on_failure.py asserts exactly these keys)."""
    memo = _error_memo(error)
    cause = f"invalid status code: {http_status}" if http_status is not None else memo["message"]
    return {"error": cause, "message": memo["message"], "name": memo["name"], "stack": memo["stack"]}


class Engine:
    def __init__(self, db: Database, *, time_scale: float = 1.0, max_request_bytes: int = MAX_REQUEST_BYTES) -> None:
        self.db = db
        self.time_scale = time_scale
        self.max_request_bytes = max_request_bytes
        self.lock = threading.RLock()
        self._inflight = InFlight()
        self.wakeup = threading.Event()

    # ---- registration -------------------------------------------------------------------

    def register(self, app_id: str, url: str, functions: list[dict[str, Any]]) -> list[str]:
        """Store (or replace) the app's functions and drop those it no longer serves, as an Inngest sync does.

        Options this executor does not implement are logged.
        """
        ids = []
        with self.lock, self.db.session() as s:
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
                if row is None:
                    s.add(ExecutorFunction(id=fn_id, app_id=app_id, url=fn_url, config=config))
                else:
                    row.app_id, row.url, row.config = app_id, fn_url, config
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
        s.add(ExecutorReceived(event_id=event["id"], name=CRON_EVENT, payload=event, received_at=utcnow()))
        if self._singleton_admits(s, fn, event):
            self._start_run(s, fn, event)
        self._schedule_crons(s, fn, only=index)

    def functions(self) -> list[dict[str, Any]]:
        with self.db.session() as s:
            rows = s.scalars(select(ExecutorFunction).order_by(ExecutorFunction.id)).all()
            return [{"id": r.id, "app_id": r.app_id, "url": r.url, "config": r.config} for r in rows]

    # ---- events ---------------------------------------------------------------------------

    def ingest(self, raw_events: list[Any], *, seed: str | None = None) -> tuple[list[str], str | None]:
        """Accept events in order, start/cancel/resume runs; returns the accepted ids and the error
        that stopped the rest, if any.

        As Inngest's Event API: the events before an invalid one are accepted, it and those
        after it are not (inngest-py `test_partial_send_error`: `[ok, bad, bad]` gives one id).
        Ids come from the event, else from the SDK's seed header (`event_ids.py`), so a send
        the SDK retries after a lost answer repeats its ids and starts no run twice.
        """
        seeded = event_ids.seeded_ids(seed, len(raw_events))
        ids: list[str] = []
        error: str | None = None
        with self.lock, self.db.session() as s:
            now = utcnow()
            for index, raw in enumerate(raw_events):
                try:
                    event = normalise_event(raw, default_id=seeded[index] if seeded else None)
                except BadEvent as exc:
                    error = str(exc)
                    break
                ids.append(event["id"])
                s.add(ExecutorReceived(event_id=event["id"], name=event["name"], payload=event, received_at=now))
                seen = s.get(ExecutorEvent, event["id"])
                if seen is not None and now - seen.received_at < IDEMPOTENCY_WINDOW:
                    continue
                if seen is None:
                    s.add(ExecutorEvent(id=event["id"], name=event["name"], payload=event, received_at=now))
                else:
                    seen.name, seen.payload, seen.received_at = event["name"], event, now
                s.flush()
                self._dispatch(s, event)
        self.wakeup.set()
        return ids, error

    def list_events(self, name: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Received events, newest first, in the shape of Inngest's `GET /v1/events` items."""
        with self.db.session() as s:
            query = select(ExecutorReceived).order_by(ExecutorReceived.seq.desc()).limit(limit)
            if name:
                query = query.where(ExecutorReceived.name == name)
            return [
                {"internal_id": r.event_id, "received_at": r.received_at.isoformat() + "Z", **r.payload}
                for r in s.scalars(query).all()
            ]

    def _dispatch(self, s: Session, event: dict[str, Any]) -> None:
        name = event["name"]
        functions = s.scalars(select(ExecutorFunction)).all()
        # Cancellations first: `event` is the run's trigger, `async` the incoming event.
        cancellable = {
            f.id: f.config.get("cancel") or [] for f in functions if any(c.get("event") == name for c in f.config.get("cancel") or [])
        }
        if cancellable:
            runs = s.scalars(
                select(ExecutorRun).where(ExecutorRun.function_id.in_(cancellable), ExecutorRun.status.in_(("Queued", "Running")))
            ).all()
            for run in runs:
                for cancel in cancellable[run.function_id]:
                    if cancel.get("event") == name and self._safe_match(cancel.get("if"), {"event": run.event, "async": event}):
                        self._finish(s, run, "Cancelled", error={"name": "Cancelled", "message": f"cancelled by {name} {event['id']}"})
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
            select(ExecutorRun).where(ExecutorRun.function_id == fn.id, ExecutorRun.status.in_(("Queued", "Running")))
        ).all()
        same = [run for run in active if self._key(singleton, run.event) == key]
        if not same:
            return True
        if singleton.get("mode") == "cancel":
            for run in same:
                self._finish(s, run, "Cancelled", error={"name": "Cancelled", "message": f"replaced by event {event['id']} (singleton)"})
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
            status="Queued",
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
        s.add(ExecutorJob(run_id=run_id, kind=kind, step_id=step_id, due_at=due_at, done=False))

    # ---- jobs -------------------------------------------------------------------------------

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
            if job.kind == "wake" and step.status == "Sleeping":
                self._resolve_step(s, run, step.step_id, data=None)
            elif job.kind == "timeout" and step.status == "Waiting":
                s.execute(delete(ExecutorWaiter).where(ExecutorWaiter.run_id == run.id, ExecutorWaiter.step_id == step.step_id))
                self._resolve_step(s, run, step.step_id, data=None)
            elif job.kind == "timeout" and step.status == "Invoking":
                self._resolve_step(s, run, step.step_id, error={"name": "InngestInvokeTimeoutError", "message": INVOKE_TIMEOUT_MESSAGE})
        self.wakeup.set()

    # ---- calling the function ---------------------------------------------------------------

    def prepare_call(self, job: ExecutorJob) -> CallPlan | None:
        """Admission (throttle, concurrency) and the request body; None when nothing to call now."""
        with self.lock, self.db.session() as s:
            run = s.get(ExecutorRun, job.run_id)
            if run is None or run.status in TERMINAL:
                self._job_done(s, job.id)
                return None
            fn = s.get(ExecutorFunction, run.function_id)
            if fn is None:
                self._job_done(s, job.id)
                self._finish(s, run, "Failed", error={"name": "FunctionNotFound", "message": f"function {run.function_id} is not registered"})
                return None
            now = utcnow()
            throttle = fn.config.get("throttle")
            if run.started_at is None and throttle:
                period = (timing.parse_duration(throttle.get("period")) or 60) * self.time_scale
                window_start = now - timedelta(seconds=period)
                started = s.scalars(
                    select(ExecutorRun.started_at)
                    .where(
                        ExecutorRun.function_id == fn.id,
                        ExecutorRun.throttle_key == run.throttle_key,
                        ExecutorRun.started_at.is_not(None),
                        ExecutorRun.started_at > window_start,
                    )
                    .order_by(ExecutorRun.started_at)
                ).all()
                limit = int(throttle.get("limit") or 1)
                if len(started) >= limit:
                    self._job_retry_at(s, job.id, started[len(started) - limit] + timedelta(seconds=period))
                    return None
            wanted = concurrency_slots(fn.id, fn.config, lambda option: self._key(option, run.event))
            if not self._inflight.acquire(wanted):
                self._job_retry_at(s, job.id, now + timedelta(milliseconds=50))
                return None
            slots = tuple(slot for slot, _ in wanted)
            if run.started_at is None:
                run.started_at = now
            run.status = "Running"
            steps = s.scalars(select(ExecutorStep).where(ExecutorStep.run_id == run.id).order_by(ExecutorStep.updated_at, ExecutorStep.id)).all()
            memo: dict[str, Any] = {}
            stack: list[str] = []
            attempt = run.attempt
            # Inngest asks the SDK to plan (not run) a new step only while parallel steps are still
            # out (a RACE discovery); once a group is done the next `step.run` runs in that request.
            pending = any(step.status in PENDING_STEP for step in steps)
            for step in steps:
                if step.status == "Completed":
                    memo[step.step_id] = {"data": step.output}
                    stack.append(step.step_id)
                elif step.status == "Failed":
                    memo[step.step_id] = {"error": _error_memo(step.error)}
                    stack.append(step.step_id)
                if job.step_id and step.step_id == job.step_id:
                    attempt = max(attempt, step.attempt)  # the step's retries, or the function's
            body = {
                "event": run.event,
                "events": [run.event],
                "steps": memo,
                "ctx": {
                    "run_id": run.id,
                    "attempt": attempt,
                    "max_attempts": self._max_attempts(fn),
                    "disable_immediate_execution": pending and job.step_id is None,
                    "use_api": False,
                    "stack": {"stack": stack, "current": len(stack)},
                },
                "use_api": False,
                "version": 1,
            }
            if len(json.dumps(body, separators=(",", ":"), default=str)) > self.max_request_bytes:
                # Too big to send: the SDK fetches the state from `/v0/runs/<id>/actions` and `/batch`.
                body["steps"], body["events"], body["use_api"], body["ctx"]["use_api"] = {}, [], True, True
            return CallPlan(job.id, run.id, fn.id, fn.url, body, job.step_id, slots)

    def run_state(self, run_id: str) -> tuple[list[dict[str, Any]], dict[str, Any]] | None:
        """A run's events and memoised steps, for the SDK's `use_api` fetch; None for an unknown run."""
        with self.db.session() as s:
            run = s.get(ExecutorRun, run_id)
            if run is None:
                return None
            memo: dict[str, Any] = {}
            for step in s.scalars(select(ExecutorStep).where(ExecutorStep.run_id == run_id)).all():
                if step.status == "Completed":
                    memo[step.step_id] = {"data": step.output}
                elif step.status == "Failed":
                    memo[step.step_id] = {"error": _error_memo(step.error)}
            return [run.event], memo

    @staticmethod
    def _max_attempts(fn: ExecutorFunction) -> int:
        retries = ((((fn.config.get("steps") or {}).get("step") or {}).get("retries")) or {}).get("attempts")
        return (DEFAULT_RETRIES if retries is None else int(retries)) + 1

    def apply(self, plan: CallPlan, outcome: Outcome) -> None:
        """Turn the function's answer into steps, jobs and run status."""
        self._inflight.release(plan.slots)  # first, so a failure below cannot leak a slot
        with self.lock, self.db.session() as s:
            self._job_done(s, plan.job_id)
            run = s.get(ExecutorRun, plan.run_id)
            fn = s.get(ExecutorFunction, plan.function_id)
            if run is None or fn is None or run.status in TERMINAL:
                return
            no_retry = outcome.headers.get("x-inngest-no-retry", "").lower() == "true"
            retry_after = timing.retry_after_seconds(outcome.headers.get("retry-after"))
            if outcome.status == 206 and isinstance(outcome.body, list):
                self._apply_ops(s, run, fn, plan, outcome.body, no_retry, retry_after)
            elif outcome.status == 200:
                self._finish(s, run, "Completed", output=outcome.body)
            else:
                # The SDK's error body as it sent it (Inngest stores no extra keys); anything else, described.
                error = outcome.body if isinstance(outcome.body, dict) else {"name": "Error", "message": outcome.error or f"HTTP {outcome.status}: {str(outcome.body)[:500]}"}
                if not no_retry and run.attempt + 1 < self._max_attempts(fn):
                    run.attempt += 1
                    delay = retry_after if retry_after is not None else timing.backoff_seconds(run.attempt - 1)
                    self._schedule(s, run.id, "call", plan.step_id, timing.later(delay, self.time_scale))
                    run.error = error
                else:
                    self._finish(s, run, "Failed", error=error, http_status=outcome.status)
        self.wakeup.set()

    def _apply_ops(
        self, s: Session, run: ExecutorRun, fn: ExecutorFunction, plan: CallPlan, ops: list[Any],
        no_retry: bool, retry_after: float | None,
    ) -> None:
        progressed = race = False
        for op in ops:
            if not isinstance(op, dict) or not op.get("id"):
                continue
            code, step_id = op.get("op"), str(op["id"])
            name = op.get("displayName") or op.get("name")
            step = self._step(s, run.id, step_id)
            if step is not None and step.status in ("Completed", "Failed"):
                continue  # a repeated report of a finished step
            if step is None:
                step = ExecutorStep(run_id=run.id, step_id=step_id, name=name, op=code, status="Planned", attempt=0)
                s.add(step)
            step.op, step.name = code, name
            if (op.get("opts") or {}).get("parallelMode") == RACE:
                step.parallel_mode = RACE
            if code in ("StepRun", "StepFailed") or (code == "StepError" and (no_retry or step.attempt + 1 >= self._max_attempts(fn))):
                race = race or step.parallel_mode == RACE
            if code == "StepRun":
                step.status, step.output, step.error = "Completed", op.get("data"), None
                run.attempt, progressed = 0, True
            elif code == "StepError":
                step.error = op.get("error")
                if no_retry or step.attempt + 1 >= self._max_attempts(fn):
                    step.status, progressed = "Failed", True
                else:
                    step.attempt += 1
                    step.status = "Retrying"
                    delay = retry_after if retry_after is not None else timing.backoff_seconds(step.attempt - 1)
                    self._schedule(s, run.id, "call", step_id, timing.later(delay, self.time_scale))
            elif code == "StepFailed":
                step.status, step.error, progressed = "Failed", op.get("error"), True
            elif code == "StepPlanned":
                if step.status != "Planned" or step.id is None or not self._has_job(s, run.id, step_id):
                    step.status = "Planned"
                    s.flush()
                    self._schedule(s, run.id, "call", step_id, utcnow())
            elif code == "Sleep":
                step.status = "Sleeping"
                until = timing.parse_time(str(op.get("name")))
                self._schedule(s, run.id, "wake", step_id, timing.scaled_until(until, self.time_scale))
            elif code == "WaitForEvent":
                opts = op.get("opts") or {}
                step.status = "Waiting"
                s.add(ExecutorWaiter(run_id=run.id, step_id=step_id, event_name=str(op.get("name") or opts.get("event")), expression=opts.get("if")))
                timeout = timing.parse_duration(opts.get("timeout")) or 0
                self._schedule(s, run.id, "timeout", step_id, timing.later(timeout, self.time_scale))
            elif code == "InvokeFunction":
                self._invoke(s, run, step, op.get("opts") or {})
            elif code == "AIGateway":  # known only when the step runs; failed at once, never retried
                step.status, progressed = "Failed", True
                step.error = {"name": "NotImplemented", "message": "step.ai.infer (opcode AIGateway) is not implemented by the offline executor"}
            else:
                step.status, progressed = "Failed", True
                step.error = {"name": "Unsupported", "message": f"opcode {code} is not supported by the offline executor"}
        s.flush()
        if progressed:
            self._continue(s, run, race=race)

    def _invoke(self, s: Session, run: ExecutorRun, step: ExecutorStep, opts: dict[str, Any]) -> None:
        target = s.get(ExecutorFunction, str(opts.get("function_id")))
        if target is None:
            step.status = "Failed"
            step.error = {"name": "FunctionNotFound", "message": f"function {opts.get('function_id')} is not registered"}
            s.flush()
            self._continue(s, run)
            return
        step.status = "Invoking"
        payload = opts.get("payload") or {}
        event = normalise_event({"name": INVOKED_EVENT, "data": payload.get("data") or {}, "v": payload.get("v")})
        timeout = timing.parse_duration(opts.get("timeout"))
        expires_at = timing.later(timeout, self.time_scale) if timeout else None
        parent_fn = s.get(ExecutorFunction, run.function_id)
        # The child sees the parent's data plus Inngest's invocation metadata, as on Inngest Cloud.
        event["data"][INNGEST_DATA_KEY] = {
            "fn_id": target.id,
            "correlation_id": f"{run.id}.{step.step_id}",
            "source_app_id": parent_fn.app_id if parent_fn else "",
            "source_fn_id": run.function_id,
            "name": step.name,
            **({"expire": int(expires_at.replace(tzinfo=timezone.utc).timestamp() * 1000)} if expires_at else {}),
        }
        s.flush()
        self._start_run(s, target, event, parent=(run.id, step.step_id))
        if expires_at is not None:
            self._schedule(s, run.id, "timeout", step.step_id, expires_at)

    def _has_job(self, s: Session, run_id: str, step_id: str) -> bool:
        return s.scalar(
            select(func.count()).select_from(ExecutorJob).where(
                ExecutorJob.run_id == run_id, ExecutorJob.step_id == step_id, ExecutorJob.done.is_(False), ExecutorJob.kind == "call"
            )
        ) > 0

    def _step(self, s: Session, run_id: str, step_id: str) -> ExecutorStep | None:
        return s.scalar(select(ExecutorStep).where(ExecutorStep.run_id == run_id, ExecutorStep.step_id == step_id))

    def _continue(self, s: Session, run: ExecutorRun, *, race: bool = False) -> None:
        """Call the function again (untargeted) once no parallel step is still pending or, when the
        step that just ended was planned with `ParallelMode.RACE`, at once (as Inngest does)."""
        pending = s.scalar(
            select(func.count()).select_from(ExecutorStep).where(ExecutorStep.run_id == run.id, ExecutorStep.status.in_(PENDING_STEP))
        )
        if pending and not race:
            return
        queued = s.scalar(
            select(func.count()).select_from(ExecutorJob).where(
                ExecutorJob.run_id == run.id, ExecutorJob.kind == "call", ExecutorJob.step_id.is_(None),
                ExecutorJob.done.is_(False), ExecutorJob.claimed_by.is_(None),
            )
        )
        if not queued:  # one untargeted call at a time, or the next step would run twice
            self._schedule(s, run.id, "call", None, utcnow())

    def _resolve_step(self, s: Session, run: ExecutorRun, step_id: str, *, data: Any = None, error: Any = None) -> None:
        step = self._step(s, run.id, step_id)
        if step is None:
            return
        if error is not None:
            step.status, step.error = "Failed", error
        else:
            step.status, step.output = "Completed", data
        race = step.parallel_mode == RACE
        s.execute(
            update(ExecutorJob)
            .where(ExecutorJob.run_id == run.id, ExecutorJob.step_id == step_id, ExecutorJob.kind.in_(("wake", "timeout")), ExecutorJob.done.is_(False))
            .values(done=True)
        )
        s.flush()
        self._continue(s, run, race=race)

    def _finish(
        self, s: Session, run: ExecutorRun, status: str, *, output: Any = None, error: Any = None, http_status: int | None = None
    ) -> None:
        run.status, run.output, run.error, run.ended_at = status, output, error, utcnow()
        s.execute(delete(ExecutorWaiter).where(ExecutorWaiter.run_id == run.id))
        s.execute(update(ExecutorJob).where(ExecutorJob.run_id == run.id, ExecutorJob.done.is_(False)).values(done=True))
        s.flush()
        if run.parent_run_id and run.parent_step_id:
            parent = s.get(ExecutorRun, run.parent_run_id)
            step = self._step(s, run.parent_run_id, run.parent_step_id)
            if parent is not None and parent.status not in TERMINAL and step is not None and step.status == "Invoking":
                if status == "Completed":
                    self._resolve_step(s, parent, step.step_id, data=output)
                else:
                    self._resolve_step(s, parent, step.step_id, error=_error_memo(error or {"message": status}))
        if status == "Failed" and run.event.get("name") != FAILED_EVENT:
            # Like Inngest, announce the failure so `on_failure` handlers run.
            failure = normalise_event(
                {"name": FAILED_EVENT, "data": {"function_id": run.function_id, "run_id": run.id, "error": _failed_event_error(error, http_status), "event": run.event}}
            )
            s.add(ExecutorEvent(id=failure["id"], name=FAILED_EVENT, payload=failure, received_at=utcnow()))
            s.flush()
            self._dispatch(s, failure)

    def cancel(self, run_id: str) -> bool:
        with self.lock, self.db.session() as s:
            run = s.get(ExecutorRun, run_id)
            if run is None or run.status in TERMINAL:
                return False
            self._finish(s, run, "Cancelled", error={"name": "Cancelled", "message": "cancelled by request"})
            return True

    # ---- reading ------------------------------------------------------------------------------

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
        steps = s.scalars(select(ExecutorStep).where(ExecutorStep.run_id == run.id).order_by(ExecutorStep.created_at, ExecutorStep.id)).all()
        jobs = s.scalars(
            select(ExecutorJob).where(ExecutorJob.run_id == run.id, ExecutorJob.done.is_(False)).order_by(ExecutorJob.due_at, ExecutorJob.id)
        ).all()
        status = run.status if run.status != "Queued" else "Running"
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
