"""The executor's tables leave the service's migrations: 0005 drops them, the executor creates its own on start."""

from __future__ import annotations

from sqlalchemy import inspect, text

from devkit.executor import Executor
from devkit.executor.models import ExecutorBase
from lib.db.engine import make_engine
from lib.db.migrate import downgrade, upgrade
from lib.db.models import Base

EXECUTOR_TABLES = {"executor_functions", "executor_events", "executor_runs", "executor_steps", "executor_jobs", "executor_waiters"}


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_drop_the_executor_tables_and_the_executor_creates_its_own(database_url: str) -> None:
    assert not EXECUTOR_TABLES & _tables(database_url)  # a fresh database at head has none
    assert not EXECUTOR_TABLES & set(Base.metadata.tables)  # nor does the service's metadata
    assert set(ExecutorBase.metadata.tables) == EXECUTOR_TABLES

    downgrade(database_url, "0004_approval_handover")  # an existing database, from before
    assert EXECUTOR_TABLES <= _tables(database_url)
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO executor_functions (id, app_id, url, config, updated_at) "
                              "VALUES ('f', 'a', 'http://x', '{}', '2026-01-01 00:00:00')"))
    finally:
        engine.dispose()
    upgrade(database_url)
    assert not EXECUTOR_TABLES & _tables(database_url)

    executor = Executor(database_url=database_url, signing_key="", signing_key_fallback="")
    try:
        assert EXECUTOR_TABLES <= _tables(database_url)
        assert executor.engine.functions() == []
    finally:
        executor.stop()
    Executor(database_url=database_url, signing_key="", signing_key_fallback="").stop()  # a restart keeps them

    downgrade(database_url, "0004_approval_handover")  # the executor's own tables stand in for 0002's
    assert EXECUTOR_TABLES <= _tables(database_url)
    downgrade(database_url, "base")
    assert not EXECUTOR_TABLES & _tables(database_url)
    upgrade(database_url)
