"""The fallback pattern every external call in a workflow follows: on error, log and use what the event carried.

A customer message must always get an answer draft; an unreachable product app or
a Front hiccup degrades the context, it does not stop the run. Callers learn that
they fell back, so the run can record which sources were degraded.
"""

from __future__ import annotations

import logging
from typing import Callable, TypeVar

T = TypeVar("T")

logger = logging.getLogger("support.fallback")


def with_fallback(call: Callable[[], T], fallback: T, *, what: str) -> tuple[T, bool]:
    """`(call(), False)`, or `(fallback, True)` after logging why `call` failed."""
    try:
        return call(), False
    except Exception as exc:  # noqa: BLE001 - every failure degrades to the fallback
        logger.warning("%s failed, using the event's data instead: %s: %s", what, type(exc).__name__, exc)
        return fallback, True
