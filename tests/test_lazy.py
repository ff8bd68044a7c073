"""`lib.lazy`: made once at first use, closed and remade after a reset."""

from __future__ import annotations

import threading

from lib.lazy import lazy, reset_all


def test_made_once_at_first_use_and_remade_after_reset() -> None:
    made: list[object] = []
    closed: list[object] = []

    @lazy(close=closed.append)
    def thing() -> object:
        made.append(object())
        return made[-1]

    assert made == []  # nothing at definition
    first = thing()
    assert thing() is first and len(made) == 1
    reset_all()
    assert closed == [first]
    assert thing() is not first and len(made) == 2
    thing.reset()
    thing.reset()  # a second reset has nothing to close
    assert len(closed) == 2


def test_concurrent_first_calls_make_one() -> None:
    made: list[int] = []
    gate = threading.Barrier(8)

    @lazy()
    def thing() -> int:
        made.append(1)
        return len(made)

    def call() -> None:
        gate.wait()
        thing()

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert made == [1]


def test_the_service_factories_are_lazy() -> None:
    """Each process-wide client is a `lazy` factory, so `reset_all` reaches it."""
    from lib.apps.integration import get_session as integration_session
    from lib.approvals.slack import get_session as slack_session
    from lib.db import get_db
    from lib.front.client import get_front
    from lib.inngest.client import get_client
    from lib.lazy import Lazy
    from lib.agent.openai_agent import get_openai
    from lib.payments.client import get_stripe

    for factory in (get_db, get_client, get_front, get_stripe, get_openai, integration_session, slack_session):
        assert isinstance(factory, Lazy), factory
