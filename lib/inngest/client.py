"""The one Inngest client, made on first use.

The SDK is imported here lazily: the webhook function only pays for it when it
first sends an event. Mode and branch environment come from `lib.config`:
Vercel deployments talk to Inngest Cloud (previews to their branch environment),
local runs to the dev server or the offline executor.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Sequence

from lib import config

if TYPE_CHECKING:
    import inngest

    from lib.inngest.events import EventData, EventSpec

_lock = threading.Lock()
_client: "inngest.Inngest | None" = None

logger = logging.getLogger("support.inngest")


def get_client() -> "inngest.Inngest":
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                _client = make_client()
    return _client


def make_client() -> "inngest.Inngest":
    import inngest

    return inngest.Inngest(
        app_id=config.env("INNGEST_APP_ID") or "support-workflows",
        is_production=config.inngest_is_production(),
        env=config.inngest_env(),
        logger=logger,
    )


def reset_client() -> None:
    """Forget the client (tests change the Inngest URLs between cases)."""
    global _client
    with _lock:
        _client = None


def send(spec: "EventSpec[Any]", data: "EventData", *, id: str | None = None) -> list[str]:
    """Send one catalogued event; raises if Inngest did not accept it."""
    return get_client().send_sync(spec.build(data, id=id))


def send_many(events: Sequence["inngest.Event"]) -> list[str]:
    return get_client().send_sync(list(events))
