"""The engine's shared vocabulary: statuses, constants, the request plan and answer, event normalising.

Statuses are `StrEnum`s: their members are the strings stored in the `executor_*` tables and
shown in `/v1/runs`, so rows written before them read the same.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any, Protocol

from devkit.executor.limits import Slot

logger = logging.getLogger("support.executor")

DEFAULT_RETRIES = 4  # Inngest's default: 4 retries, 5 attempts
IDEMPOTENCY_WINDOW = timedelta(hours=24)
INVOKED_EVENT = "inngest/function.invoked"
INNGEST_DATA_KEY = "_inngest"  # Inngest's own metadata in event data: set on invocations, stripped from sent events
FAILED_EVENT = "inngest/function.failed"
CRON_EVENT = "inngest/scheduled.timer"  # the event a cron-triggered run receives on Inngest


class RunStatus(StrEnum):
    """A run's status (Queued until its first request; `/v1/runs` shows Queued as Running)."""

    QUEUED = "Queued"
    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELLED = "Cancelled"


class StepStatus(StrEnum):
    """A step's status: pending ones (see PENDING_STEP) hold the run's next request back."""

    PLANNED = "Planned"
    RETRYING = "Retrying"
    SLEEPING = "Sleeping"
    WAITING = "Waiting"
    INVOKING = "Invoking"
    COMPLETED = "Completed"
    FAILED = "Failed"


TERMINAL = (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED)
ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)
UNSUPPORTED_OPTIONS = ("batchEvents", "debounce", "rateLimit", "priority", "timeouts")
PENDING_STEP = (StepStatus.PLANNED, StepStatus.RETRYING, StepStatus.SLEEPING, StepStatus.WAITING, StepStatus.INVOKING)
INVOKE_TIMEOUT_MESSAGE = "Timed out waiting for invoked function to complete"  # Inngest's words (inngest-py cases/invoke_timeout.py)
# Inngest's largest request to an SDK (4 MiB); a bigger state goes by `use_api`: the SDK fetches
# `/v0/runs/<id>/actions` and `/batch` itself (inngest-py comm_lib/handler.py).
MAX_REQUEST_BYTES = 4 * 1024 * 1024
# Session.info keys of a transaction that claims the next call for a worker (`Calls.apply`,
# `Events.ingest`, `Events._schedule`): the worker's id, the job born claimed, and whether a job
# nobody holds was scheduled or re-timed (the scheduler, asleep until the next due job, must look again).
CLAIM_FOR, CLAIMED, SCHEDULED_OTHERS = "executor.claim_for", "executor.claimed", "executor.scheduled_others"
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


class Handoff(Protocol):
    """What the scheduler lends the engine (`Engine.handoff`) so that an ingested event's first call
    goes straight to a worker instead of a wake, a claim round and a transaction of its own."""

    def reserve(self) -> str | None:
        """Hold a free worker slot and answer the worker's id; None when none is free or it is stopping."""

    def give(self, plan: CallPlan) -> bool:
        """Make `plan` on the held slot (it then frees the slot); False, slot still held, when it cannot."""

    def unreserve(self) -> None:
        """Free a held slot that got no call."""


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
