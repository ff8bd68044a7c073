"""A JSON state file for a sandbox: the fake's public attributes, written after every change.

Written to a temp file and renamed, so a `make dev` killed mid-write leaves the
previous state, never half a file.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Callable


class StateFile:
    """Loads and saves one JSON document; `save` is serialised so concurrent requests cannot interleave writes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def load(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise RuntimeError(f"sandbox state {self.path} is unreadable ({exc}); delete it to start afresh") from exc
        return data if isinstance(data, dict) else None

    def save(self, snapshot: Callable[[], dict[str, Any]]) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(snapshot(), indent=1, sort_keys=True, default=_jsonable))
            os.replace(tmp, self.path)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def persist_after_writes(app: Any, state: StateFile, snapshot: Callable[[], dict[str, Any]]) -> None:
    """Save after every request that may have changed something (anything but GET/HEAD/OPTIONS)."""

    @app.after_request
    def _save(response: Any) -> Any:
        from flask import request

        if request.method not in ("GET", "HEAD", "OPTIONS"):
            state.save(snapshot)
        return response
