"""Apps stored in the database, looked up by Front inbox with a short in-process cache.

Every inbound webhook asks "which app owns this inbox?"; a 60 s cache keeps that
off the database on warm functions while letting a newly registered app show up
within a minute everywhere.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lib.apps import AUTO_SEND_DELAY_SECONDS, CONFIDENCE_FLOOR, RETENTION_DAYS, TRUST_MIN_SAMPLES, TRUST_THRESHOLD

CACHE_TTL_SECONDS = 60.0
# What Front does with a conversation the router sends to `no_reply`: leave it, archive it, or tag it.
NO_REPLY_ACTIONS = ("none", "archive", "tag")


class AppInfo(BaseModel):
    """An app's settings as the workflows and the agent see them: everything but the integration secret.

    Lenient on purpose: when the registry is unreachable, `gather-context` builds one from the
    event alone (`lib.workflows.inbound.context.app_fallback`), knowing only the slug and inbox,
    and every other setting keeps its strict default (everything needs approval, no auto-send).
    """

    model_config = ConfigDict(extra="ignore")

    id: int | None = None
    slug: str
    name: str = ""
    front_inbox_id: str | None = None
    integration_url: str | None = None
    stripe_account: str | None = None
    auto_send: bool = False
    auto_send_delay_seconds: int = AUTO_SEND_DELAY_SECONDS
    approval_policy: dict[str, Any] = Field(default_factory=dict)
    no_reply_action: str = "none"
    no_reply_tag_id: str | None = None
    trust_threshold: float = TRUST_THRESHOLD
    trust_min_samples: int = TRUST_MIN_SAMPLES
    confidence_floor: float = CONFIDENCE_FLOOR
    never_auto_send: list[str] | None = None  # None: lib.apps.NEVER_AUTO_SEND
    retention_days: int = RETENTION_DAYS

    @field_validator("approval_policy", mode="before")
    @classmethod
    def _no_policy_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value


class AppRecord(AppInfo):
    """An app as registered: `AppInfo`'s settings with every identifying field known, and the integration secret."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    name: str
    front_inbox_id: str
    integration_secret: str = Field(repr=False)

    def public(self) -> dict[str, Any]:
        """The record without its secret (`AppInfo`'s fields), for step outputs and logs."""
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


def get_app_by_id(app_id: int) -> AppRecord:
    """The app with this database id (what stored actions refer to); `UnknownApp` if it was deleted."""
    record = _load(id=app_id)
    if record is None:
        raise UnknownApp(f"no app is registered with id {app_id}")
    return record


def _load(*, inbox_id: str | None = None, slug: str | None = None, id: int | None = None) -> AppRecord | None:
    from sqlalchemy import select

    from lib.db import get_db
    from lib.db.models import App

    query = select(App)
    if id is not None:
        query = query.where(App.id == id)
    elif inbox_id is not None:
        query = query.where(App.front_inbox_id == inbox_id)
    else:
        query = query.where(App.slug == slug)
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
    auto_send_delay_seconds: int = AUTO_SEND_DELAY_SECONDS,
    approval_policy: dict[str, Any] | None = None,
    integration_secret: str | None = None,
    no_reply_action: str = "none",
    no_reply_tag_id: str | None = None,
    trust_threshold: float = TRUST_THRESHOLD,
    trust_min_samples: int = TRUST_MIN_SAMPLES,
    confidence_floor: float = CONFIDENCE_FLOOR,
    never_auto_send: list[str] | None = None,
    retention_days: int = RETENTION_DAYS,
) -> AppRecord:
    """Register an app; a fresh integration secret is generated unless one is given."""
    from lib.db.models import App

    check_no_reply(no_reply_action, no_reply_tag_id)
    check_trust(trust_threshold=trust_threshold, trust_min_samples=trust_min_samples, confidence_floor=confidence_floor,
                never_auto_send=never_auto_send, retention_days=retention_days)
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
        no_reply_action=no_reply_action,
        no_reply_tag_id=no_reply_tag_id,
        trust_threshold=trust_threshold,
        trust_min_samples=trust_min_samples,
        confidence_floor=confidence_floor,
        never_auto_send=None if never_auto_send is None else list(never_auto_send),
        retention_days=retention_days,
    )

    def add(session: Any) -> Any:
        session.add(row)
        return row

    return _write(add, f"an app with slug {slug!r} or Front inbox {front_inbox_id!r} is already registered")


def check_no_reply(action: str | None, tag_id: str | None) -> None:
    """Refuse a `no_reply` setting Front could not carry out (tagging needs a tag id)."""
    if action is not None and action not in NO_REPLY_ACTIONS:
        raise ValueError(f"no_reply_action must be one of {', '.join(NO_REPLY_ACTIONS)}, got {action!r}")
    if action == "tag" and not tag_id:
        raise ValueError("no_reply_action 'tag' needs no_reply_tag_id (a Front tag id, e.g. tag_123)")


def check_trust(**settings: Any) -> None:
    """Refuse auto-send settings the gate could not use: thresholds in 0..1, counts of at least 1, known categories.

    Only the settings given are checked (`update_app` passes the changed ones).
    """
    from lib.agent.models import CATEGORIES

    for name in ("trust_threshold", "confidence_floor"):
        value = settings.get(name)
        if name in settings and (isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0):
            raise ValueError(f"{name} must be a number from 0 to 1, got {value!r}")
    for name in ("trust_min_samples", "retention_days"):
        value = settings.get(name)
        if name in settings and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")
    if settings.get("never_auto_send") is not None:
        never = settings["never_auto_send"]
        if not isinstance(never, (list, tuple)) or not all(isinstance(c, str) for c in never):
            raise ValueError(f"never_auto_send must be a list of categories, got {never!r}")
        unknown = sorted(set(never) - set(CATEGORIES))
        if unknown:
            raise ValueError(f"never_auto_send: unknown categor{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; "
                             f"known: {', '.join(CATEGORIES)}")


def generate_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


class DuplicateApp(ValueError):
    """Another app already has this slug or Front inbox."""


class RegistryNotMigrated(RuntimeError):
    """The apps table does not exist yet: the database needs `make migrate`."""


def list_apps() -> list[AppRecord]:
    """Every registered app, by slug."""
    from sqlalchemy import select

    from lib.db import get_db
    from lib.db.models import App

    with get_db().session() as session:
        return [AppRecord.model_validate(row) for row in session.scalars(select(App).order_by(App.slug))]


UPDATABLE_FIELDS = frozenset(
    {"name", "front_inbox_id", "integration_url", "stripe_account", "auto_send", "auto_send_delay_seconds", "approval_policy",
     "no_reply_action", "no_reply_tag_id", "trust_threshold", "trust_min_samples", "confidence_floor", "never_auto_send",
     "retention_days"}
)
TRUST_FIELDS = ("trust_threshold", "trust_min_samples", "confidence_floor", "never_auto_send", "retention_days")


def update_app(slug: str, **changes: Any) -> AppRecord:
    """Change some of an app's settings; unknown field names are refused rather than ignored."""
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise ValueError(f"cannot update {', '.join(sorted(unknown))}; updatable: {', '.join(sorted(UPDATABLE_FIELDS))}")
    check_trust(**{name: changes[name] for name in TRUST_FIELDS if name in changes})
    if changes.get("never_auto_send") is not None:
        changes = {**changes, "never_auto_send": list(changes["never_auto_send"])}
    return _modify(slug, changes)


def rotate_secret(slug: str) -> AppRecord:
    """Give the app a fresh integration secret (the product app must be told the new one)."""
    return _modify(slug, {"integration_secret": generate_secret()})


def _modify(slug: str, changes: dict[str, Any]) -> AppRecord:
    from sqlalchemy import select

    from lib.db.models import App

    def change(session: Any) -> Any:
        row = session.scalars(select(App).where(App.slug == slug)).one_or_none()
        if row is None:
            raise UnknownApp(f"no app is registered with slug {slug!r}")
        for field, value in changes.items():
            setattr(row, field, value)
        if "no_reply_action" in changes or "no_reply_tag_id" in changes:
            check_no_reply(row.no_reply_action, row.no_reply_tag_id)
        return row

    return _write(change, f"another app already uses Front inbox {changes.get('front_inbox_id')!r}")


def _write(apply: Callable[[Any], Any], duplicate: str) -> AppRecord:
    """Add or change one app row (`apply(session)` returns it) and forget the cache; a slug or inbox clash is `DuplicateApp`."""
    from sqlalchemy.exc import IntegrityError

    from lib.db import get_db

    try:
        with get_db().session() as session:
            row = apply(session)
            session.flush()
            record = AppRecord.model_validate(row)
    except IntegrityError as exc:
        raise DuplicateApp(duplicate) from exc
    clear_cache()
    return record
