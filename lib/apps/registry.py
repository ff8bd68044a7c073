"""Apps stored in the database, looked up by Front inbox with a short in-process cache.

Every inbound webhook asks "which app owns this inbox?"; a 60 s cache keeps that
off the database on warm functions while letting a newly registered app show up
within a minute everywhere.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

CACHE_TTL_SECONDS = 60.0


class AppRecord(BaseModel):
    """An app as the workflows see it; plain JSON via `model_dump()` for step outputs."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    slug: str
    name: str
    front_inbox_id: str
    integration_url: str | None = None
    integration_secret: str = Field(repr=False)
    stripe_account: str | None = None
    auto_send: bool = False
    auto_send_delay_seconds: int = 300
    approval_policy: dict[str, Any] = Field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        """The record without its secret, for step outputs and logs."""
        return self.model_dump(exclude={"integration_secret"})


class UnknownApp(LookupError):
    """No app is registered for the inbox or slug asked about."""


_cache: dict[str, tuple[float, AppRecord | None]] = {}
_cache_lock = threading.Lock()


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def find_app_by_inbox(inbox_id: str) -> AppRecord | None:
    """The app that owns a Front inbox, or None (cached, including misses, for a minute)."""
    key = f"inbox:{inbox_id}"
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
        if hit and now - hit[0] < CACHE_TTL_SECONDS:
            return hit[1]
    record = _load(inbox_id=inbox_id)
    with _cache_lock:
        _cache[key] = (now, record)
    return record


def get_app(slug: str) -> AppRecord:
    """The app with this slug; raises `UnknownApp` with a clear message otherwise."""
    record = _load(slug=slug)
    if record is None:
        raise UnknownApp(f"no app is registered with slug {slug!r}; register it with `python -m lib.apps add`")
    return record


def _load(*, inbox_id: str | None = None, slug: str | None = None) -> AppRecord | None:
    from sqlalchemy import select

    from lib.db import get_db
    from lib.db.models import App

    query = select(App)
    query = query.where(App.front_inbox_id == inbox_id) if inbox_id is not None else query.where(App.slug == slug)
    with get_db().session() as session:
        row = session.scalars(query).one_or_none()
        return AppRecord.model_validate(row) if row else None


def create_app(
    *,
    slug: str,
    name: str,
    front_inbox_id: str,
    integration_url: str | None = None,
    stripe_account: str | None = None,
    auto_send: bool = False,
    auto_send_delay_seconds: int = 300,
    approval_policy: dict[str, Any] | None = None,
    integration_secret: str | None = None,
) -> AppRecord:
    """Register an app; a fresh integration secret is generated unless one is given."""
    from lib.db import get_db
    from lib.db.models import App

    row = App(
        slug=slug,
        name=name,
        front_inbox_id=front_inbox_id,
        integration_url=integration_url,
        integration_secret=integration_secret or generate_secret(),
        stripe_account=stripe_account,
        auto_send=auto_send,
        auto_send_delay_seconds=auto_send_delay_seconds,
        approval_policy=approval_policy or {},
    )
    with get_db().session() as session:
        session.add(row)
        session.flush()
        record = AppRecord.model_validate(row)
    clear_cache()
    return record


def generate_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"
