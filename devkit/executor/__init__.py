"""The offline Inngest executor: runs this project's functions without the Inngest dev server.

It speaks the Inngest SDK's HTTP protocol (inngest 0.5.x): it accepts events at
`POST /e/<key>`, registrations at `POST /fn/register` (what the serve endpoint's PUT
sends), and drives each run by POSTing `{event, events, steps, ctx}` to the function's
URL and acting on the opcodes that come back (StepRun, StepError/StepFailed with
retries, StepPlanned for parallel steps, Sleep, WaitForEvent, InvokeFunction; 200 is
the output, 5xx a retry unless `x-inngest-no-retry`, honouring `retry-after`). It
honours throttle, concurrency, singleton, cancel-on-event and cron triggers,
asks the SDK to fetch a state over 4 MiB through `/v0/runs/<id>/actions` (`use_api`), keeps every run, step memo, due
job and waiter in the project's database (SQLite by default), so a restart resumes
everything, and shows runs at `/runs` (HTML) and `/v1/runs` (JSON). With a signing
key it signs requests as Inngest Cloud does.

    python -m devkit.executor --port 8288 [--time-scale 0.01]

How the SDK (inngest 0.5.19) finds it. The client's mode is `is_production=` if given,
else Dev Server mode when `INNGEST_DEV` is truthy. Its Event API origin (for `send`) is
the `event_api_base_url=` argument, else `INNGEST_EVENT_API_BASE_URL`, else
`INNGEST_BASE_URL`, else `INNGEST_DEV` when it is a URL, else the dev server default
(http://127.0.0.1:8288) or Inngest Cloud. The API origin (for `/fn/register`) is the
same chain with `api_base_url=` / `INNGEST_API_BASE_URL`. These are read when the
client is constructed, so set `INNGEST_DEV=<executor url>` (and, for a client in
cloud mode, `INNGEST_BASE_URL`) before the client is made, then
`lib.inngest.client.reset_client()`. In Dev Server mode the serve endpoint accepts
unsigned requests; in cloud mode it verifies `X-Inngest-Signature`.

Events larger than `max_event_bytes` (constructor argument, `--max-event-bytes`; default
256 KiB, Inngest's free plan) are refused with the 400 Inngest gives (`event_size.py`).

Settings: `INNGEST_EXECUTOR_TIME_SCALE` multiplies sleeps, wait and invoke timeouts,
retry backoff and throttle periods (default 1: production semantics);
`INNGEST_SIGNING_KEY` (and `_FALLBACK`) make it sign requests and check registrations.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from lib import config

__all__ = ["Executor", "time_scale_setting"]


TIME_SCALE_VARIABLE = "INNGEST_EXECUTOR_TIME_SCALE"  # the executor's own setting: not in lib.config (never deployed)


def time_scale_setting() -> float:
    value = (os.environ.get(TIME_SCALE_VARIABLE) or "").strip()
    if not value:
        return 1.0
    try:
        scale = float(value)
    except ValueError as exc:
        raise ValueError(f"INNGEST_EXECUTOR_TIME_SCALE must be a number, got {value!r}") from exc
    if scale <= 0:
        raise ValueError("INNGEST_EXECUTOR_TIME_SCALE must be positive")
    return scale


class Executor:
    """The engine, its worker thread and its HTTP app, on one database."""

    def __init__(
        self,
        *,
        database_url: str | None = None,
        time_scale: float | None = None,
        signing_key: str | None = None,
        signing_key_fallback: str | None = None,
        workers: int = 8,
        max_event_bytes: int | None = None,
        max_request_bytes: int | None = None,
    ) -> None:
        from lib.db import make_database
        from devkit.executor.event_size import DEFAULT_MAX_EVENT_BYTES
        from devkit.executor.engine import Engine
        from devkit.executor.scheduler import Scheduler
        from devkit.executor.server import build_app

        from devkit.executor.models import commit_without_fsync, create_tables

        self.database = make_database(database_url or config.database_url())
        commit_without_fsync(self.database.engine)
        create_tables(self.database.engine)  # the executor's tables are its own, not the service's migrations
        # None: read the environment; "": explicitly no key.
        self.signing_key = (signing_key if signing_key is not None else config.env("INNGEST_SIGNING_KEY")) or None
        self.signing_key_fallback = (
            signing_key_fallback if signing_key_fallback is not None else config.env("INNGEST_SIGNING_KEY_FALLBACK")
        ) or None
        # The plan's "Single event size": larger events are refused with Inngest's 400. Default: the free plan.
        self.max_event_bytes = DEFAULT_MAX_EVENT_BYTES if max_event_bytes is None else max_event_bytes
        if self.max_event_bytes <= 0:
            raise ValueError(f"max_event_bytes must be positive, got {self.max_event_bytes}")
        self.engine = Engine(self.database, time_scale=time_scale if time_scale is not None else time_scale_setting())
        if max_request_bytes is not None:  # above it the SDK fetches state through the API (`use_api`)
            self.engine.max_request_bytes = max_request_bytes
        self.scheduler = Scheduler(self.engine, signing_key=self.signing_key, workers=workers)
        self.app = build_app(self)
        self._server: Any = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("executor is not serving")
        return self._server.url

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("executor is not serving")
        return self._server.port

    def start(self, host: str = "127.0.0.1", port: int = 8288) -> "Executor":
        """Start the worker and serve HTTP in a background thread (port 0: any free port)."""
        from devkit.sandbox.server import LocalServer

        self.scheduler.start()
        self._server = LocalServer(self.app, host=host, port=port).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
        self.scheduler.stop()
        self.database.engine.dispose()

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
