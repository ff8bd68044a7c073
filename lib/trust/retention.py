"""Retention: message texts older than each app's `retention_days` are deleted; counts and scores stay.

What goes: `reply_signals` rows (they hold the draft and the teammate's text) and the text of
our stored drafts (`drafts.body` is emptied, the row with its status, category, reason and
times stays for the dashboard). What stays: `reply_signal_days` and `trust_scores`, which hold
no text. A draft still waiting to be auto-sent keeps its text whatever its age. Rows of no app
(`app_id` NULL) follow the default `lib.apps.RETENTION_DAYS`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel

from lib.apps import RETENTION_DAYS
from lib.inngest.events import CAMEL_CASE

PENDING = ("created", "sending")  # statuses whose text auto-send may still need (with a send time)


class Purged(BaseModel):
    """What one retention pass removed."""

    model_config = CAMEL_CASE

    apps: int
    signals_deleted: int
    draft_texts_emptied: int


def purge(now: datetime | None = None) -> Purged:
    """Delete every app's texts older than its retention period (naive UTC `now`, default the current time).

    The database is imported here, not at module level: the cron function registers on every cold start.
    """
    from sqlalchemy import and_, delete, not_, select, update

    from lib.db import get_db
    from lib.db.models import App, Draft, ReplySignal, utcnow

    now = now or utcnow()
    with get_db().session() as session:
        periods: list[tuple[int | None, int]] = [(row.id, row.retention_days) for row in session.scalars(select(App))]
    periods.append((None, RETENTION_DAYS))
    signals = drafts = 0
    for app_id, days in periods:
        cutoff = now - timedelta(days=days)
        with get_db().session() as session:
            signals += session.execute(
                delete(ReplySignal).where(_same_app(ReplySignal.app_id, app_id), ReplySignal.created_at < cutoff)
            ).rowcount
            drafts += session.execute(
                update(Draft)
                .where(_same_app(Draft.app_id, app_id), Draft.created_at < cutoff, Draft.body != "",
                       not_(and_(Draft.status.in_(PENDING), Draft.send_after.is_not(None))))
                .values(body="")
                .execution_options(synchronize_session=False)
            ).rowcount
    return Purged(apps=len(periods) - 1, signals_deleted=signals, draft_texts_emptied=drafts)


def _same_app(column: object, app_id: int | None) -> object:
    return column.is_(None) if app_id is None else column == app_id  # type: ignore[attr-defined]
