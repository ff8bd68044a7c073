"""Helpers for the executor conformance suite.

Functions are made with a client of the project's app id; the stack serves them with
the project's (freshly reset) client, so `step.invoke(function=...)` ids line up.
"""

from __future__ import annotations

from typing import Iterator

import pytest

SCALE = 0.01  # sleeps, timeouts and backoff at 1/100; durations are never asserted


@pytest.fixture
def client(sqlite_url: str) -> Iterator[object]:
    from lib.inngest.client import make_client

    yield make_client()
