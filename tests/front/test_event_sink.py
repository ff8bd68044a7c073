"""The fake Inngest Event API records what the real SDK sends, and fails on demand."""

from __future__ import annotations

import pytest

from inngest._internal.errors import SendEventsError

from lib.inngest import client
from lib.inngest.events import FRONT_OUTBOUND_SENT, OutboundSent
from devkit.sandbox.inngest_events import EventSink


def _data() -> OutboundSent:
    return OutboundSent(conversation_id="cnv_1", message_id="msg_1", front_event_id="evt_1")


def test_records_sent_events_with_id_and_camelcase_data() -> None:
    with EventSink() as sink:
        ids = client.send(FRONT_OUTBOUND_SENT, _data(), id="evt_1")
        assert ids == ["evt_1"]
        assert sink.named("front/outbound_sent")[0]["data"]["conversationId"] == "cnv_1"
        assert sink.ids == ["evt_1"]


def test_failure_raises_then_heals() -> None:
    with EventSink() as sink:
        sink.fail_with(503)
        with pytest.raises(SendEventsError):
            client.send(FRONT_OUTBOUND_SENT, _data(), id="evt_1")
        assert sink.events == []
        assert sink.requests and all(r["status"] == 503 for r in sink.requests)
        sink.fail_with(None)
        client.send(FRONT_OUTBOUND_SENT, _data(), id="evt_1")
        assert len(sink.events) == 1


def test_sdk_retries_through_a_brief_failure() -> None:
    with EventSink() as sink:
        sink.fail_with(500, times=1)
        client.send(FRONT_OUTBOUND_SENT, _data(), id="evt_1")
        assert [r["status"] for r in sink.requests] == [500, 200]
        assert len(sink.events) == 1


def test_down_sink_raises() -> None:
    with EventSink() as sink:
        sink.stop()
        with pytest.raises(SendEventsError):
            client.send(FRONT_OUTBOUND_SENT, _data(), id="evt_1")
