"""Two ways to live with a failing outside call: fall back to a known value, or carry on without it.

A customer message must always get an answer draft; an unreachable product app or
a Front hiccup degrades the context, it does not stop the run (`with_fallback`:
callers learn that they fell back, so the run can record which sources were
degraded). Notes, confirmations and clean-ups whose failure changes nothing the
caller does are `best_effort`.
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
        logger.warning("%s failed, going on with its fallback: %s: %s", what, type(exc).__name__, exc)
        return fallback, True


def best_effort(call: Callable[[], object], *, what: str) -> bool:
    """Run `call`; a failure is logged, never raised. True if it succeeded."""
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - the caller goes on either way
        logger.warning("%s failed (best effort, going on without it): %s: %s", what, type(exc).__name__, exc)
        return False
    return True
