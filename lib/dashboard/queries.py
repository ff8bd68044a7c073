"""The dashboard's figures per app over the last N days, each aggregated in SQL (bounded result rows, never all rows).

Sources, all written by the workflows:
- messages and routes: the route step's `conversation.routed` audit records (they carry the app
  id and the route; one message counts once however often its step ran);
- drafts created and auto-sent: `drafts` (auto-sent = status `sent`, dated when it was sent);
- teammates' replies against the drafts: `reply_signal_days` (daily counts that outlive retention);
- approvals: `approval_requests` of the app's actions, pending now and decided in the window;
- webhook-to-draft time: `drafts.received_at` to `drafts.created_at`, median and p95 by nearest rank;
- trust: `trust_scores`, and whether auto-send is open per category as `lib.trust.gate` decides it.

Portable across SQLite and MySQL/MariaDB: the only dialect-specific SQL is `elapsed_seconds`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import Date, Float, and_, distinct, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from lib.apps.registry import AppRecord
from lib.db.models import Action, ApprovalRequest, AuditLog, Draft, ReplySignalDay, TrustScore, utcnow
from lib.trust.gate import CategoryTrust, category_open

DEFAULT_DAYS = 30
MAX_DAYS = 90
ROUTES = ("respond", "no_reply", "human")
SIGNAL_KINDS = ("unchanged", "minor_edit", "major_rewrite", "no_draft")
DECIDED = ("approved", "rejected", "expired")
ROUTED = "conversation.routed"


class elapsed_seconds(FunctionElement[float]):
    """Seconds from the first timestamp to the second, as a float (microseconds kept)."""

    type = Float()
    name = "elapsed_seconds"
    inherit_cache = True


@compiles(elapsed_seconds, "sqlite")
def _elapsed_sqlite(element: elapsed_seconds, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(elapsed_seconds, "mysql")
@compiles(elapsed_seconds, "mariadb")
def _elapsed_mysql(element: elapsed_seconds, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(TIMESTAMPDIFF(MICROSECOND, {start}, {end}) / 1000000.0)"


@dataclass(frozen=True)
class Window:
    """Whole UTC days, the last `days` of them, today included."""

    first_day: date
    days: int
    now: datetime

    @classmethod
    def last(cls, days: int = DEFAULT_DAYS, now: datetime | None = None) -> "Window":
        current = now or utcnow()
        return cls(first_day=current.date() - timedelta(days=days - 1), days=days, now=current)

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first_day, datetime.min.time())

    def each_day(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range(self.days)]


@dataclass
class Day:
    """One day of the trend."""

    day: date
    messages: int = 0
    drafts: int = 0
    auto_sent: int = 0
    unchanged: int = 0
    minor_edit: int = 0
    major_rewrite: int = 0
    no_draft: int = 0


@dataclass(frozen=True)
class CategoryRow:
    """A category's trust and whether the gate lets its drafts go without a teammate, with the gate's reason."""

    category: str | None
    score: float | None
    samples: int
    open: bool
    reason: str
    as_of: datetime | None


@dataclass
class AppSummary:
    slug: str
    name: str
    auto_send: bool
    trust_threshold: float
    trust_min_samples: int
    messages: int = 0
    routes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROUTES, 0))
    drafts_created: int = 0
    auto_sent: int = 0
    replies: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SIGNAL_KINDS, 0))
    approvals_pending: int = 0
    approvals_decided: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DECIDED, 0))
    timed_drafts: int = 0
    webhook_to_draft_p50: float | None = None  # seconds
    webhook_to_draft_p95: float | None = None
    trust: list[CategoryRow] = field(default_factory=list)
    trend: list[Day] = field(default_factory=list)


def summaries(window: Window, apps: list[AppRecord]) -> list[AppSummary]:
    """Every figure of the dashboard for these apps; a fixed number of queries plus three per app (percentiles)."""
    from lib.db import get_db

    by_id = {app.id: AppSummary(slug=app.slug, name=app.name, auto_send=app.auto_send, trust_threshold=app.trust_threshold,
                                trust_min_samples=app.trust_min_samples) for app in apps}
    days: dict[int, dict[date, Day]] = {app_id: {d: Day(d) for d in window.each_day()} for app_id in by_id}
    if not by_id:
        return []
    ids = list(by_id)
    with get_db().session() as session:
        _routes(session, window, ids, by_id, days)
        _drafts(session, window, ids, by_id, days)
        _replies(session, window, ids, by_id, days)
        _approvals(session, window, ids, by_id)
        for app in apps:
            summary = by_id[app.id]
            summary.timed_drafts, summary.webhook_to_draft_p50, summary.webhook_to_draft_p95 = _webhook_to_draft(session, window, app.id)
        _trust(session, window, apps, by_id)
    for app_id, summary in by_id.items():
        summary.trend = list(days[app_id].values())
    return [by_id[app.id] for app in apps]


def _day(value: Any) -> date:
    """SQLite's date() is text; MySQL's DATE a date."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _routes(session: Any, window: Window, ids: list[int], by_id: dict[int, AppSummary], days: dict[int, dict[date, Day]]) -> None:
    app_id = AuditLog.details["app_id"].as_integer()
    route = AuditLog.details["route"].as_string()
    day = func.date(AuditLog.at, type_=Date)
    messages = func.count(distinct(AuditLog.details["message_id"].as_string()))
    query = (select(app_id, day, route, messages)
             .where(AuditLog.kind == ROUTED, AuditLog.at >= window.since, app_id.in_(ids))
             .group_by(app_id, day, route))
    for app, on, routed, count in session.execute(query):
        summary = by_id[int(app)]
        summary.messages += count
        if routed in summary.routes:
            summary.routes[routed] += count
        if (slot := days[int(app)].get(_day(on))) is not None:
            slot.messages += count


def _drafts(session: Any, window: Window, ids: list[int], by_id: dict[int, AppSummary], days: dict[int, dict[date, Day]]) -> None:
    created_on = func.date(Draft.created_at, type_=Date)
    query = (select(Draft.app_id, created_on, func.count())
             .where(Draft.app_id.in_(ids), Draft.created_at >= window.since)
             .group_by(Draft.app_id, created_on))
    for app, on, count in session.execute(query):
        by_id[app].drafts_created += count
        if (slot := days[app].get(_day(on))) is not None:
            slot.drafts += count
    sent_on = func.date(Draft.updated_at, type_=Date)  # a sent draft is last touched when it is sent
    query = (select(Draft.app_id, sent_on, func.count())
             .where(Draft.app_id.in_(ids), Draft.status == "sent", Draft.updated_at >= window.since)
             .group_by(Draft.app_id, sent_on))
    for app, on, count in session.execute(query):
        by_id[app].auto_sent += count
        if (slot := days[app].get(_day(on))) is not None:
            slot.auto_sent += count


def _replies(session: Any, window: Window, ids: list[int], by_id: dict[int, AppSummary], days: dict[int, dict[date, Day]]) -> None:
    query = (select(ReplySignalDay.app_id, ReplySignalDay.day, ReplySignalDay.kind, func.sum(ReplySignalDay.count))
             .where(ReplySignalDay.app_id.in_(ids), ReplySignalDay.day >= window.first_day)
             .group_by(ReplySignalDay.app_id, ReplySignalDay.day, ReplySignalDay.kind))
    for app, on, kind, count in session.execute(query):
        if kind not in SIGNAL_KINDS:
            continue
        by_id[app].replies[kind] += int(count or 0)
        if (slot := days[app].get(_day(on))) is not None:
            setattr(slot, kind, getattr(slot, kind) + int(count or 0))


def _approvals(session: Any, window: Window, ids: list[int], by_id: dict[int, AppSummary]) -> None:
    joined = select(Action.app_id, ApprovalRequest.status, func.count()).join(Action, Action.id == ApprovalRequest.action_id)
    pending = joined.where(Action.app_id.in_(ids), ApprovalRequest.status == "pending").group_by(Action.app_id, ApprovalRequest.status)
    decided = (joined.where(Action.app_id.in_(ids), ApprovalRequest.status.in_(DECIDED), ApprovalRequest.decided_at >= window.since)
               .group_by(Action.app_id, ApprovalRequest.status))
    for app, _, count in session.execute(pending):
        by_id[app].approvals_pending += count
    for app, status, count in session.execute(decided):
        by_id[app].approvals_decided[status] += count


def _webhook_to_draft(session: Any, window: Window, app_id: int) -> tuple[int, float | None, float | None]:
    """(drafts timed, median, p95) in seconds to the millisecond: nearest rank, read with ORDER BY ... OFFSET, one row each."""
    elapsed = elapsed_seconds(Draft.received_at, Draft.created_at)
    timed = and_(Draft.app_id == app_id, Draft.created_at >= window.since, Draft.received_at.is_not(None))
    count = session.scalar(select(func.count()).select_from(Draft).where(timed)) or 0
    if not count:
        return 0, None, None

    def rank(p: float) -> float:
        offset = max(math.ceil(p * count), 1) - 1
        return float(session.scalar(select(elapsed).where(timed).order_by(elapsed).offset(offset).limit(1)))

    return count, round(rank(0.50), 3), round(rank(0.95), 3)


def _trust(session: Any, window: Window, apps: Iterable[AppRecord], by_id: dict[int, AppSummary]) -> None:
    """Stored scores, plus categories drafted in the window that have none yet (0 samples): each with the gate's verdict."""
    scores: dict[int, dict[str | None, TrustScore]] = {app_id: {} for app_id in by_id}
    for row in session.scalars(select(TrustScore).where(TrustScore.app_id.in_(list(by_id)))):
        scores[row.app_id][row.category or None] = row
    drafted = (select(Draft.app_id, Draft.category).distinct()
               .where(Draft.app_id.in_(list(by_id)), Draft.created_at >= window.since))
    unscored: dict[int, set[str | None]] = {app_id: set() for app_id in by_id}
    for app_id, category in session.execute(drafted):
        if (category or None) not in scores[app_id]:
            unscored[app_id].add(category or None)
    for app in apps:
        rows = []
        for category, score in scores[app.id].items():
            verdict = category_open(app, category, CategoryTrust(category or "", score.score, score.samples))
            rows.append(CategoryRow(category, score.score, score.samples, verdict.auto_send, verdict.reason, score.decayed_to))
        for category in unscored[app.id]:
            verdict = category_open(app, category, None)
            rows.append(CategoryRow(category, None, 0, verdict.auto_send, verdict.reason, None))
        rows.sort(key=lambda r: (not r.open, -(r.samples), r.category or "~"))
        by_id[app.id].trust = rows
