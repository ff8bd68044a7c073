"""`lib.payments.refunds` through the real `stripe` library against the fake Stripe on 127.0.0.1."""

from __future__ import annotations

from typing import Iterator

import pytest
import stripe

from lib.payments.client import reset_stripe
from lib.payments.refunds import Refund, RefundRefused, RefundUnsure, create_refund, find_refund, idempotency_key, payment_target
from devkit.sandbox.stripe_server import FakeStripe


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    with FakeStripe() as api:
        api.add_payment("pi_1", 4900, "usd")
        yield api


def _no_sdk_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_MAX_NETWORK_RETRIES", "0")
    reset_stripe()


def test_a_refund_carries_the_action_in_its_key_and_metadata(fake_stripe: FakeStripe) -> None:
    refund = create_refund(action_id="act_1", purchase_id="pi_1", amount=1000, reason="did not use it", stripe_account="acct_9")

    assert refund == Refund(id="re_fake1", status="succeeded", amount=1000, currency="usd", payment_intent="pi_1", charge="ch_1")
    assert refund.model_dump(mode="json", exclude_none=True) == {  # camelCase, as stored on the action and in step outputs
        "id": "re_fake1", "status": "succeeded", "amount": 1000, "currency": "usd", "paymentIntent": "pi_1", "charge": "ch_1"}
    [sent] = fake_stripe.requests
    assert sent["idempotency_key"] == idempotency_key("act_1")
    assert sent["account"] == "acct_9"
    assert sent["params"]["amount"] == "1000"
    assert sent["params"]["reason"] == "requested_by_customer"
    assert sent["params"]["metadata"] == {"action_id": "act_1", "purchase_id": "pi_1", "customer_reason": "did not use it"}


def test_asking_again_for_the_same_action_returns_the_first_refund(fake_stripe: FakeStripe) -> None:
    first = create_refund(action_id="act_1", purchase_id="pi_1")
    again = create_refund(action_id="act_1", purchase_id="pi_1")

    assert again == first
    assert len(fake_stripe.refunds) == 1
    assert fake_stripe.payments["pi_1"]["refunded"] == 4900


def test_a_lost_answer_is_retried_by_the_sdk_with_the_same_key(fake_stripe: FakeStripe) -> None:
    fake_stripe.drop_after_create()  # Stripe refunds, the connection dies before the answer

    refund = create_refund(action_id="act_1", purchase_id="pi_1")

    assert len(fake_stripe.refunds) == 1 and refund.id == fake_stripe.refunds[0]["id"]
    keys = [r["idempotency_key"] for r in fake_stripe.requests]
    assert keys == [idempotency_key("act_1")] * 2


def test_a_lost_answer_without_sdk_retries_raises_for_the_step_and_the_rerun_refunds_nothing_new(
    fake_stripe: FakeStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_sdk_retries(monkeypatch)
    fake_stripe.drop_after_create()

    with pytest.raises(RefundUnsure) as lost:
        create_refund(action_id="act_1", purchase_id="pi_1")
    assert lost.value.kind == "lost"
    rerun = create_refund(action_id="act_1", purchase_id="pi_1")  # what the retried step does

    assert len(fake_stripe.refunds) == 1 and rerun.id == fake_stripe.refunds[0]["id"]


@pytest.mark.parametrize(
    ("status", "kind", "error"),
    [(429, "rate_limit_error", stripe.RateLimitError), (503, "api_error", RefundUnsure)],
)
def test_errors_stripe_did_not_save_propagate_so_the_step_retries_with_the_same_key(
    fake_stripe: FakeStripe, monkeypatch: pytest.MonkeyPatch, status: int, kind: str, error: type[Exception]
) -> None:
    _no_sdk_retries(monkeypatch)
    fake_stripe.fail_next(status, kind)

    with pytest.raises(error):
        create_refund(action_id="act_1", purchase_id="pi_1")
    assert create_refund(action_id="act_1", purchase_id="pi_1").status == "succeeded"
    assert len(fake_stripe.refunds) == 1


def test_the_sdk_itself_retries_server_errors(fake_stripe: FakeStripe) -> None:
    fake_stripe.fail_next(503, "api_error", times=2)  # STRIPE_MAX_NETWORK_RETRIES=2 covers both

    assert create_refund(action_id="act_1", purchase_id="pi_1").status == "succeeded"
    assert len(fake_stripe.requests) == 3


def test_a_500_is_saved_for_its_key_and_replayed_even_to_the_sdks_retries(fake_stripe: FakeStripe) -> None:
    """Stripe's idempotency layer replays a saved 500: the same key can never succeed again."""
    fake_stripe.fail_next(500, "api_error")

    with pytest.raises(RefundUnsure) as first:
        create_refund(action_id="act_1", purchase_id="pi_1")
    with pytest.raises(RefundUnsure):
        create_refund(action_id="act_1", purchase_id="pi_1")
    fresh = create_refund(action_id="act_1", purchase_id="pi_1", attempt=1)

    assert first.value.kind == "5xx"
    assert [r["status"] for r in fake_stripe.requests] == [500] * 6 + [200]
    assert fresh.status == "succeeded" and len(fake_stripe.refunds) == 1
    assert idempotency_key("act_1", 1) == "support-refund-act_1-1" != idempotency_key("act_1")


def test_the_fake_lists_refunds_as_stripe_does_newest_first_ten_a_page(fake_stripe: FakeStripe) -> None:
    from lib.payments.client import get_stripe

    fake_stripe.add_payment("pi_2", 100_000)
    made = [fake_stripe.add_refund("pi_2", 10, metadata={"n": str(n)})["id"] for n in range(12)]
    fake_stripe.add_refund("pi_1", 10)

    first = get_stripe().v1.refunds.list(params={"payment_intent": "pi_2"})
    second = get_stripe().v1.refunds.list(params={"payment_intent": "pi_2", "starting_after": first.data[-1].id})

    assert [r.id for r in first.data] == made[::-1][:10] and first.has_more is True
    assert [r.id for r in second.data] == made[1::-1] and second.has_more is False
    with pytest.raises(stripe.InvalidRequestError):
        get_stripe().v1.refunds.list(params={"limit": 101})
    with pytest.raises(stripe.InvalidRequestError):
        get_stripe().v1.refunds.list(params={"payment": "pi_2"})  # type: ignore[typeddict-unknown-key]


def test_finding_a_refund_pages_through_the_connected_account_only(fake_stripe: FakeStripe) -> None:
    fake_stripe.add_payment("pi_2", 100_000)
    ours = fake_stripe.add_refund("pi_2", 10, metadata={"action_id": "act_9"}, account="acct_9")
    for n in range(150):
        fake_stripe.add_refund("pi_2", 10, metadata={"action_id": f"act_x{n}"}, account="acct_9")

    found = find_refund(action_id="act_9", purchase_id="pi_2", stripe_account="acct_9")
    elsewhere = find_refund(action_id="act_9", purchase_id="pi_2")  # the platform's own refunds: not there

    assert found is not None and found.id == ours["id"]
    assert elsewhere is None
    assert [r["account"] for r in fake_stripe.reads] == ["acct_9", "acct_9", None]


def test_refusals_are_permanent_and_carry_stripe_codes(fake_stripe: FakeStripe) -> None:
    create_refund(action_id="act_1", purchase_id="pi_1")

    with pytest.raises(RefundRefused) as already:
        create_refund(action_id="act_2", purchase_id="pi_1")
    with pytest.raises(RefundRefused) as missing:
        create_refund(action_id="act_3", purchase_id="pi_unknown")
    fake_stripe.add_payment("pi_2", 100)
    fake_stripe.fail_next(402, "card_error", "expired_card")
    with pytest.raises(RefundRefused) as card:
        create_refund(action_id="act_4", purchase_id="pi_2")

    assert (already.value.code, missing.value.code, card.value.code) == ("charge_already_refunded", "resource_missing", "expired_card")
    assert "already been refunded" in str(already.value)


def test_the_same_key_with_other_parameters_is_refused(fake_stripe: FakeStripe) -> None:
    create_refund(action_id="act_1", purchase_id="pi_1", amount=100)

    with pytest.raises(RefundRefused):
        create_refund(action_id="act_1", purchase_id="pi_1", amount=200)
    assert len(fake_stripe.refunds) == 1


def test_a_wrong_secret_key_is_refused_not_retried(fake_stripe: FakeStripe, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_wrong")
    reset_stripe()

    with pytest.raises(RefundRefused):
        create_refund(action_id="act_1", purchase_id="pi_1")
    assert len(fake_stripe.requests) == 1 and fake_stripe.refunds == []


def test_payment_target_names_what_stripe_refunds() -> None:
    assert payment_target("pi_1") == {"payment_intent": "pi_1"}
    assert payment_target("ch_1") == {"charge": "ch_1"}
    assert payment_target("order-7", {"paymentIntentId": "pi_7"}) == {"payment_intent": "pi_7"}
    assert payment_target("order-7", {"chargeId": "ch_7"}) == {"charge": "ch_7"}
    with pytest.raises(RefundRefused) as refused:
        payment_target("order-7")
    assert refused.value.code == "no_stripe_payment"


def test_a_missing_secret_key_is_a_clear_setting_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from lib.config import MissingSetting

    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    reset_stripe()
    with pytest.raises(MissingSetting, match="STRIPE_SECRET_KEY"):
        create_refund(action_id="act_1", purchase_id="pi_1")
    reset_stripe()
