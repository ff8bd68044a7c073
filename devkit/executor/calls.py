"""Calling the function: admission and the request body, then its answer turned into steps, jobs and run status.

A part of `Engine` (engine.py), split along the engine's sections; its methods use the others' through `self`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta, timezone
from functools import cached_property
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from lib.db.models import utcnow
from devkit.executor import timing
from devkit.executor.core import (
    CLAIM_FOR,
    CLAIMED,
    SCHEDULED_OTHERS,
    CallPlan,
    DEFAULT_RETRIES,
    FAILED_EVENT,
    INNGEST_DATA_KEY,
    INVOKED_EVENT,
    Outcome,
    PENDING_STEP,
    RACE,
    RunStatus,
    StepStatus,
    TERMINAL,
    _error_memo,
    _failed_event_error,
    normalise_event,
)
from devkit.executor.limits import concurrency_slots
from devkit.executor.models import (
    ExecutorEvent,
    ExecutorFunction,
    ExecutorJob,
    ExecutorRun,
    ExecutorStep,
    ExecutorWaiter,
)

# The statements of every transition, built once: building one (coercing its clauses, computing
# its cache key) cost more than running it. Their values are bound parameters, named as below.
_RUN = select(ExecutorRun).where(ExecutorRun.id == bindparam("run_id"))
_STEP = select(ExecutorStep).where(
    ExecutorStep.run_id == bindparam("run_id"), ExecutorStep.step_id == bindparam("step_id")
)
_RUN_STEPS = select(ExecutorStep).where(
    ExecutorStep.run_id == bindparam("run_id")
).order_by(ExecutorStep.updated_at, ExecutorStep.id)
_PENDING_STEPS = select(func.count()).select_from(ExecutorStep).where(
    ExecutorStep.run_id == bindparam("run_id"), ExecutorStep.status.in_(PENDING_STEP)
)
_QUEUED_CALLS = select(func.count()).select_from(ExecutorJob).where(
    ExecutorJob.run_id == bindparam("run_id"), ExecutorJob.kind == "call", ExecutorJob.step_id.is_(None),
    ExecutorJob.done.is_(False), ExecutorJob.claimed_by.is_(None),
)
# `_continue`'s two counts in one round trip (the second is read even when the first decides).
_PENDING_AND_QUEUED = select(_PENDING_STEPS.scalar_subquery(), _QUEUED_CALLS.scalar_subquery())
_STEP_CALLS = select(func.count()).select_from(ExecutorJob).where(
    ExecutorJob.run_id == bindparam("run_id"), ExecutorJob.step_id == bindparam("step_id"), ExecutorJob.done.is_(False),
    ExecutorJob.kind == "call",
)
# Runs of a function and throttle key started in the window; a run started before its function had
# a throttle has no key (NULL), which matches NULL as `== None` did.
_THROTTLED_STARTS = select(ExecutorRun.started_at).where(
    ExecutorRun.function_id == bindparam("function_id"),
    ExecutorRun.throttle_key.is_not_distinct_from(bindparam("throttle_key")),
    ExecutorRun.started_at.is_not(None),
    ExecutorRun.started_at > bindparam("window_start"),
).order_by(ExecutorRun.started_at)
# `apply`'s first statement, on the table: its session has loaded no job yet, so there is none to keep in step.
_JOB_DONE = update(ExecutorJob.__table__).where(ExecutorJob.__table__.c.id == bindparam("job_id")).values(done=True)


@dataclass(frozen=True)
class Registered:
    """What a call needs of a registered function (`ExecutorFunction`), kept between transactions."""

    id: str
    url: str
    config: dict[str, Any]


class Calls:
    """Engine methods of this section (see the module docstring)."""

    @cached_property
    def _functions(self) -> dict[str, Registered]:
        """Registered functions by id, as `_function` read them; `register` empties it."""
        return {}

    def _function(self, s: Session, function_id: str) -> Registered | None:
        """A registered function, read from the database once per registration, not on every transition.

        Only `register` changes functions, and it empties `_functions` under the engine's lock, which
        every reader here holds too; one executor process serves a database (`release_stale_claims`
        takes back every claim but its own), so no other process registers behind this cache.
        """
        fn = self._functions.get(function_id)
        if fn is None:
            row = s.get(ExecutorFunction, function_id)
            if row is None:
                return None
            fn = self._functions[function_id] = Registered(row.id, row.url, row.config)
        return fn

    def prepare_call(self, job: ExecutorJob) -> CallPlan | None:
        """Admission (throttle, concurrency) and the request body; None when nothing to call now
        (a job held back is due again later, and the scheduler is woken to see when)."""
        with self._transaction() as s:
            return self._prepare(s, job)

    def _prepare(self, s: Session, job: ExecutorJob) -> CallPlan | None:
        """`prepare_call` inside a transaction already open (and locked): `apply` prepares the call it claimed."""
        run = s.get(ExecutorRun, job.run_id)
        if run is None or run.status in TERMINAL:
            self._job_done(s, job.id)
            return None
        fn = self._function(s, run.function_id)
        if fn is None:
            self._job_done(s, job.id)
            self._finish(s, run, RunStatus.FAILED, error={"name": "FunctionNotFound", "message": f"function {run.function_id} is not registered"})
            return None
        now = utcnow()
        throttle = fn.config.get("throttle")
        if run.started_at is None and throttle:
            period = (timing.parse_duration(throttle.get("period")) or 60) * self.time_scale
            window_start = now - timedelta(seconds=period)
            started = s.scalars(
                _THROTTLED_STARTS, {"function_id": fn.id, "throttle_key": run.throttle_key, "window_start": window_start}
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
        if run.status != RunStatus.RUNNING:  # only when it changes: an unchanged run then costs the commit no flush
            run.status = RunStatus.RUNNING
        steps = s.scalars(_RUN_STEPS, {"run_id": run.id}).all()
        memo: dict[str, Any] = {}
        stack: list[str] = []
        attempt = run.attempt
        # Inngest asks the SDK to plan (not run) a new step only while parallel steps are still
        # out (a RACE discovery); once a group is done the next `step.run` runs in that request.
        pending = any(step.status in PENDING_STEP for step in steps)
        for step in steps:
            if step.status == StepStatus.COMPLETED:
                memo[step.step_id] = {"data": step.output}
                stack.append(step.step_id)
            elif step.status == StepStatus.FAILED:
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

    def abandon(self, plan: CallPlan) -> None:
        """A prepared call that will not be made (the worker is stopping): its slots back, its job due again."""
        self._inflight.release(plan.slots)
        self.release(plan.job_id)

    def run_state(self, run_id: str) -> tuple[list[dict[str, Any]], dict[str, Any]] | None:
        """A run's events and memoised steps, for the SDK's `use_api` fetch; None for an unknown run."""
        with self.db.session() as s:
            run = s.get(ExecutorRun, run_id)
            if run is None:
                return None
            memo: dict[str, Any] = {}
            for step in s.scalars(select(ExecutorStep).where(ExecutorStep.run_id == run_id)).all():
                if step.status == StepStatus.COMPLETED:
                    memo[step.step_id] = {"data": step.output}
                elif step.status == StepStatus.FAILED:
                    memo[step.step_id] = {"error": _error_memo(step.error)}
            return [run.event], memo

    @staticmethod
    def _max_attempts(fn: Registered) -> int:
        retries = ((((fn.config.get("steps") or {}).get("step") or {}).get("retries")) or {}).get("attempts")
        return (DEFAULT_RETRIES if retries is None else int(retries)) + 1

    def apply(self, plan: CallPlan, outcome: Outcome, *, claim_for: str | None = None) -> CallPlan | None:
        """Turn the function's answer into steps, jobs and run status.

        With `claim_for` (a worker's id), the first call this answer makes due now (the usual case:
        the run's next request) is created claimed by that worker and prepared in the same
        transaction; its plan is returned, so the worker makes it at once instead of a round through
        the scheduler's loop, a claim and a transaction of their own. The scheduler is woken only
        when something else may be due.
        """
        self._inflight.release(plan.slots)  # first, so a failure below cannot leak a slot
        following: CallPlan | None = None
        with self.lock, self.db.session() as s:
            s.info[CLAIM_FOR] = claim_for
            s.execute(_JOB_DONE, {"job_id": plan.job_id})  # `_job_done`, built once
            # Not `s.get`, which builds its statement anew: this fresh session has no run to find in memory.
            run = s.scalar(_RUN, {"run_id": plan.run_id})
            fn = self._function(s, plan.function_id)
            if run is None or fn is None or run.status in TERMINAL:
                return None
            no_retry = outcome.headers.get("x-inngest-no-retry", "").lower() == "true"
            retry_after = timing.retry_after_seconds(outcome.headers.get("retry-after"))
            if outcome.status == 206 and isinstance(outcome.body, list):
                self._apply_ops(s, run, fn, plan, outcome.body, no_retry, retry_after)
            elif outcome.status == 200:
                self._finish(s, run, RunStatus.COMPLETED, output=outcome.body)
            else:
                # The SDK's error body as it sent it (Inngest stores no extra keys); anything else, described.
                error = outcome.body if isinstance(outcome.body, dict) else {"name": "Error", "message": outcome.error or f"HTTP {outcome.status}: {str(outcome.body)[:500]}"}
                if not no_retry and run.attempt + 1 < self._max_attempts(fn):
                    run.attempt += 1
                    delay = retry_after if retry_after is not None else timing.backoff_seconds(run.attempt - 1)
                    self._schedule(s, run.id, "call", plan.step_id, timing.later(delay, self.time_scale))
                    run.error = error
                else:
                    self._finish(s, run, RunStatus.FAILED, error=error, http_status=outcome.status)
            claimed = s.info.get(CLAIMED)
            if claimed is not None:
                s.flush()  # the job's id
                following = self._prepare(s, claimed)
            others = s.info.get(SCHEDULED_OTHERS, False)
        if following is None or others:
            self.wakeup.set()
        return following

    def _apply_ops(
        self, s: Session, run: ExecutorRun, fn: Registered, plan: CallPlan, ops: list[Any],
        no_retry: bool, retry_after: float | None,
    ) -> None:
        progressed = race = False
        for op in ops:
            if not isinstance(op, dict) or not op.get("id"):
                continue
            code, step_id = op.get("op"), str(op["id"])
            name = op.get("displayName") or op.get("name")
            step = self._step(s, run.id, step_id)
            if step is not None and step.status in (StepStatus.COMPLETED, StepStatus.FAILED):
                continue  # a repeated report of a finished step
            if step is None:
                step = ExecutorStep(run_id=run.id, step_id=step_id, name=name, op=code, status=StepStatus.PLANNED, attempt=0)
                s.add(step)
            step.op, step.name = code, name
            if (op.get("opts") or {}).get("parallelMode") == RACE:
                step.parallel_mode = RACE
            if code in ("StepRun", "StepFailed") or (code == "StepError" and (no_retry or step.attempt + 1 >= self._max_attempts(fn))):
                race = race or step.parallel_mode == RACE
            if code == "StepRun":
                step.status, step.output, step.error = StepStatus.COMPLETED, op.get("data"), None
                run.attempt, progressed = 0, True
            elif code == "StepError":
                step.error = op.get("error")
                if no_retry or step.attempt + 1 >= self._max_attempts(fn):
                    step.status, progressed = StepStatus.FAILED, True
                else:
                    step.attempt += 1
                    step.status = StepStatus.RETRYING
                    delay = retry_after if retry_after is not None else timing.backoff_seconds(step.attempt - 1)
                    self._schedule(s, run.id, "call", step_id, timing.later(delay, self.time_scale))
            elif code == "StepFailed":
                step.status, step.error, progressed = StepStatus.FAILED, op.get("error"), True
            elif code == "StepPlanned":
                if step.status != StepStatus.PLANNED or step.id is None or not self._has_job(s, run.id, step_id):
                    step.status = StepStatus.PLANNED
                    s.flush()
                    self._schedule(s, run.id, "call", step_id, utcnow())
            elif code == "Sleep":
                step.status = StepStatus.SLEEPING
                until = timing.parse_time(str(op.get("name")))
                self._schedule(s, run.id, "wake", step_id, timing.scaled_until(until, self.time_scale))
            elif code == "WaitForEvent":
                opts = op.get("opts") or {}
                step.status = StepStatus.WAITING
                s.add(ExecutorWaiter(run_id=run.id, step_id=step_id, event_name=str(op.get("name") or opts.get("event")), expression=opts.get("if")))
                timeout = timing.parse_duration(opts.get("timeout")) or 0
                self._schedule(s, run.id, "timeout", step_id, timing.later(timeout, self.time_scale))
            elif code == "InvokeFunction":
                self._invoke(s, run, step, op.get("opts") or {})
            elif code == "AIGateway":  # known only when the step runs; failed at once, never retried
                step.status, progressed = StepStatus.FAILED, True
                step.error = {"name": "NotImplemented", "message": "step.ai.infer (opcode AIGateway) is not implemented by the offline executor"}
            else:
                step.status, progressed = StepStatus.FAILED, True
                step.error = {"name": "Unsupported", "message": f"opcode {code} is not supported by the offline executor"}
        s.flush()
        if progressed:
            self._continue(s, run, race=race)

    def _invoke(self, s: Session, run: ExecutorRun, step: ExecutorStep, opts: dict[str, Any]) -> None:
        target = s.get(ExecutorFunction, str(opts.get("function_id")))
        if target is None:
            step.status = StepStatus.FAILED
            step.error = {"name": "FunctionNotFound", "message": f"function {opts.get('function_id')} is not registered"}
            s.flush()
            self._continue(s, run)
            return
        step.status = StepStatus.INVOKING
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
        return s.scalar(_STEP_CALLS, {"run_id": run_id, "step_id": step_id}) > 0

    def _step(self, s: Session, run_id: str, step_id: str) -> ExecutorStep | None:
        return s.scalar(_STEP, {"run_id": run_id, "step_id": step_id})

    def _continue(self, s: Session, run: ExecutorRun, *, race: bool = False) -> None:
        """Call the function again (untargeted) once no parallel step is still pending or, when the
        step that just ended was planned with `ParallelMode.RACE`, at once (as Inngest does)."""
        pending, queued = s.execute(_PENDING_AND_QUEUED, {"run_id": run.id}).one()
        if pending and not race:
            return
        if not queued:  # one untargeted call at a time, or the next step would run twice
            self._schedule(s, run.id, "call", None, utcnow())

    def _resolve_step(self, s: Session, run: ExecutorRun, step_id: str, *, data: Any = None, error: Any = None) -> None:
        step = self._step(s, run.id, step_id)
        if step is None:
            return
        if error is not None:
            step.status, step.error = StepStatus.FAILED, error
        else:
            step.status, step.output = StepStatus.COMPLETED, data
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
            if parent is not None and parent.status not in TERMINAL and step is not None and step.status == StepStatus.INVOKING:
                if status == RunStatus.COMPLETED:
                    self._resolve_step(s, parent, step.step_id, data=output)
                else:
                    self._resolve_step(s, parent, step.step_id, error=_error_memo(error or {"message": status}))
        if status == RunStatus.FAILED and run.event.get("name") != FAILED_EVENT:
            # Like Inngest, announce the failure so `on_failure` handlers run.
            failure = normalise_event(
                {"name": FAILED_EVENT, "data": {"function_id": run.function_id, "run_id": run.id, "error": _failed_event_error(error, http_status), "event": run.event}}
            )
            s.add(ExecutorEvent(id=failure["id"], name=FAILED_EVENT, payload=failure, received_at=utcnow()))
            s.flush()
            self._dispatch(s, failure)

    def cancel(self, run_id: str) -> bool:
        """Cancel a run (a parent waiting on it as an invoke continues: its call wakes the scheduler)."""
        with self._transaction() as s:
            run = s.get(ExecutorRun, run_id)
            if run is None or run.status in TERMINAL:
                return False
            self._finish(s, run, RunStatus.CANCELLED, error={"name": "Cancelled", "message": "cancelled by request"})
            return True
