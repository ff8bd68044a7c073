"""A refund after Stripe answered 500 or the answer was lost: reconcile first, then a new key, never two refunds.

Stripe replays a saved 500 for the same idempotency key (docs.stripe.com/api/idempotent_requests),
so retrying with `support-refund-{action}` could never succeed. These run the step body
(`steps.stripe_refund`) as the retried step would, against the fake Stripe, which replays 500s.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from lib.actions import store
from lib.workflows.actions import steps
from lib.workflows.actions.models import Refunded
from lib.payments.client import reset_stripe
from lib.payments.refunds import idempotency_key
from devkit.sandbox.stripe_server import FakeStripe

ACTION = "act_r1"


@pytest.fixture
def fake_stripe(database_url: str) -> Iterator[FakeStripe]:
    with FakeStripe() as api:
        api.add_payment("pi_1", 100_000, "usd")
        store.create_action(action_id=ACTION, conversation_id="cnv_1", app_id=None, type="refund",
                            parameters={"purchaseId": "pi_1", "amount": 4900}, requires_approval=True, status=store.EXECUTING)
        yield api


def _step() -> Refunded:
    """One attempt of the `stripe-refund` step."""
    return steps.stripe_refund(ACTION, "pi_1", "unused")


def _keys(api: FakeStripe) -> list[str | None]:
    return [r["idempotency_key"] for r in api.requests]


def test_a_500_is_replayed_for_its_key_so_the_retry_reconciles_then_uses_a_new_key(fake_stripe: FakeStripe) -> None:
    fake_stripe.fail_next(500, "api_error")  # saved by Stripe: the SDK's own retries get it replayed

    with pytest.raises(Exception):
        _step()
    assert _keys(fake_stripe) == [idempotency_key(ACTION)] * 3 and fake_stripe.refunds == []

    refunded = _step()  # the step's retry

    assert refunded.done is True and refunded.refund.id == fake_stripe.refunds[0]["id"]
    assert len(fake_stripe.refunds) == 1
    assert _keys(fake_stripe)[3:] == [idempotency_key(ACTION, 1)]
    assert {"path": "/v1/refunds", "args": {"payment_intent": "pi_1", "limit": "100"}, "account": None} in fake_stripe.reads
    stored = store.get_action(ACTION)
    assert stored is not None and stored.result is not None and stored.result["refund"]["id"] == refunded.refund.id


def test_a_500_after_stripe_refunded_is_found_again_not_refunded_twice(fake_stripe: FakeStripe) -> None:
    fake_stripe.fail_next(500, "api_error", refund_first=True)
    with pytest.raises(Exception):
        _step()
    for n in range(105):  # other refunds of the same payment, newer than ours: ours is on the second page
        fake_stripe.add_refund("pi_1", 100, metadata={"action_id": f"act_other{n}"})

    refunded = _step()

    assert refunded.refund.id == fake_stripe.refunds[0]["id"]
    assert len(fake_stripe.refunds) == 106 and len(fake_stripe.requests) == 3  # no new creation
    assert [r["args"].get("starting_after") for r in fake_stripe.reads] == [None, fake_stripe.refunds[6]["id"]]


def test_the_attempt_is_stored_so_a_lost_answer_reuses_its_key_and_never_refunds_twice(
    fake_stripe: FakeStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIPE_MAX_NETWORK_RETRIES", "0")
    reset_stripe()
    fake_stripe.fail_next(500, "api_error")
    with pytest.raises(Exception):
        _step()
    fake_stripe.drop_after_create()  # attempt 1 refunds at Stripe, and the answer is lost
    with pytest.raises(Exception):
        _step()
    stored = store.get_action(ACTION)
    assert stored is not None and stored.result == {"stripeAttempt": {"attempt": 1, "unsure": "lost"}}

    refunded = _step()  # a new process: what is stored decides

    assert len(fake_stripe.refunds) == 1 and refunded.refund.id == fake_stripe.refunds[0]["id"]
    assert _keys(fake_stripe) == [idempotency_key(ACTION), idempotency_key(ACTION, 1)]


def test_a_lost_answer_the_listing_does_not_show_yet_is_asked_again_with_the_same_key(
    fake_stripe: FakeStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request whose answer was lost may still be running at Stripe: a new key could refund twice."""
    monkeypatch.setenv("STRIPE_MAX_NETWORK_RETRIES", "0")
    reset_stripe()
    fake_stripe.fail_next(429, "rate_limit_error")  # not saved: Stripe never began
    with pytest.raises(Exception):
        _step()

    refunded = _step()

    assert refunded.done is True and len(fake_stripe.refunds) == 1
    assert _keys(fake_stripe) == [idempotency_key(ACTION)] * 2
