"""The process-wide engine and session factory, made on first use.

A Vercel function may be frozen between requests and a hosted MySQL closes idle
connections on its own schedule, so pooled connections are pinged before use and
recycled well inside the usual five-minute idle limit. SQLite (the embedded
default) gets WAL and a busy timeout so the service and the local executor can
share one file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.orm import Session, sessionmaker

from lib import config
from lib.lazy import lazy

MYSQL_POOL_RECYCLE_SECONDS = 240
_TLS_TRUE = {"1", "true", "required", "require", "verify_ca", "verify_identity", "preferred"}


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


@lazy(close=lambda db: db.engine.dispose())
def get_db() -> Database:
    """The process's database, created on the first call."""
    return make_database(config.database_url())


reset_db = get_db.reset  # tests switch `DATABASE_URL` between cases


def make_database(url: str) -> Database:
    engine = make_engine(url)
    return Database(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    if parsed.get_backend_name() in ("mysql", "mariadb"):
        return _mysql_engine(parsed)
    return create_engine(parsed, pool_pre_ping=True)


def _sqlite_engine(url: URL) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def _mysql_engine(url: URL) -> Engine:
    if url.drivername in ("mysql", "mariadb"):
        url = url.set(drivername=f"{url.drivername}+pymysql")
    query = dict(url.query)
    connect_args: dict[str, Any] = {"charset": "utf8mb4"}
    # Hosted MySQL (PlanetScale, Aiven, RDS...) wants TLS; accept the spellings their
    # connection strings use. `ssl_ca=` etc. are handled by SQLAlchemy itself.
    tls = None
    for key in ("ssl", "sslmode", "ssl-mode", "ssl_mode", "tls"):
        if key in query:
            tls = str(query.pop(key)).lower()
    if tls in _TLS_TRUE and not any(k.startswith("ssl_") for k in query):
        connect_args["ssl"] = {"ca": _default_ca_bundle()}
        if tls in ("verify_identity",):
            connect_args["ssl"]["check_hostname"] = True
    url = url.set(query=query)
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_recycle=MYSQL_POOL_RECYCLE_SECONDS,
        pool_size=5,
        max_overflow=5,
        connect_args=connect_args,
    )


def _default_ca_bundle() -> str:
    import ssl

    paths = ssl.get_default_verify_paths()
    if paths.cafile:
        return paths.cafile
    try:
        import certifi

        return certifi.where()
    except ImportError:  # pragma: no cover - certifi ships with requests
        return "/etc/ssl/certs/ca-certificates.crt"
