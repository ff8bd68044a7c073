"""Tokens the model calls of this process used, per model: what the eval reports as tokens and cost per message.

A plain counter, not billing: the SDK's `completion.usage` of every call the agent and the
router make is added here, and `take()` returns and clears it.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_totals: dict[str, dict[str, int]] = {}


def record(model: str, usage: Any) -> dict[str, int] | None:
    """Add one completion's usage (the SDK's `CompletionUsage`, or None); returns it as a dict."""
    if usage is None:
        return None
    tokens = {"prompt": int(getattr(usage, "prompt_tokens", 0) or 0), "completion": int(getattr(usage, "completion_tokens", 0) or 0),
              "calls": 1}
    with _lock:
        total = _totals.setdefault(model, {"prompt": 0, "completion": 0, "calls": 0})
        for key, value in tokens.items():
            total[key] += value
    return tokens


def take() -> dict[str, dict[str, int]]:
    """The totals since the last `take()`, per model, and start again from zero."""
    with _lock:
        taken = {model: dict(values) for model, values in _totals.items()}
        _totals.clear()
    return taken
