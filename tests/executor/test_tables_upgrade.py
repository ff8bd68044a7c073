"""The executor adds the columns a newer version declares to the tables an older one made."""

from __future__ import annotations

from sqlalchemy import inspect, text

from devkit.executor.models import create_tables
from lib.db.engine import make_engine


def test_missing_nullable_columns_are_added_and_rows_kept(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:  # executor_events as the executor made it before `receipts`
            conn.execute(text("CREATE TABLE executor_events (id VARCHAR(200) PRIMARY KEY, name VARCHAR(200), "
                              "payload JSON, received_at DATETIME)"))
            conn.execute(text("INSERT INTO executor_events VALUES ('e1', 'n', '{}', '2026-01-01 00:00:00')"))
        create_tables(engine)
        create_tables(engine)  # idempotent
        columns = {c["name"] for c in inspect(engine).get_columns("executor_events")}
        steps = {c["name"] for c in inspect(engine).get_columns("executor_steps")}
        with engine.connect() as conn:
            kept = conn.execute(text("SELECT id, receipts FROM executor_events")).all()
    finally:
        engine.dispose()
    assert "receipts" in columns and "parallel_mode" in steps
    assert [tuple(r) for r in kept] == [("e1", None)]
