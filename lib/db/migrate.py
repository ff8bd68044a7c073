"""Apply the Alembic migrations: `python -m lib.db.migrate [revision]` (default `head`)."""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from lib import config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # `%` is ConfigParser interpolation; URLs may hold %-escaped passwords.
    cfg.set_main_option("sqlalchemy.url", (url or config.database_url()).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def main(argv: list[str]) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from lib.db.url_errors import explain

    revision = argv[0] if argv else "head"
    try:
        upgrade(revision=revision)
    except (SQLAlchemyError, ImportError) as exc:
        problem = explain(exc, config.database_url())
        if problem is None:
            raise
        print(f"error: {problem}", file=sys.stderr)
        return 2
    print(f"database at {revision}: {config.database_url().split('@')[-1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
