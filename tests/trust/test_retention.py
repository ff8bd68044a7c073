"""Retention: texts past each app's retention are deleted, counts and scores stay; the daily cron runs it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lib import conversations
from lib.apps import registry
from lib.db import get_db
from lib.db.models import Draft, ReplySignal, ReplySignalDay, TrustScore, utcnow
from lib.trust import retention, store


def _age(model: type, days: int) -> None:
    """Make every row of `model` look `days` old."""
    with get_db().session() as session:
        for row in session.scalars(select(model)):
            row.created_at = utcnow() - timedelta(days=days)


def _signal(message_id: str, app_id: int) -> None:
    assert store.record(store.NewSignal(message_id=message_id, conversation_id="cnv_1", kind="unchanged", sent_at=utcnow(),
                                        app_id=app_id, category="billing", draft_text="d", sent_text="s"))


def test_old_texts_go_counts_and_scores_stay(database_url: str) -> None:
    short = registry.create_app(slug="short", name="Short", front_inbox_id="inb_s", retention_days=7)
    long = registry.create_app(slug="long", name="Long", front_inbox_id="inb_l")  # the default 30 days
    _signal("msg_s", short.id)
    _signal("msg_l", long.id)
    for app, run in ((short, "run_s"), (long, "run_l")):
        conversations.record_draft(conversation_id="cnv_1", run_id=run, front_draft_id=None, body="text", send_after=None, app_id=app.id)
    pending = conversations.record_draft(conversation_id="cnv_1", run_id="run_p", front_draft_id=None, body="waiting",
                                         send_after=utcnow(), app_id=short.id)
    _age(ReplySignal, 10)
    _age(Draft, 10)

    purged = retention.purge()

    assert (purged.signals_deleted, purged.draft_texts_emptied) == (1, 1)
    with get_db().session() as session:
        assert [s.message_id for s in session.scalars(select(ReplySignal))] == ["msg_l"]
        bodies = {d.run_id: d.body for d in session.scalars(select(Draft))}
        assert bodies == {"run_s": "", "run_l": "text", "run_p": "waiting"}  # a draft still to be sent keeps its text
        assert session.get(Draft, pending.id) is not None
        assert sum(d.count for d in session.scalars(select(ReplySignalDay))) == 2
        assert len(session.scalars(select(TrustScore)).all()) == 2
    assert retention.purge().signals_deleted == 0  # nothing twice


def test_the_daily_cron_purges_through_the_offline_executor(sqlite_url: str) -> None:
    from devkit.sandbox.inngest_stack import InngestStack

    app = registry.create_app(slug="acme", name="Acme", front_inbox_id="inb_1", retention_days=1)
    _signal("msg_old", app.id)
    _age(ReplySignal, 2)
    # A day is ~0.9 s at this scale: the first firing comes within a second or so.
    with InngestStack(time_scale=0.00001) as stack:
        [run] = stack.wait_for_run("purge-old-texts", timeout=60)
    assert run["event"]["name"] == "inngest/scheduled.timer"
    assert run["output"]["signalsDeleted"] == 1
