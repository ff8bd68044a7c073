"""Stored actions and their lifecycle, with compare-and-set transitions.

Steps retry and events can arrive twice, so every change of status is an UPDATE
guarded by the statuses it may come from: the second caller finds nothing to
change and learns that from the return value.

Lifecycle: proposed -> pending_approval -> approved | rejected | expired
           approved (or proposed, when no approval is needed) -> executing -> completed | failed
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Iterable

from pydantic import BaseModel, ConfigDict

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
    from sqlalchemy.exc import IntegrityError

    from lib.db import get_db
    from lib.db.models import Action

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
    from lib.db import get_db
    from lib.db.models import Action

    with get_db().session() as session:
        row = session.get(Action, action_id)
        return ActionRecord.model_validate(row) if row else None


def transition(action_id: str, *, from_: Iterable[str], to: str, session: Any | None = None, **fields: Any) -> bool:
    """Move an action to `to` if its status is one of `from_`; False if another caller got there first."""
    from sqlalchemy import update

    from lib.db import get_db
    from lib.db.models import Action, utcnow

    statement = (
        update(Action)
        .where(Action.id == action_id, Action.status.in_(list(from_)))
        .values(status=to, updated_at=utcnow(), **fields)
    )
    if session is not None:
        return session.execute(statement).rowcount == 1
    with get_db().session() as own:
        return own.execute(statement).rowcount == 1


ATTEMPT_KEY = "stripeAttempt"  # on the action's result while a refund is being made: {"attempt": n, "unsure": "5xx"|"lost"}


def remember_refund(action_id: str, refund: dict[str, Any]) -> None:
    """Keep the Stripe refund on the action (and in the audit log once per status), before anything else can fail."""
    from lib import audit
    from lib.db import get_db
    from lib.db.models import Action

    with get_db().session() as session:
        row = session.get(Action, action_id, with_for_update=True)
        if row is None:
            raise KeyError(f"no action {action_id!r} is stored")
        stored = (row.result or {}).get("refund") or {}
        if stored.get("id") == refund["id"] and stored.get("status") == refund.get("status"):
            return  # a re-run of the step: Stripe replayed the refund we already stored
        result = {k: v for k, v in (row.result or {}).items() if k != ATTEMPT_KEY}
        row.result = {**result, "refund": refund}
        if stored.get("id") != refund["id"]:
            audit.record("stripe", "refund.created", action_id=action_id, conversation_id=row.conversation_id, session=session,
                         refund_id=refund["id"], amount=refund.get("amount"), currency=refund.get("currency"),
                         status=refund.get("status"))
        else:
            audit.record("stripe", "refund.updated", action_id=action_id, conversation_id=row.conversation_id, session=session,
                         refund_id=refund["id"], status=refund.get("status"), failure_reason=refund.get("failureReason"))


def merge_result(action_id: str, **values: Any) -> dict[str, Any]:
    """Set keys of the action's `result` (None removes one), keeping the others; the new result.

    The refund steps keep what they learn here at once (the Stripe refund, the attempt
    whose key is in use), so a crash right after cannot make the next run forget it.
    """
    from lib.db import get_db
    from lib.db.models import Action

    with get_db().session() as session:
        row = session.get(Action, action_id, with_for_update=True)
        if row is None:
            raise KeyError(f"no action {action_id!r} is stored")
        result = {k: v for k, v in {**(row.result or {}), **values}.items() if v is not None}
        row.result = result
        return result
