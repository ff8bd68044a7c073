"""Trust scores: the decayed acceptance rate, kept incrementally, and concurrent updates that lose nothing."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from lib.trust import scores, store
from lib.trust.scores import HALF_LIFE, Sums, add

T0 = datetime(2026, 11, 1, 12, 0)


def test_weights_unchanged_counts_fully_minor_edit_half_rewrite_not_at_all() -> None:
    sums = None
    for kind in ("unchanged", "minor_edit", "major_rewrite"):
        sums = add(sums, kind, T0)
    assert sums is not None and sums.samples == 3 and sums.score == pytest.approx(1.5 / 3)


def test_a_signal_one_half_life_old_weighs_half() -> None:
    sums = add(add(None, "major_rewrite", T0), "unchanged", T0 + HALF_LIFE)
    # the rewrite decayed to 0.5: accepted 1, total 1.5
    assert sums.score == pytest.approx(1 / 1.5) and sums.decayed_to == T0 + HALF_LIFE and sums.samples == 2


def test_a_late_signal_is_decayed_to_the_stored_time_and_order_does_not_matter() -> None:
    in_order = add(add(None, "major_rewrite", T0), "unchanged", T0 + HALF_LIFE)
    late = add(add(None, "unchanged", T0 + HALF_LIFE), "major_rewrite", T0)
    assert late.score == pytest.approx(in_order.score) and late.decayed_to == T0 + HALF_LIFE


def test_decay_alone_leaves_the_score_unchanged() -> None:
    sums = Sums(accepted=3.0, total=4.0, samples=4, decayed_to=T0)
    later = add(add(sums, "unchanged", T0 + timedelta(days=90)), "major_rewrite", T0 + timedelta(days=90))
    assert 0 < later.score < 1 and sums.score == 0.75


def _signal(n: int, kind: str = "unchanged", category: str | None = "billing", at: datetime = T0) -> store.NewSignal:
    return store.NewSignal(message_id=f"msg_{n}", conversation_id=f"cnv_{n}", kind=kind, sent_at=at, app_id=1,  # type: ignore[arg-type]
                           category=category, draft_text="d", sent_text="s")


def test_a_signal_is_recorded_once_and_moves_count_and_trust(database_url: str) -> None:
    from sqlalchemy import select

    from lib.db import get_db
    from lib.db.models import ReplySignalDay

    assert store.record(_signal(1)) is True
    assert store.record(_signal(1)) is False  # the same message again: a replayed webhook
    assert store.record(_signal(2, "major_rewrite")) is True
    assert store.record(_signal(3, "no_draft", category=None)) is True
    trust = scores.trust_for(1, "billing")
    assert trust is not None and (trust.samples, trust.score) == (2, pytest.approx(0.5))
    assert scores.trust_for(1, None) is None  # no_draft never counts
    with get_db().session() as session:
        days = {(r.category, r.kind): r.count for r in session.scalars(select(ReplySignalDay))}
    assert days == {("billing", "unchanged"): 1, ("billing", "major_rewrite"): 1, ("", "no_draft"): 1}


def test_concurrent_signals_lose_no_update(database_url: str) -> None:
    workers = 8
    start = threading.Barrier(workers)
    errors: list[BaseException] = []

    def one(n: int) -> None:
        try:
            start.wait()
            store.record(_signal(n, "unchanged" if n % 2 else "major_rewrite"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    trust = scores.trust_for(1, "billing")
    assert trust is not None and trust.samples == workers and trust.score == pytest.approx(0.5)
