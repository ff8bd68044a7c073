"""Concurrency limits: how many requests for a function (or a shared key) may be in flight at once.

Inngest counts concurrency in executing steps, not in runs, so a run sleeping or waiting
holds no slot. A function may carry up to two constraints (e.g. 10 in total and 1 per
account); a request starts only when every one has room. `scope` "fn" (the default)
counts per function; "env" and "account" share the key's slots across functions.
The counts live in memory: they describe requests in flight, which a restart ends anyway.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

Slot = tuple[str, str]  # (function id or scope, evaluated key)


def concurrency_slots(fn_id: str, config: dict[str, Any], key_of: Callable[[dict[str, Any]], str]) -> list[tuple[Slot, int]]:
    """Each constraint of `config["concurrency"]` as (slot, limit); `key_of` evaluates its `key`."""
    slots: list[tuple[Slot, int]] = []
    for constraint in config.get("concurrency") or []:
        if not isinstance(constraint, dict) or not constraint.get("limit"):
            continue
        scope = constraint.get("scope") or "fn"
        owner = fn_id if scope == "fn" else f"scope:{scope}"
        slots.append(((owner, key_of(constraint)), int(constraint["limit"])))
    return slots


class InFlight:
    """Requests in flight per slot; `acquire` takes all of a request's slots or none."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[Slot, int] = {}

    def acquire(self, wanted: list[tuple[Slot, int]]) -> bool:
        with self._lock:
            if any(self._counts.get(slot, 0) >= limit for slot, limit in wanted):
                return False
            for slot, _ in wanted:
                self._counts[slot] = self._counts.get(slot, 0) + 1
            return True

    def release(self, slots: tuple[Slot, ...]) -> None:
        with self._lock:
            for slot in slots:
                self._counts[slot] = max(0, self._counts.get(slot, 1) - 1)
