"""The Inngest functions, one module per workflow. `all_functions()` is what `/api/inngest` serves."""

from __future__ import annotations

from typing import Any


def all_functions() -> list[Any]:
    """Every function this app registers with Inngest (imported here, not at package import)."""
    return []
