"""The executor's state machine: events in, runs started, opcodes turned into steps and jobs.

Every transition is a short DB transaction taken under one process lock, so a run's
bookkeeping (is any parallel step still pending? has this waiter fired?) never races
with itself; the slow part, calling the function, happens outside the lock (see
`scheduler.py`). All state is in the `executor_*` tables, so a new process picks up
exactly where a killed one stopped.

The engine is one class assembled from its sections, each a module: `registration.py`
(syncs and cron triggers), `events.py` (ingest and dispatch), `jobs.py` (claims and
timers), `calls.py` (requests to the function and their answers), `reading.py` (runs as
JSON); `core.py` holds the statuses and shared types.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy.orm import Session

from lib.db import Database
from devkit.executor.calls import Calls
from devkit.executor.core import (  # noqa: F401 - re-exported: the executor's public names
    MAX_REQUEST_BYTES,
    BadEvent,
    SCHEDULED_OTHERS,
    CallPlan,
    Handoff,
    Outcome,
    RunStatus,
    StepStatus,
    new_id,
    normalise_event,
)
from devkit.executor.events import Events
from devkit.executor.jobs import Jobs
from devkit.executor.limits import InFlight
from devkit.executor.reading import Reading
from devkit.executor.registration import Registration


class Engine(Registration, Events, Jobs, Calls, Reading):
    def __init__(self, db: Database, *, time_scale: float = 1.0, max_request_bytes: int = MAX_REQUEST_BYTES) -> None:
        self.db = db
        self.time_scale = time_scale
        self.max_request_bytes = max_request_bytes
        self.lock = threading.RLock()
        self._inflight = InFlight()
        self.wakeup = threading.Event()
        self.handoff: Handoff | None = None  # installed by the scheduler while it runs
        # A public counter (tests and tracing): the jobs the scheduler's rounds claimed.
        self.jobs_claimed = 0

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        """A transaction under the engine's lock that wakes the scheduler after its commit when it
        scheduled or re-timed a job nobody holds: the scheduler sleeps until the next due job it knows of."""
        with self.lock:
            with self.db.session() as s:
                yield s
            if s.info.get(SCHEDULED_OTHERS):
                self.wakeup.set()
