"""Who must approve an action: decided here, in code, after the model has spoken.

The model's output has no say: `requires_approval` looks only at the proposed
action, the app's `approval_policy` and the customer's records. A customer who
writes "this is pre-approved, skip approval" changes nothing here.

Defaults: refunds, license transfers and email changes (`MOVES_MONEY_OR_ACCESS`)
always need a human. An app's `approval_policy` (JSON on the app record) may relax
or tighten that with these keys:

- ``refund_auto_approve_within_days`` (int): a refund may go without approval
  when the purchase was made at most this many days ago.
- ``refund_auto_approve_max_amount`` (int, minor units e.g. cents, any currency):
  ... and the refunded amount is at most this.
  A refund is auto-approved only when at least one of these two keys is set and
  every key that is set holds, and the purchase is one of the customer's own
  purchases as the app integration reported them (with a readable date and
  amount, and the refund no larger than the purchase).
- ``auto_approve`` (list of action types): these never need approval, e.g.
  ``["license_transfer"]``.
- ``require_approval`` (list of action types): these always need approval, even
  kinds that normally do not (e.g. ``["magic_link"]``); this wins over the rest.

A magic link addressed to any email other than the customer's own always needs
approval (it grants access to whoever reads that inbox). An action missing a
parameter it needs always needs approval, with the reason naming it.
Malformed policy values count as unset, so mistakes err towards asking a human.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from lib.actions.kinds import MOVES_MONEY_OR_ACCESS, ActionType
from lib.agent.models import AppInfo, Customer, ProposedAction

REQUIRED_PARAMETERS: dict[ActionType, tuple[str, ...]] = {
    ActionType.REFUND: ("purchaseId",),
    ActionType.LICENSE_TRANSFER: ("purchaseId", "toEmail"),
    ActionType.EMAIL_CHANGE: ("fromEmail", "toEmail"),
    ActionType.MAGIC_LINK: ("email",),
}

POLICY_KEYS = (
    "refund_auto_approve_within_days",
    "refund_auto_approve_max_amount",
    "auto_approve",
    "require_approval",
)


def requires_approval(
    action: ProposedAction | None,
    app: AppInfo | dict[str, Any],
    customer: Customer | dict[str, Any] | None,
    *,
    sender_email: str | None = None,
    now: datetime | None = None,
) -> tuple[bool, str | None]:
    """`(needs_approval, why)` for a proposed action; `(False, None)` when there is no action."""
    if action is None:
        return False, None
    app = app if isinstance(app, AppInfo) else AppInfo.model_validate(app)
    if customer is not None and not isinstance(customer, Customer):
        customer = Customer.model_validate(customer)
    policy = app.approval_policy or {}
    kind = action.type
    params = action.parameters

    missing = [name for name in REQUIRED_PARAMETERS.get(kind, ()) if params.get(name) in (None, "")]
    if missing:
        return True, f"the proposed {kind} is missing {', '.join(missing)}; check it before approving"
    if kind in _types(policy.get("require_approval")):
        return True, f"the app's policy requires approval for every {kind}"
    if kind in _types(policy.get("auto_approve")):
        return False, f"the app's policy auto-approves {kind}"

    if kind == ActionType.MAGIC_LINK:
        own = {e.lower() for e in (customer.user_email if customer else None, sender_email) if e}
        if str(params["email"]).strip().lower() not in own:
            return True, "the sign-in link would go to an address that is not the customer's own"
        return False, "a sign-in link to the customer's own address"
    if kind == ActionType.REFUND:
        return _refund(params, policy, customer, now or datetime.now(timezone.utc))
    if kind in MOVES_MONEY_OR_ACCESS:
        return True, f"a {kind} moves money or access, so a human approves it"
    return True, f"unknown action type {kind}"  # pragma: no cover - every ActionType is handled above


def _refund(
    params: dict[str, Any], policy: dict[str, Any], customer: Customer | None, now: datetime
) -> tuple[bool, str]:
    within_days = _non_negative_int(policy.get("refund_auto_approve_within_days"))
    max_amount = _non_negative_int(policy.get("refund_auto_approve_max_amount"))
    if within_days is None and max_amount is None:
        return True, "refunds need approval (the app has no refund auto-approval policy)"
    purchase = customer.purchase(params["purchaseId"]) if customer else None
    if purchase is None:
        return True, f"purchase {params['purchaseId']} is not among the customer's purchases on record"
    paid = _non_negative_int(purchase.get("amount"))
    requested = _non_negative_int(params.get("amount")) if params.get("amount") is not None else paid
    if paid is None or requested is None:
        return True, "the purchase or refund amount is unknown"
    if requested > paid:
        return True, f"the refund ({requested}) is more than the purchase ({paid})"
    if max_amount is not None and requested > max_amount:
        return True, f"the refund ({requested}) is above the app's auto-approval limit ({max_amount})"
    if within_days is not None:
        purchased_at = parse_time(purchase.get("purchased_at"))
        if purchased_at is None:
            return True, "the purchase date is unknown"
        age_days = (now - purchased_at).total_seconds() / 86400
        if age_days > within_days:
            return True, f"the purchase is {int(age_days)} days old, beyond the app's {within_days}-day auto-approval window"
    terms = [f"within {within_days} days" if within_days is not None else "", f"at most {max_amount}" if max_amount is not None else ""]
    return False, "refund within the app's auto-approval policy (" + ", ".join(t for t in terms if t) + ")"


def parse_time(value: Any) -> datetime | None:
    """An aware datetime from epoch seconds/milliseconds or an ISO 8601 string; None if unreadable."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _non_negative_int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return value if isinstance(value, int) and value >= 0 else None


def _types(value: Any) -> set[str]:
    if not isinstance(value, (list, tuple, set)):
        return set()
    return {str(v) for v in value}
