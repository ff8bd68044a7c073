"""Shared fixtures: a migrated database on SQLite and on the MariaDB at 127.0.0.1:3306.

Each test session gets its own scratch MariaDB database (created with the `test`
server's root account and dropped afterwards), so parallel runs never see each
other's rows. In CI (`CI` set) an unreachable MariaDB fails the run; elsewhere
the MariaDB cases are skipped with a message saying how to start it.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Iterator

import pytest

MARIADB_URL = os.environ.get("TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
START_HINT = "start it with: start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd"


def _mariadb_unreachable_reason() -> str | None:
    import pymysql
    from sqlalchemy.engine import make_url

    url = make_url(MARIADB_URL)
    try:
        conn = pymysql.connect(
            host=url.host or "127.0.0.1",
            port=url.port or 3306,
            user=url.username or "root",
            password=url.password or "",
            database=url.database,
            connect_timeout=5,
        )
    except pymysql.MySQLError as exc:
        return f"MariaDB at {url.host}:{url.port} is unreachable ({exc}); {START_HINT}"
    conn.close()
    return None


@pytest.fixture(scope="session")
def mariadb_server() -> str:
    """The base MariaDB URL, after checking it answers."""
    reason = _mariadb_unreachable_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return MARIADB_URL


def _scratch_mariadb(base_url: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url)
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated, empty database URL; also set as `DATABASE_URL` for the test."""
    from lib.db.migrate import upgrade

    if request.param == "sqlite":
        scratch: Iterator[str] = iter([f"sqlite:///{tmp_path / 'test.db'}"])
    else:
        scratch = _scratch_mariadb(request.getfixturevalue("mariadb_server"))
    url = next(scratch)
    upgrade(url)
    old = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    _forget_database()
    try:
        yield url
    finally:
        _forget_database()
        if old is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = old
        for _ in scratch:  # runs the generator's cleanup
            pass


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated SQLite database only, for tests whose subject is not the database."""
    from lib.db.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'test.db'}"
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    _forget_database()
    yield url
    _forget_database()


def _forget_database() -> None:
    """Drop the engine, every other lazily made client and everything cached from the last database (the app registry's lookups)."""
    from lib.apps.registry import clear_cache
    from lib.lazy import reset_all

    reset_all()
    clear_cache()
