"""Alembic environment: runs migrations on the URL `lib.db.migrate` sets (SQLite or MySQL)."""

from __future__ import annotations

from alembic import context

from lib import config
from lib.db.engine import make_engine
from lib.db.models import Base

target_metadata = Base.metadata
EXECUTOR_PREFIX = "executor_"  # the offline executor's own tables (devkit.executor), outside this history


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Autogenerate ignores the executor's tables, which it creates for itself in the same database."""
    return not (type_ == "table" and name is not None and name.startswith(EXECUTOR_PREFIX))


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
                include_name=include_name,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run against a database")
run_migrations_online()
