from datetime import timedelta

import pytest
from sqlalchemy import inspect, select

from lib.db import get_db, make_database, reset_db
from lib.db.engine import MYSQL_POOL_RECYCLE_SECONDS, make_engine
from lib.db.migrate import downgrade, upgrade
from lib.db.models import Action, App, ApprovalRequest, AuditLog, ProcessedWebhook, utcnow

TABLES = {"apps", "conversations", "actions", "approval_requests", "audit_log", "processed_webhooks", "drafts"}


def test_migrations_create_every_table_and_downgrade_cleanly(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert TABLES <= set(inspect(engine).get_table_names())
        downgrade(database_url, "base")
        assert not TABLES & set(inspect(engine).get_table_names())
        upgrade(database_url)
        assert TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_rows_round_trip_with_json_and_constraints(database_url: str) -> None:
    db = get_db()
    with db.session() as s:
        app = App(slug="acme", name="Acme", front_inbox_id="inb_1", integration_secret="s", approval_policy={"refund_days": 30})
        s.add(app)
        s.flush()
        s.add(Action(id="act_1", conversation_id="cnv_1", app_id=app.id, type="refund", parameters={"purchaseId": "p_1"}))
        s.add(ApprovalRequest(action_id="act_1", expires_at=utcnow() + timedelta(hours=24)))
        s.add(AuditLog(actor="agent", kind="action.proposed", action_id="act_1", details={"x": [1, 2]}))
    with db.session() as s:
        action = s.get(Action, "act_1")
        assert action is not None and action.parameters == {"purchaseId": "p_1"} and action.status == "proposed"
        assert s.scalars(select(App.approval_policy)).one() == {"refund_days": 30}
        assert s.scalars(select(AuditLog.details)).one() == {"x": [1, 2]}

    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        with db.session() as s:  # one approval request per action
            s.add(ApprovalRequest(action_id="act_1", expires_at=utcnow()))
    with pytest.raises(IntegrityError):
        with db.session() as s:  # a webhook id is processed once
            s.add(ProcessedWebhook(id="evt_1", source="front"))
            s.flush()
            s.add(ProcessedWebhook(id="evt_1", source="front"))


def test_get_db_is_lazy_and_shared(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    reset_db()
    assert not get_db.made  # nothing made at import or reset
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'lazy.db'}")
    first = get_db()
    assert get_db() is first
    assert not (tmp_path / "lazy.db").exists()  # an engine is not a connection
    reset_db()


def test_mysql_engine_suits_serverless_and_honours_tls() -> None:
    db = make_database("mysql://user:pw@db.example.com/app?ssl=true")
    pool = db.engine.pool
    assert db.engine.dialect.driver == "pymysql"
    assert pool._pre_ping is True
    assert pool._recycle == MYSQL_POOL_RECYCLE_SECONDS < 300
    assert "ssl" not in db.engine.url.query  # translated, not passed through to PyMySQL
    assert _connect_args(db)["ssl"]["ca"]
    assert "ssl" not in _connect_args(make_database("mysql+pymysql://user:pw@localhost/app"))


def _connect_args(db) -> dict:
    # SQLAlchemy keeps create_engine(connect_args=...) in the dialect's connect closure;
    # the public way to see them is the "do_connect" event's cparams.
    from sqlalchemy import event

    seen: dict = {}

    def capture(dialect, conn_rec, cargs, cparams):  # noqa: ANN001
        seen.update(cparams)
        raise _Stop

    event.listen(db.engine, "do_connect", capture)
    try:
        db.engine.connect()
    except _Stop:
        pass
    except Exception as exc:  # pragma: no cover - the listener raises first
        raise AssertionError(f"connected for real: {exc}")
    return seen


class _Stop(Exception):
    pass


def test_sqlite_default_file_is_created_under_data_dir(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "nested" / "dir" / "x.db"
    db = make_database(f"sqlite:///{target}")
    upgrade(f"sqlite:///{target}")
    with db.session() as s:
        assert s.scalars(select(App)).all() == []
    assert target.exists()
    db.engine.dispose()


def test_models_and_migrations_agree(database_url: str) -> None:
    """A model change without a migration (or the reverse) fails here, on both databases."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from lib.db.models import Base

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
