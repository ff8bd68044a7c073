"""Helpers for the executor conformance suite.

Functions are made with a client of the project's app id; the stack serves them with
the project's (freshly reset) client, so `step.invoke(function=...)` ids line up.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import pytest

SCALE = 0.01  # sleeps, timeouts and backoff at 1/100; durations are never asserted


@pytest.fixture
def client(sqlite_url: str) -> Iterator[object]:
    from lib.inngest.client import make_client

    yield make_client()


@contextmanager
def engine_on(sqlite_url: str, url: str, functions: list[dict[str, Any]]) -> Iterator[Any]:
    """An `Engine` on its own tables in `sqlite_url` (committing as the executor does), `functions` registered at `url`."""
    from devkit.executor.engine import Engine
    from devkit.executor.models import commit_without_fsync, create_tables
    from lib.db import make_database

    db = make_database(sqlite_url)
    commit_without_fsync(db.engine)
    create_tables(db.engine)
    engine = Engine(db)
    engine.register("app", url, functions)
    try:
        yield engine
    finally:
        db.engine.dispose()
