"""The approval store on SQLite and MariaDB: one request per action, decided once, expiry refuses late decisions."""

from datetime import timedelta

import pytest

from lib import audit
from lib.actions import store as actions
from lib.approvals import store
from lib.db.models import utcnow
from tests.approvals.conftest import make_action


def test_open_request_is_idempotent_and_moves_the_action(database_url: str) -> None:
    action_id = make_action()
    first = store.open_request(action_id)
    again = store.open_request(action_id, expires_in=timedelta(minutes=1))
    assert first.status == store.PENDING and again.expires_at == first.expires_at
    assert timedelta(hours=23, minutes=59) < first.expires_at - utcnow() <= timedelta(hours=24)
    assert actions.get_action(action_id).status == actions.PENDING_APPROVAL
    assert [e["kind"] for e in audit.entries(action_id=action_id)] == ["approval.requested"]
    assert first.customer_email == "ann@example.com" and first.parameters["purchaseId"] == "pur_9"
    with pytest.raises(LookupError, match="does not exist"):
        store.open_request("act_missing")


def test_two_decisions_decide_once_and_the_second_learns_who_won(database_url: str) -> None:
    action_id = make_action()
    store.open_request(action_id)
    first = store.decide(action_id, "approved", "slack:ann", "slack")
    assert first.outcome == "recorded" and first.request.decided_by == "slack:ann"
    meanwhile = store.decide(action_id, "rejected", "web:bob", "web", reason="too late")
    assert meanwhile.outcome == "deciding" and "try again" in meanwhile.message  # not handed over yet: may be reverted
    assert store.confirm_handover(action_id, "slack:ann", first.request.decided_at) is True
    assert store.revert(action_id, "slack:ann", first.request.decided_at) is False  # a decision handed over stands
    second = store.decide(action_id, "rejected", "web:bob", "web", reason="too late")
    assert second.outcome == "already_decided"
    assert second.request.status == "approved" and second.request.decided_by == "slack:ann"
    assert "already approved by slack:ann at " in second.message
    assert actions.get_action(action_id).status == actions.APPROVED
    assert [e["kind"] for e in audit.entries(action_id=action_id)] == ["approval.requested", "action.approved"]
    assert store.pending() == []


def test_a_decision_after_expiry_is_refused(database_url: str) -> None:
    action_id = make_action()
    store.open_request(action_id)
    late = store.decide(action_id, "approved", "web:ann", "web", now=utcnow() + timedelta(hours=25))
    assert late.outcome == "expired" and late.request.status == store.PENDING  # the workflow marks it expired
    assert store.expire(action_id) is True
    assert store.expire(action_id) is False
    refused = store.decide(action_id, "approved", "web:ann", "web")
    assert refused.outcome == "expired" and refused.message.startswith("expired")
    assert actions.get_action(action_id).status == actions.EXPIRED
    assert store.get(action_id).decided_by is None


def test_expire_does_not_undo_a_decision(database_url: str) -> None:
    action_id = make_action()
    store.open_request(action_id)
    store.decide(action_id, "rejected", "web:bob", "web", reason="not eligible")
    assert store.expire(action_id) is False
    assert store.get(action_id).status == "rejected" and store.get(action_id).reason == "not eligible"


def test_revert_makes_the_request_pending_again(database_url: str) -> None:
    action_id = make_action()
    store.open_request(action_id)
    recorded = store.decide(action_id, "approved", "web:ann", "web").request
    assert store.revert(action_id, "web:other", recorded.decided_at) is False  # only the decision it made
    assert store.revert(action_id, "web:ann", recorded.decided_at) is True
    assert store.get(action_id).status == store.PENDING
    assert actions.get_action(action_id).status == actions.PENDING_APPROVAL
    assert store.decide(action_id, "rejected", "web:bob", "web").outcome == "recorded"


def test_pending_lists_only_open_unexpired_requests_with_action_details(database_url: str) -> None:
    for n in range(3):
        make_action(f"act_{n}", conversation_id=f"cnv_{n}")
        store.open_request(f"act_{n}", expires_in=timedelta(hours=1) if n != 2 else timedelta(seconds=-1))
    store.decide("act_1", "approved", "web:ann", "web")
    listed = store.pending()
    assert [p.action_id for p in listed] == ["act_0"]
    assert listed[0].conversation_id == "cnv_0" and listed[0].agent_reasoning.startswith("Bought twice")
    assert store.decide("act_unknown", "approved", "web:ann", "web").outcome == "unknown"
    with pytest.raises(ValueError, match="approved' or 'rejected"):
        store.decide("act_0", "maybe", "web:ann", "web")  # type: ignore[arg-type]


def test_concurrent_clicks_record_exactly_one_decision(database_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    action_id = make_action()
    store.open_request(action_id)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda n: store.decide(action_id, "approved" if n % 2 else "rejected", f"web:user{n}", "web"), range(8)))
    recorded = [r for r in results if r.outcome == "recorded"]
    assert len(recorded) == 1  # the others hear "being decided": its hand-over has not happened
    assert all(r.outcome == "deciding" and r.request.decided_by == recorded[0].request.decided_by for r in results if r is not recorded[0])
    assert [e["kind"] for e in audit.entries(action_id=action_id)].count(f"action.{recorded[0].request.status}") == 1


def test_a_hand_over_abandoned_past_its_limit_is_replaced_by_the_next_decision(database_url: str) -> None:
    """The first approver's function died between recording and Inngest's answer: nobody stays stuck on "try again"."""
    action_id = make_action()
    store.open_request(action_id)
    first = store.decide(action_id, "approved", "slack:ann", "slack")
    soon = first.request.decided_at + store.HANDOVER_ABANDONED_AFTER - timedelta(seconds=1)
    assert store.decide(action_id, "rejected", "web:bob", "web", now=soon).outcome == "deciding"  # may still be in flight

    later = first.request.decided_at + store.HANDOVER_ABANDONED_AFTER + timedelta(seconds=1)
    second = store.decide(action_id, "rejected", "web:bob", "web", reason="not eligible", now=later)

    assert second.outcome == "recorded" and second.request.status == "rejected" and second.request.decided_by == "web:bob"
    assert actions.get_action(action_id).status == actions.REJECTED
    assert store.revert(action_id, "slack:ann", first.request.decided_at) is False  # the dead one cannot undo it
    assert "approval.handover_abandoned" in [e["kind"] for e in audit.entries(action_id=action_id)]


def test_a_handed_over_decision_is_never_replaced_however_old(database_url: str) -> None:
    action_id = make_action()
    store.open_request(action_id)
    first = store.decide(action_id, "approved", "slack:ann", "slack")
    assert store.confirm_handover(action_id, "slack:ann", first.request.decided_at)
    much_later = first.request.decided_at + timedelta(hours=1)
    assert store.decide(action_id, "rejected", "web:bob", "web", now=much_later).outcome == "already_decided"
    assert actions.get_action(action_id).status == actions.APPROVED
