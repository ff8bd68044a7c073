"""The one Inngest client, made on first use.

The SDK is imported here lazily: the webhook function only pays for it when it
first sends an event. Mode and branch environment come from `lib.config`:
Vercel deployments talk to Inngest Cloud (previews to their branch environment),
local runs to the dev server or the offline executor.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lib import config
from lib.lazy import lazy

if TYPE_CHECKING:
    import inngest

    from lib.inngest.events import EventData, EventSpec

logger = logging.getLogger("support.inngest")


@lazy()
def get_client() -> "inngest.Inngest":
    """The process-wide client."""
    return make_client()


def make_client(request_timeout: float | None = None) -> "inngest.Inngest":
    """A new client; `request_timeout` (seconds) bounds each HTTP attempt, the SDK's default is 30 s."""
    import datetime

    import inngest

    from lib.inngest.failfast import FailFastOnMissingSetting

    return inngest.Inngest(
        app_id=config.require("INNGEST_APP_ID", "it names the app"),
        is_production=config.inngest_is_production(),
        env=config.inngest_env(),
        logger=logger,
        request_timeout=None if request_timeout is None else datetime.timedelta(seconds=request_timeout),
        middleware=[FailFastOnMissingSetting],  # a missing setting fails its step at once
        serializer=inngest.PydanticSerializer(),  # steps given an `output_type` exchange pydantic models
    )


reset_client = get_client.reset  # tests change the Inngest URLs between cases


def send(spec: "EventSpec[Any]", data: "EventData", *, id: str | None = None) -> list[str]:
    """Send one catalogued event; raises if Inngest did not accept it."""
    return get_client().send_sync(spec.build(data, id=id))


class SendTimeout(TimeoutError):
    """The event was not confirmed within the deadline; Inngest may or may not have it."""


def send_within(spec: "EventSpec[Any]", data: "EventData", *, id: str | None = None, seconds: float) -> list[str]:
    """Send one catalogued event, giving up after `seconds` in all (`SendTimeout`).

    `send_sync` makes up to 5 attempts, each bounded only by the client's
    `request_timeout`, with backoff sleeps between them (about 3 s in all even when
    every attempt fails at once), so no client setting bounds the whole send. The
    SDK's async `send` does the same with `await`s, so cancelling it at the deadline
    stops it: no attempt is left running that could deliver the event after we gave
    up, only one already answered by Inngest but not yet read. The client is a
    fresh one, because the SDK's async HTTP client belongs to the thread and event
    loop that first used it.
    """
    import asyncio

    event = spec.build(data, id=id)
    client = make_client(request_timeout=seconds)

    async def bounded() -> list[str]:
        try:
            return await asyncio.wait_for(client.send(event), timeout=seconds)
        except asyncio.TimeoutError as exc:
            raise SendTimeout(f"Inngest did not confirm {spec.name} within {seconds:g} s") from exc

    return asyncio.run(bounded())

