from typing import Any

import json

import pytest
from pydantic import ValidationError

from lib.inngest import events
from lib.inngest.events import CATALOGUE, MATCHES, NAME_PATTERN, EventSpec


def wire_fields(spec: EventSpec[Any]) -> set[str]:
    """The camelCase field names an event's data carries on the wire."""
    return {field.alias or name for name, field in spec.data.model_fields.items()}

REQUIRED_NAMES = {
    "front/inbound_received",
    "front/outbound_sent",
    "support/approval.requested",
    "support/approval.decided",
    "action/approved",
    "action/rejected",
    "stripe/refund.completed",
}


def test_catalogue_holds_every_event_once() -> None:
    assert REQUIRED_NAMES <= set(CATALOGUE)
    specs = [v for v in vars(events).values() if isinstance(v, events.EventSpec)]
    assert sorted(s.name for s in specs) == sorted(CATALOGUE)


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_names_follow_source_entity_action(name: str) -> None:
    assert NAME_PATTERN.match(name), name


@pytest.mark.parametrize("bad", ["Front/inbound", "support.approval.decided", "support/approval/decided", "refund", "a/b.c.d"])
def test_the_convention_rejects_malformed_names(bad: str) -> None:
    assert not NAME_PATTERN.match(bad)


@pytest.mark.parametrize("match", MATCHES, ids=lambda m: f"{m.trigger.name}~{m.awaited.name}")
def test_every_matched_field_exists_on_both_sides(match: events.Match) -> None:
    assert match.field in wire_fields(match.trigger), f"{match.trigger.name} lacks {match.field}"
    assert match.field in wire_fields(match.awaited), f"{match.awaited.name} lacks {match.field}"
    assert match.expression == f"async.data.{match.field} == event.data.{match.field}"


def test_approval_wait_uses_action_id_exactly() -> None:
    assert events.APPROVAL_DECISION_MATCH.expression == "async.data.actionId == event.data.actionId"


def test_wire_is_camel_case_and_build_makes_an_sdk_event() -> None:
    data = events.ApprovalDecided(action_id="act_1", decision="approved", decided_by="ann@example.com")
    event = events.APPROVAL_DECIDED.build(data, id="decision-act_1")
    assert event.name == "support/approval.decided"
    assert event.id == "decision-act_1"
    assert event.data["actionId"] == "act_1" and "action_id" not in event.data
    assert events.APPROVAL_DECIDED.parse(event.data) == data


def test_build_refuses_the_wrong_payload_type() -> None:
    data = events.ActionRejected(action_id="a", conversation_id="c", app_id="x", decided_by="y")
    with pytest.raises(TypeError, match="support/approval.decided carries ApprovalDecided"):
        events.APPROVAL_DECIDED.build(data)  # type: ignore[arg-type]


def test_parse_rejects_incomplete_data() -> None:
    with pytest.raises(ValidationError, match="actionId"):
        events.APPROVAL_DECIDED.parse({"decision": "approved", "decidedBy": "x"})
    with pytest.raises(ValidationError, match="decision"):
        events.APPROVAL_DECIDED.parse({"actionId": "a", "decision": "maybe", "decidedBy": "x"})


def test_texts_are_cut_utf8_safe_and_a_cut_body_is_marked() -> None:
    from lib.inngest.events import MAX_SHORT_TEXT_BYTES, MAX_TEXT_BYTES, InboundReceived, truncate_utf8

    assert truncate_utf8("héllo", 2) == ("h", True)  # never half of "é"
    assert truncate_utf8("héllo", 3) == ("hé", True)
    assert truncate_utf8("héllo", 6) == ("héllo", False)
    ids = dict(conversation_id="c", message_id="m", inbox_id="i", app_id="a", front_event_id="e")
    small = InboundReceived(**ids, body="hi")
    assert small.body == "hi" and small.body_truncated is False
    big = InboundReceived(**ids, body="€" * MAX_TEXT_BYTES, subject="s" * 5000, sender_name="ñ" * 5000)
    assert big.body_truncated is True and big.body == "€" * (MAX_TEXT_BYTES // 3)
    assert len((big.subject or "").encode()) <= MAX_SHORT_TEXT_BYTES and len((big.sender_name or "").encode()) <= MAX_SHORT_TEXT_BYTES
    again = InboundReceived.model_validate(big.wire())  # the workflow parses what was sent: still marked
    assert again.body_truncated is True and again.body == big.body


def test_every_event_with_user_text_stays_under_inngests_limit_and_build_refuses_more() -> None:
    from lib.inngest.events import (
        APPROVAL_DECIDED, APPROVAL_REQUESTED, MAX_EVENT_BYTES, REFUND_REQUESTED, ActionSpec, ApprovalDecided,
        ApprovalRequested, EventTooLarge, RefundRequested,
    )

    huge = "\u0001" * 1_000_000  # escapes to six bytes each on the wire
    for spec, data in (
        (APPROVAL_REQUESTED, ApprovalRequested(action_id="a", conversation_id="c", app_id="x", action=ActionSpec(type="refund"),
                                               agent_reasoning=huge, customer_email=huge)),
        (APPROVAL_DECIDED, ApprovalDecided(action_id="a", decision="rejected", decided_by=huge, reason=huge)),
        (REFUND_REQUESTED, RefundRequested(purchase_id="p", reason=huge, action_id="a")),
    ):
        event = spec.build(data, id="x")
        assert len(json.dumps(event.to_dict()).encode()) < MAX_EVENT_BYTES
    too_big = ApprovalRequested(action_id="a", conversation_id="c", app_id="x", agent_reasoning="r",
                                action=ActionSpec(type="refund", parameters={"note": "x" * MAX_EVENT_BYTES}))
    with pytest.raises(EventTooLarge, match="Inngest takes at most 262144"):
        APPROVAL_REQUESTED.build(too_big)
