"""Hypothesis profiles and the world the robustness tests run in: secrets set, a registered app, a pending action.

Profiles: `ci` (default; derandomized, so every run tries the same requests, bounded so
the module runs in about a minute) and `deep` (`HYPOTHESIS_PROFILE=deep`: random, many
more examples, for a hunt by hand).
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import TYPE_CHECKING, Iterator

import pytest
from hypothesis import HealthCheck, settings

from tests.robustness.endpoints import ACTION, ENV, INBOX

if TYPE_CHECKING:
    from devkit.sandbox.inngest_events import EventSink

_COMMON = dict(deadline=timedelta(seconds=10), database=None, print_blob=True,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                      HealthCheck.data_too_large, HealthCheck.filter_too_much])
settings.register_profile("ci", max_examples=200, derandomize=True, **_COMMON)
settings.register_profile("deep", max_examples=2000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator["EventSink"]:
    """A migrated SQLite database with an app for `INBOX` and a pending approval for `ACTION`; secrets set; a fake event API."""
    from lib.db.migrate import upgrade
    from tests.conftest import _forget_database
    from devkit.sandbox.inngest_events import EventSink
    from devkit.sandbox.server import EnvSwap

    env = EnvSwap()
    url = f"sqlite:///{tmp_path_factory.mktemp('robust') / 'test.db'}"
    upgrade(url)
    env.set({**ENV, "DATABASE_URL": url, "INNGEST_SYNC_URL": "http://127.0.0.1:9/api/inngest", "VERCEL_URL": None,
             "MAX_WEBHOOK_BYTES": None, "SLACK_BOT_TOKEN": None, "SLACK_WEBHOOK_URL": None})
    _forget_database()
    try:
        from lib.apps import registry
        from lib.approvals import store
        from tests.approvals.conftest import make_action

        registry.create_app(slug="robust", name="Robust", front_inbox_id=INBOX, auto_send=False)
        make_action(ACTION)
        store.open_request(ACTION)
        with EventSink() as sink:
            yield sink
    finally:
        _forget_database()
        env.restore()
