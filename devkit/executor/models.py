"""The executor's durable state: functions, seen events, runs, steps, due jobs and waiters.

Everything a run needs to resume lives here, so killing the executor loses nothing:
on start it releases jobs a dead process had claimed and carries on.

The tables live in `DATABASE_URL` next to the service's but belong to the executor
alone: their own metadata (`ExecutorBase`), created on start (`create_tables`),
outside the service's Alembic history (migration 0005 dropped the ones 0002 made).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lib.db.models import Timestamp, utcnow


class ExecutorBase(DeclarativeBase):
    """The executor's own metadata, separate from the service's `lib.db.models.Base`."""


TABLE_PREFIX = "executor_"


def create_tables(engine: Engine) -> None:
    """Create whichever executor tables are missing, and add columns a newer executor declares
    to tables an older one made (each nullable), so an existing database keeps its rows."""
    from sqlalchemy import inspect, text

    ExecutorBase.metadata.create_all(engine)
    inspector = inspect(engine)
    with engine.begin() as conn:
        for table in ExecutorBase.metadata.sorted_tables:
            have = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in have and column.nullable:
                    kind = column.type.compile(dialect=engine.dialect)
                    conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind} NULL"))


def commit_without_fsync(engine: Engine) -> None:
    """On SQLite, the executor's connections commit without waiting for the disk (`synchronous=NORMAL`).

    In WAL mode (lib.db sets it) NORMAL loses no committed transaction when a process is
    killed, only, perhaps, the last ones when the machine loses power; the database never
    corrupts (sqlite.org/pragma.html#pragma_synchronous, wal.html "Performance
    Considerations"). A run's bookkeeping commits at least twice per step, and each fsync was
    a fixed cost between steps. Per connection: the service's own connections are unchanged.
    """
    from sqlalchemy import event

    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _normal(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


class ExecutorFunction(ExecutorBase):
    """A function as the serve endpoint registered it (`POST /fn/register`)."""

    __tablename__ = "executor_functions"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    app_id: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(1000))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)
    # The event names its triggers and cancellations name, one per line between newlines
    # (`listens_to`): an event reads only the functions it concerns instead of decoding every
    # config (NULL on rows registered before the column: those are always read).
    listens: Mapped[str | None] = mapped_column(Text, nullable=True)


def listens_to(config: dict[str, Any]) -> str:
    """`ExecutorFunction.listens` for a config: its trigger and cancel event names, newline-framed."""
    names = {str(item["event"]) for key in ("triggers", "cancel") for item in config.get(key) or [] if isinstance(item, dict) and item.get("event")}
    return "\n" + "".join(f"{name}\n" for name in sorted(names))


def listening(name: str) -> Any:
    """The WHERE clause for functions that may react to event `name` (a prefilter: LIKE may ignore case)."""
    from sqlalchemy import or_

    return or_(ExecutorFunction.listens.is_(None), ExecutorFunction.listens.contains(f"\n{name}\n", autoescape=True))


class ExecutorEvent(ExecutorBase):
    """An accepted event; its id makes a second send within 24 h a no-op."""

    __tablename__ = "executor_events"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, index=True)
    # How often it was received within the 24 h (a retried send with the same seed): Inngest stores
    # every send, and `GET /v1/events` lists each; only runs are deduplicated.
    receipts: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ExecutorRun(ExecutorBase):
    """One function run. `attempt` counts tries of the next request (reset on progress)."""

    __tablename__ = "executor_runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    function_id: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(16), default="Queued", index=True)
    event: Mapped[dict[str, Any]] = mapped_column(JSON)
    output: Mapped[Any] = mapped_column(JSON, nullable=True)
    error: Mapped[Any] = mapped_column(JSON, nullable=True)
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    disable_immediate: Mapped[bool] = mapped_column(Boolean, default=False)  # unused now (worked out per call); kept for existing tables
    throttle_key: Mapped[str | None] = mapped_column(String(300))
    concurrency_key: Mapped[str | None] = mapped_column(String(300))
    idempotency_key: Mapped[str | None] = mapped_column(String(300))  # function-level `idempotency`, 24 h
    parent_run_id: Mapped[str | None] = mapped_column(String(64))
    parent_step_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(Timestamp)
    ended_at: Mapped[datetime | None] = mapped_column(Timestamp)


class ExecutorStep(ExecutorBase):
    """A step of a run: its memo (`output`/`error`) once Completed or Failed."""

    __tablename__ = "executor_steps"
    __table_args__ = (Index("ix_executor_steps_run_step", "run_id", "step_id", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(64))
    step_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(300))
    op: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    output: Mapped[Any] = mapped_column(JSON, nullable=True)
    error: Mapped[Any] = mapped_column(JSON, nullable=True)
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    parallel_mode: Mapped[str | None] = mapped_column(String(8), nullable=True)  # "race" for ParallelMode.RACE
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)


class ExecutorJob(ExecutorBase):
    """Something to do at `due_at`: call the function, wake a sleep, time out a wait or invoke."""

    __tablename__ = "executor_jobs"
    __table_args__ = (Index("ix_executor_jobs_due", "done", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # call | wake | timeout
    step_id: Mapped[str | None] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(Timestamp)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class ExecutorWaiter(ExecutorBase):
    """A run waiting in `step.wait_for_event` for `event_name` matching `expression`."""

    __tablename__ = "executor_waiters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(64), index=True)
    step_id: Mapped[str] = mapped_column(String(64))
    event_name: Mapped[str] = mapped_column(String(200), index=True)
    expression: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
