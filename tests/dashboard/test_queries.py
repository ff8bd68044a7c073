"""The dashboard's figures on SQLite and MariaDB, from rows written through the models."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lib.apps import registry
from lib.dashboard.queries import Window, summaries
from tests.dashboard.conftest import NOW, first_day, seed


def _figures(days: int = 30) -> dict:
    found = summaries(Window.last(days, now=NOW), registry.list_apps())
    return {summary.slug: summary for summary in found}


def test_every_figure_of_an_app_over_the_last_30_days(database_url: str) -> None:
    seed()
    acme = _figures()["acme"]

    assert acme.messages == 3  # m1 (routed twice), m2, m3; not m4 (40 days ago), m5 (other app), m6 (no app)
    assert acme.routes == {"respond": 1, "no_reply": 1, "human": 1}
    assert acme.drafts_created == 23 and acme.auto_sent == 2
    assert acme.replies == {"unchanged": 12, "minor_edit": 3, "major_rewrite": 2, "no_draft": 1}
    assert acme.approvals_pending == 1 and acme.approvals_decided == {"approved": 1, "rejected": 1, "expired": 1}
    assert acme.timed_drafts == 20
    assert acme.webhook_to_draft_p50 == pytest.approx(5.0, abs=0.002)  # nearest rank: the 10th of 0.5 s, 1.0 s ... 10.0 s
    assert acme.webhook_to_draft_p95 == pytest.approx(9.5, abs=0.002)  # the 19th


def test_trust_per_category_says_open_or_closed_and_why(database_url: str) -> None:
    seed()
    trust = {row.category: row for row in _figures()["acme"].trust}

    assert [row.category for row in _figures()["acme"].trust] == ["refund", "legal", "billing", "access", "bug_report"]
    assert trust["refund"].open and (trust["refund"].score, trust["refund"].samples) == (0.92, 60)
    assert trust["refund"].reason == "refund trust 0.92 over 60 replies reaches 0.85"
    assert not trust["billing"].open and trust["billing"].reason == "billing trust 0.70 is below 0.85"
    assert not trust["access"].open and trust["access"].reason == "access has 10 of the 50 teammate replies trust needs"
    assert not trust["legal"].open and trust["legal"].reason == "legal is never auto-sent"  # 0.99 over 100, but on the never list
    assert not trust["bug_report"].open and trust["bug_report"].score is None and trust["bug_report"].samples == 0


def test_an_app_with_auto_send_off_has_every_category_closed(database_url: str) -> None:
    seed()
    rows = [(row.category, row.samples, row.open, row.reason) for row in _figures()["other"].trust]
    assert rows == [("refund", 1, False, "auto-send is off for this app"), (None, 0, False, "auto-send is off for this app")]


def test_apps_are_counted_apart(database_url: str) -> None:
    seed()
    other = _figures()["other"]
    assert (other.messages, other.drafts_created, other.auto_sent, other.approvals_pending) == (1, 1, 0, 1)
    assert other.replies == {"unchanged": 0, "minor_edit": 0, "major_rewrite": 9, "no_draft": 0}
    assert other.timed_drafts == 1 and other.webhook_to_draft_p50 == pytest.approx(60.0, abs=0.002)


def test_the_trend_has_every_day_of_the_window_zero_filled(database_url: str) -> None:
    seed()
    trend = _figures(7)["acme"].trend

    assert [day.day for day in trend] == [first_day(7) + timedelta(days=n) for n in range(7)]
    today, yesterday, two_days_ago = trend[-1], trend[-2], trend[-3]
    assert (today.messages, today.drafts, today.auto_sent, today.unchanged) == (2, 17, 1, 8)  # drafts n = 1..15 hours ago (15: midnight)
    assert (yesterday.messages, yesterday.drafts, yesterday.auto_sent, yesterday.minor_edit) == (1, 6, 1, 3)
    assert (two_days_ago.major_rewrite, two_days_ago.no_draft) == (2, 1)
    assert sum(day.unchanged for day in trend) == 12  # the 45-day-old count is outside
    assert all(day.messages == day.drafts == 0 for day in trend[:-5])


def test_a_shorter_window_counts_less(database_url: str) -> None:
    seed()
    acme = _figures(1)["acme"]
    assert acme.messages == 2 and acme.replies["unchanged"] == 8 and acme.approvals_decided["rejected"] == 0


def test_no_apps_no_queries(database_url: str) -> None:
    assert summaries(Window.last(30, now=NOW), []) == []


def test_the_queries_aggregate_in_sql_whatever_the_row_count(sqlite_url: str) -> None:
    """As many statements for 200 more drafts and signals, and no statement loads drafts' or signals' rows."""
    from sqlalchemy import event

    from lib.db import get_db
    from lib.db.models import Draft, ReplySignal

    seed()
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(get_db().engine, "before_cursor_execute", count)
    _figures()
    before = len(statements)
    with get_db().session() as session:
        for n in range(200):
            session.add(Draft(conversation_id=f"cnv_more{n}", body="x" * 1000, app_id=registry.get_app("acme").id, category="refund",
                              received_at=NOW - timedelta(seconds=n + 1), created_at=NOW))
            session.add(ReplySignal(message_id=f"more{n}", app_id=registry.get_app("acme").id, conversation_id="c", kind="unchanged",
                                    sent_at=NOW, created_at=NOW))
    statements.clear()
    assert _figures()["acme"].drafts_created == 223
    assert len(statements) == before
    loaded = [s for s in statements if "drafts.body" in s or "reply_signals" in s]
    assert loaded == []
