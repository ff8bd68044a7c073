"""Stored actions and their lifecycle, with compare-and-set transitions.

Steps retry and events can arrive twice, so every change of status is an UPDATE
guarded by the statuses it may come from: the second caller finds nothing to
change and learns that from the return value.

Lifecycle: proposed -> pending_approval -> approved | rejected | expired
           approved (or proposed, when no approval is needed) -> executing -> completed | failed

SQLAlchemy is imported at module level: every caller (workflow steps, the approval
store) touches the database anyway, and no webhook's cold start imports this module.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Iterable

from pydantic import BaseModel, ConfigDict
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lib import audit
from lib.db import get_db
from lib.db.models import Action, utcnow
from lib.payments.refunds import Refund, StripeAttempt

PROPOSED = "proposed"
PENDING_APPROVAL = "pending_approval"
APPROVED = "approved"
REJECTED = "rejected"
EXPIRED = "expired"
EXECUTING = "executing"
COMPLETED = "completed"
FAILED = "failed"


class ActionRecord(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    conversation_id: str
    app_id: int | None = None
    type: str
    parameters: dict[str, Any]
    status: str
    requires_approval: bool
    agent_reasoning: str | None = None
    customer_email: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    executed_at: datetime | None = None
    execution_run_id: str | None = None
    category: str | None = None
    confidence: float | None = None


def action_id_for(*parts: str) -> str:
    """A stable action id from what identifies the proposal (e.g. the Front message id), so retries reuse it."""
    return "act_" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def create_action(
    *,
    action_id: str,
    conversation_id: str,
    app_id: int | None,
    type: str,
    parameters: dict[str, Any],
    requires_approval: bool,
    agent_reasoning: str | None = None,
    customer_email: str | None = None,
    status: str = PROPOSED,
    category: str | None = None,
    confidence: float | None = None,
) -> ActionRecord:
    """Store a proposed action; storing the same id again returns the stored one unchanged."""
    existing = get_action(action_id)
    if existing is not None:
        return existing
    try:
        with get_db().session() as session:
            row = Action(
                id=action_id,
                conversation_id=conversation_id,
                app_id=app_id,
                type=type,
                parameters=parameters,
                requires_approval=requires_approval,
                agent_reasoning=agent_reasoning,
                customer_email=customer_email,
                status=status,
                category=category,
                confidence=confidence,
            )
            session.add(row)
            session.flush()
            return ActionRecord.model_validate(row)
    except IntegrityError:  # a concurrent retry stored it first
        found = get_action(action_id)
        if found is None:
            raise
        return found


def get_action(action_id: str) -> ActionRecord | None:
    with get_db().session() as session:
        row = session.get(Action, action_id)
        return ActionRecord.model_validate(row) if row else None


def transition(action_id: str, *, from_: Iterable[str], to: str, session: Session | None = None, **fields: Any) -> bool:
    """Move an action to `to` if its status is one of `from_`; False if another caller got there first."""
    statement = (
        update(Action)
        .where(Action.id == action_id, Action.status.in_(list(from_)))
        .values(status=to, updated_at=utcnow(), **fields)
    )
    if session is not None:
        return session.execute(statement).rowcount == 1
    with get_db().session() as own:
        return own.execute(statement).rowcount == 1


ATTEMPT_KEY = "stripeAttempt"  # on the action's result while a refund is being made (`StripeAttempt`)
REFUND_KEY = "refund"  # on the action's result once Stripe made the refund (`Refund`)


def stored_refund(record: ActionRecord | None) -> Refund | None:
    """The Stripe refund kept on the action, if any."""
    refund = (record.result or {}).get(REFUND_KEY) if record is not None else None
    return Refund.model_validate(refund) if refund else None


def stripe_attempt(record: ActionRecord) -> StripeAttempt:
    """The refund attempt whose idempotency key is in use (attempt 0 before any)."""
    return StripeAttempt.model_validate((record.result or {}).get(ATTEMPT_KEY) or {})


def remember_refund(action_id: str, refund: Refund) -> None:
    """Keep the Stripe refund on the action (and in the audit log once per status), before anything else can fail.

    The attempt state goes: the refund's own metadata identifies it from now on.
    """
    with get_db().session() as session:
        row = _locked(session, action_id)
        stored = stored_refund(ActionRecord.model_validate(row))
        if stored is not None and stored.id == refund.id and stored.status == refund.status:
            return  # a re-run of the step: Stripe replayed the refund we already stored
        result = {k: v for k, v in (row.result or {}).items() if k != ATTEMPT_KEY}
        row.result = {**result, REFUND_KEY: refund.model_dump(mode="json")}
        if stored is None or stored.id != refund.id:
            audit.record("stripe", "refund.created", action_id=action_id, conversation_id=row.conversation_id, session=session,
                         refund_id=refund.id, amount=refund.amount, currency=refund.currency, status=refund.status)
        else:
            audit.record("stripe", "refund.updated", action_id=action_id, conversation_id=row.conversation_id, session=session,
                         refund_id=refund.id, status=refund.status, failure_reason=refund.failure_reason)


def remember_attempt(action_id: str, attempt: StripeAttempt) -> None:
    """Keep the refund attempt whose key is in use on the action's result, beside what it holds.

    Stored at once (before the request, or as soon as its answer was a 5xx or lost), so
    a crash right after cannot make the next run forget it.
    """
    with get_db().session() as session:
        row = _locked(session, action_id)
        row.result = {**(row.result or {}), ATTEMPT_KEY: attempt.model_dump(mode="json", exclude_none=True)}


def _locked(session: Session, action_id: str) -> Action:
    row = session.get(Action, action_id, with_for_update=True)
    if row is None:
        raise KeyError(f"no action {action_id!r} is stored")
    return row
