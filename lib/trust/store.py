"""The one writer of reply signals, their daily counts and trust scores.

One transaction per signal: the signal row (unique per Front message, so a replayed webhook
records once), its day's count and its category's score move together or not at all.

Two replies in one category at once must not lose an update. The signal's INSERT comes
first, which on SQLite takes the database's write lock, so the other writer waits; on
MySQL/MariaDB the score row is read `FOR UPDATE` (a locking read sees the latest committed
row and holds it). The score's UPDATE is also a compare-and-set on `samples` (it grows by one
with every update): should a write slip through anyway, the transaction is retried rather
than overwriting. Count and score rows are created beforehand in their own short
transactions, since two first signals inserting the same row would otherwise collide (or,
on MySQL, deadlock on the gap lock).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from lib.db import get_db
from lib.db.models import ReplySignal, ReplySignalDay, TrustScore, utcnow
from lib.trust.scores import Sums, add, category_key, counted
from lib.trust.signals import SignalKind, bound

logger = logging.getLogger("support.trust")

MAX_ATTEMPTS = 8


class _LostRace(Exception):
    """The score changed between our read and our write: start the transaction again."""


@dataclass(frozen=True)
class NewSignal:
    message_id: str
    conversation_id: str
    kind: SignalKind
    sent_at: datetime  # naive UTC
    app_id: int | None = None
    draft_id: int | None = None
    category: str | None = None
    similarity: float | None = None
    draft_text: str | None = None
    sent_text: str | None = None
    author: str | None = None


def already_recorded(message_id: str) -> bool:
    with get_db().session() as session:
        return session.scalar(select(ReplySignal.id).where(ReplySignal.message_id == message_id)) is not None


def record(signal: NewSignal) -> bool:
    """Store the signal and move its day's count and its category's trust; False if the message was recorded before."""
    if signal.app_id is not None:
        _ensure_rows(signal)
    for attempt in range(MAX_ATTEMPTS):
        try:
            return _record_once(signal)
        except IntegrityError:
            return False  # the message's signal is stored already (a replayed webhook, a retried step)
        except (_LostRace, OperationalError) as exc:  # OperationalError: MySQL's deadlock or lock wait timeout
            if isinstance(exc, OperationalError) and not _is_lock_conflict(exc):
                raise
            logger.info("trust update for %s lost a race (attempt %d); retrying", signal.message_id, attempt + 1)
    raise RuntimeError(f"could not record the signal for {signal.message_id} after {MAX_ATTEMPTS} attempts")


def _record_once(signal: NewSignal) -> bool:
    key = category_key(signal.category)
    with get_db().session() as session:
        session.add(ReplySignal(
            message_id=signal.message_id,
            app_id=signal.app_id,
            conversation_id=signal.conversation_id,
            draft_id=signal.draft_id,
            category=signal.category,
            kind=signal.kind,
            similarity=signal.similarity,
            draft_text=bound(signal.draft_text),
            sent_text=bound(signal.sent_text),
            author=signal.author[:320] if signal.author else None,
            sent_at=signal.sent_at,
        ))
        session.flush()
        if signal.app_id is None:
            return True  # no app to count it for (a reply in an inbox we no longer serve)
        session.execute(
            update(ReplySignalDay)
            .where(ReplySignalDay.app_id == signal.app_id, ReplySignalDay.category == key,
                   ReplySignalDay.day == signal.sent_at.date(), ReplySignalDay.kind == signal.kind)
            .values(count=ReplySignalDay.count + 1)
        )
        if counted(signal.kind):
            row = session.scalars(
                select(TrustScore).where(TrustScore.app_id == signal.app_id, TrustScore.category == key).with_for_update()
            ).one()
            before = Sums(row.accepted, row.total, row.samples, row.decayed_to) if row.samples else None
            after = add(before, signal.kind, signal.sent_at)
            changed = session.execute(
                update(TrustScore)
                .where(TrustScore.app_id == signal.app_id, TrustScore.category == key, TrustScore.samples == row.samples)
                .values(accepted=after.accepted, total=after.total, samples=after.samples, score=after.score,
                        decayed_to=after.decayed_to, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            if changed.rowcount != 1:
                raise _LostRace(signal.message_id)
    return True


def _ensure_rows(signal: NewSignal) -> None:
    """The day's count row and the category's score row exist (each inserted alone; a twin's insert is fine)."""
    key = category_key(signal.category)
    rows = [ReplySignalDay(app_id=signal.app_id, category=key, day=signal.sent_at.date(), kind=signal.kind, count=0)]
    if counted(signal.kind):
        rows.append(TrustScore(app_id=signal.app_id, category=key, accepted=0.0, total=0.0, samples=0, score=0.0,
                               decayed_to=signal.sent_at))
    for row in rows:
        with get_db().session() as session:
            if session.get(type(row), _identity(row)) is not None:
                continue
        try:
            with get_db().session() as session:
                session.add(row)
        except IntegrityError:
            pass  # a concurrent signal created it first


def _identity(row: ReplySignalDay | TrustScore) -> tuple:
    if isinstance(row, ReplySignalDay):
        return (row.app_id, row.category, row.day, row.kind)
    return (row.app_id, row.category)


def _is_lock_conflict(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "args", (None,))[0]
    return code in (1205, 1213)  # ER_LOCK_WAIT_TIMEOUT, ER_LOCK_DEADLOCK
