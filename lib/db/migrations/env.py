"""Alembic environment: runs migrations on the URL `lib.db.migrate` sets (SQLite or MySQL)."""

from __future__ import annotations

from alembic import context

from lib import config
from lib.db.engine import make_engine
from lib.db.models import Base
import lib.executor.models  # noqa: F401  (registers the executor tables on Base.metadata)

target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url") or config.database_url()
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                # SQLite cannot ALTER most things; batch mode copies the table instead.
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run against a database")
run_migrations_online()
