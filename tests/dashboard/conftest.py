"""Fixtures for the dashboard tests: the approvals key set, and a world of rows written through the models."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterator

import pytest

KEY = "dashboard-key-for-tests"
NOW = datetime(2026, 11, 20, 15, 0, 0)


@pytest.fixture(autouse=True)
def dashboard_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("APPROVALS_SECRET", KEY)
    yield


@dataclass
class World:
    app_id: int
    other_id: int


def seed(now: datetime = NOW, name: str = "Acme") -> World:
    """Two apps; for `acme` everything the dashboard counts, inside and outside the window, for `other` a little.

    Trust (threshold 0.85, 50 samples): refund 0.92/60 open; billing 0.70/80 below the threshold;
    access 0.95/10 too few samples; legal 0.99/100 on the never list; plus drafts in `bug_report`, unscored.
    """
    from lib.apps import registry
    from lib.db import get_db
    from lib.db.models import Action, ApprovalRequest, AuditLog, Draft, ReplySignal, ReplySignalDay, TrustScore

    app = registry.create_app(slug="acme", name=name, front_inbox_id="inb_acme", auto_send=True)
    other = registry.create_app(slug="other", name="Other", front_inbox_id="inb_other")
    today, old = now.date(), now - timedelta(days=40)
    with get_db().session() as session:
        for category, score, samples in (("refund", 0.92, 60), ("billing", 0.70, 80), ("access", 0.95, 10), ("legal", 0.99, 100)):
            session.add(TrustScore(app_id=app.id, category=category, accepted=score * samples, total=samples, samples=samples,
                                   score=score, decayed_to=now))
        session.add(TrustScore(app_id=other.id, category="refund", accepted=1, total=1, samples=1, score=1.0, decayed_to=now))
        # Teammates' replies per day and kind (what survives retention), one day of each kind and one before the window.
        for offset, kind, count in ((0, "unchanged", 7), (1, "minor_edit", 3), (2, "major_rewrite", 2), (2, "no_draft", 1),
                                    (5, "unchanged", 4), (45, "unchanged", 50)):
            session.add(ReplySignalDay(app_id=app.id, category="refund", day=today - timedelta(days=offset), kind=kind, count=count))
        session.add(ReplySignalDay(app_id=app.id, category="", day=today, kind="unchanged", count=1))
        session.add(ReplySignalDay(app_id=other.id, category="refund", day=today, kind="major_rewrite", count=9))
        for index, kind in enumerate(("unchanged", "minor_edit", "major_rewrite", "no_draft")):  # rows retention will delete
            session.add(ReplySignal(message_id=f"msg_out_{index}", app_id=app.id, conversation_id=f"cnv_s{index}", category="refund",
                                    kind=kind, similarity=None if kind == "no_draft" else 1.0 - index * 0.3, sent_at=now, created_at=now))
        # 20 drafts answered 0.5 s, 1.0 s ... 10.0 s after the webhook: nearest-rank median 5.0 s, p95 9.5 s.
        for n in range(1, 21):
            created = now - timedelta(hours=n)
            session.add(Draft(conversation_id=f"cnv_d{n}", body="Hello", app_id=app.id, category="bug_report" if n == 1 else "refund",
                              received_at=created - timedelta(milliseconds=500 * n), created_at=created, updated_at=created))
        session.add(Draft(conversation_id="cnv_untimed", body="Hi", app_id=app.id, category="refund", created_at=now, updated_at=now))
        session.add(Draft(conversation_id="cnv_old", body="Hi", app_id=app.id, category="refund", received_at=old - timedelta(hours=1),
                          created_at=old, updated_at=old))
        for n in range(2):  # auto-sent today and yesterday
            sent = now - timedelta(days=n)
            session.add(Draft(conversation_id=f"cnv_auto{n}", body="Hi", app_id=app.id, category="refund", status="sent",
                              created_at=sent - timedelta(minutes=5), updated_at=sent))
        session.add(Draft(conversation_id="cnv_other", body="Hi", app_id=other.id, received_at=now - timedelta(seconds=60), created_at=now))
        # The route step's audit rows: m1 routed twice (a retried step) counts once.
        for message, route, app_id, at in (("m1", "respond", app.id, now), ("m1", "respond", app.id, now), ("m2", "no_reply", app.id, now),
                                           ("m3", "human", app.id, now - timedelta(days=1)), ("m4", "respond", app.id, old),
                                           ("m5", "respond", other.id, now), ("m6", "respond", None, now)):
            details = {"message_id": message, "route": route, "rule": "test", "app_id": app_id}
            session.add(AuditLog(actor="router", kind="conversation.routed", conversation_id=f"cnv_{message}", details=details, at=at))
        session.add(AuditLog(actor="workflow", kind="draft.created", conversation_id="cnv_m1", details={"app_id": app.id}, at=now))
        # Approvals: one pending, three decided in the window, one decided before it, one of the other app.
        for action_id, app_id, status, decided in (("act_p", app.id, "pending", None), ("act_a", app.id, "approved", now),
                                                   ("act_r", app.id, "rejected", now - timedelta(days=3)),
                                                   ("act_e", app.id, "expired", now - timedelta(days=2)),
                                                   ("act_old", app.id, "approved", old), ("act_o", other.id, "pending", None)):
            session.add(Action(id=action_id, conversation_id="cnv_a", app_id=app_id, type="refund", parameters={},
                               status="pending_approval" if status == "pending" else status))
            session.flush()
            session.add(ApprovalRequest(action_id=action_id, status=status, expires_at=now + timedelta(hours=24), decided_at=decided))
    return World(app_id=app.id, other_id=other.id)


def first_day(days: int, now: datetime = NOW) -> date:
    return now.date() - timedelta(days=days - 1)
