"""Approval policy in code: defaults per action type and the app's `approval_policy` keys."""

from __future__ import annotations

import pytest

from lib.actions.kinds import ActionType
from lib.agent.models import ProposedAction
from lib.agent.policy import requires_approval
from tests.agent.helpers import NOW, context, purchase

POLICY = {"refund_auto_approve_within_days": 14, "refund_auto_approve_max_amount": 5000}


def _check(action: ProposedAction | None, *, policy: dict | None = None, purchases: list | None = None) -> tuple[bool, str | None]:
    ctx = context("x", policy=policy, purchases=purchases)
    return requires_approval(action, ctx["app"], ctx["customer"], sender_email="casey@example.com", now=NOW)


def refund(pid: str = "pur_1", **extra: object) -> ProposedAction:
    return ProposedAction(type=ActionType.REFUND, parameters={"purchaseId": pid, **extra})


def test_no_action_needs_no_approval() -> None:
    assert _check(None) == (False, None)


@pytest.mark.parametrize(
    "action",
    [
        refund(),
        ProposedAction(type=ActionType.LICENSE_TRANSFER, parameters={"purchaseId": "pur_1", "toEmail": "b@x.com"}),
        ProposedAction(type=ActionType.EMAIL_CHANGE, parameters={"fromEmail": "casey@example.com", "toEmail": "b@x.com"}),
    ],
)
def test_money_or_access_always_needs_approval_without_a_policy(action: ProposedAction) -> None:
    needed, why = _check(action)
    assert needed is True and why


def test_magic_link_to_own_address_is_safe_but_to_another_needs_approval() -> None:
    assert _check(ProposedAction(type=ActionType.MAGIC_LINK, parameters={"email": "Casey@Example.com"}))[0] is False
    needed, why = _check(ProposedAction(type=ActionType.MAGIC_LINK, parameters={"email": "attacker@evil.test"}))
    assert needed is True and "not the customer's own" in why


def test_refund_within_window_and_limit_is_auto_approved() -> None:
    needed, why = _check(refund(), policy=POLICY, purchases=[purchase(days_ago=3, amount=4900)])
    assert needed is False and "14 days" in why


def test_refund_outside_the_window_needs_approval() -> None:
    needed, why = _check(refund(), policy=POLICY, purchases=[purchase(days_ago=20, amount=4900)])
    assert needed is True and "20 days old" in why


def test_refund_above_the_limit_needs_approval() -> None:
    needed, why = _check(refund(), policy=POLICY, purchases=[purchase(days_ago=1, amount=9900)])
    assert needed is True and "above" in why


def test_partial_refund_below_the_limit_is_auto_approved() -> None:
    assert _check(refund(amount=2000), policy=POLICY, purchases=[purchase(days_ago=1, amount=9900)])[0] is False


def test_refund_larger_than_the_purchase_needs_approval() -> None:
    needed, why = _check(refund(amount=9000), policy={"refund_auto_approve_within_days": 14}, purchases=[purchase(amount=4900)])
    assert needed is True and "more than the purchase" in why


def test_refund_of_a_purchase_not_on_record_needs_approval() -> None:
    needed, why = _check(refund("someone-elses"), policy=POLICY)
    assert needed is True and "not among the customer's purchases" in why


def test_refund_with_unknown_purchase_date_needs_approval() -> None:
    p = purchase()
    p["purchased_at"] = "sometime"
    assert _check(refund(), policy={"refund_auto_approve_within_days": 14}, purchases=[p])[0] is True


def test_epoch_purchase_dates_are_understood() -> None:
    p = purchase()
    p["purchased_at"] = int(NOW.timestamp()) - 86400
    assert _check(refund(), policy={"refund_auto_approve_within_days": 14}, purchases=[p])[0] is False


def test_malformed_policy_values_count_as_unset() -> None:
    assert _check(refund(), policy={"refund_auto_approve_within_days": "fourteen"})[0] is True


def test_missing_parameters_need_approval() -> None:
    needed, why = _check(ProposedAction(type=ActionType.REFUND, parameters={}), policy=POLICY)
    assert needed is True and "purchaseId" in why


def test_auto_approve_and_require_approval_lists() -> None:
    transfer = ProposedAction(type=ActionType.LICENSE_TRANSFER, parameters={"purchaseId": "pur_1", "toEmail": "b@x.com"})
    assert _check(transfer, policy={"auto_approve": ["license_transfer"]})[0] is False
    link = ProposedAction(type=ActionType.MAGIC_LINK, parameters={"email": "casey@example.com"})
    assert _check(link, policy={"require_approval": ["magic_link"]})[0] is True
    assert _check(refund(), policy={**POLICY, "auto_approve": ["refund"], "require_approval": ["refund"]})[0] is True


def test_no_customer_on_record_means_refunds_need_approval() -> None:
    ctx = context("x", policy=POLICY, customer=False)
    assert requires_approval(refund(), ctx["app"], None, now=NOW)[0] is True
