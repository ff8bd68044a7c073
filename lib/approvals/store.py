"""Approval requests: one per action, decided once, by compare-and-set.

Two approvers can click at the same moment (Slack and the web page, or a double
click), and the workflow records the same decision again when its event
arrives. Every change is therefore an UPDATE guarded by the current status (and,
for a decision, by the expiry), and the loser learns why from the outcome:

- ``recorded``: this call decided it;
- ``already_decided``: someone decided before (``request`` says who and when);
- ``expired``: the request timed out first;
- ``deciding``: someone decided a moment ago and the decision is still being
  handed to the workflow; it may yet be reverted (the send failed), so the caller
  must try again rather than hear that it stands;
- ``unknown``: no approval request exists for this action.

Request statuses: pending -> approved | rejected | expired. The action's own
status follows (pending_approval -> approved | rejected | expired). A decision
made by an approver stands once `handed_over_at` is set (its event was accepted);
until then `revert` may put it back to pending.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from lib import audit
from lib.actions import store as actions
from lib.db import get_db
from lib.db.models import Action, App, ApprovalRequest, utcnow
from lib.approvals import APPROVAL_TTL
from lib.approvals.notify import Notified

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
EXPIRED = "expired"
# A decision recorded but never confirmed as handed over after this long was abandoned: the
# function recording it died between the write and Inngest's answer (its send is bounded to
# seconds and a function to 30 s on Vercel). Another decision may then take its place.
HANDOVER_ABANDONED_AFTER = timedelta(seconds=60)

Decision = Literal["approved", "rejected"]
DecisionOutcome = Literal["recorded", "already_decided", "deciding", "expired", "unknown"]


class ApprovalView(BaseModel):
    """A request with the action it is about: what the approver needs to see."""
    action_id: str
    status: str
    expires_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_channel: str | None = None
    reason: str | None = None
    notified: Notified | None = None
    handed_over_at: datetime | None = None
    created_at: datetime | None = None
    conversation_id: str
    action_type: str
    parameters: dict[str, Any]
    action_status: str
    agent_reasoning: str | None = None
    customer_email: str | None = None
    app_name: str | None = None
    category: str | None = None
    confidence: float | None = None

    @property
    def decided(self) -> bool:
        return self.status in (APPROVED, REJECTED)

    @property
    def handing_over(self) -> bool:
        """Decided, but the workflow has not got it yet: the decision may still be reverted."""
        return self.decided and self.handed_over_at is None

    @property
    def open(self) -> bool:
        """Still decidable: pending and not past its expiry (the workflow may not have marked it yet)."""
        return self.status == PENDING and self.expires_at > _now()

    def describe(self) -> str:
        """One sentence on the state, for 409 answers and Slack updates."""
        if self.handing_over:
            return f"being {self.status} by {self.decided_by} right now (handing it to the workflow); try again in a moment"
        if self.decided:
            when = self.decided_at.strftime("%Y-%m-%d %H:%M:%S UTC") if self.decided_at else "an unknown time"
            return f"already {self.status} by {self.decided_by} at {when}"
        if self.status == EXPIRED or not self.open:
            return "expired: nobody decided within the time allowed"
        return "pending"


class DecisionResult(BaseModel):
    outcome: DecisionOutcome
    request: ApprovalView | None = None

    @property
    def message(self) -> str:
        if self.outcome == "unknown" or self.request is None:
            return "no approval request exists for this action"
        if self.outcome == "recorded":
            return f"{self.request.status} by {self.request.decided_by}"
        if self.outcome == "expired":
            return "expired: nobody decided within the time allowed, so this decision changes nothing"
        return self.request.describe()


def _now() -> datetime:
    return utcnow()


def open_request(action_id: str, expires_in: timedelta = APPROVAL_TTL) -> ApprovalView:
    """Create the request (once) and move the action proposed -> pending_approval; a repeat returns the stored one."""
    if actions.get_action(action_id) is None:
        raise LookupError(f"action {action_id!r} does not exist; store it before asking for approval")
    if get(action_id) is None:
        try:
            with get_db().session() as session:
                session.add(ApprovalRequest(action_id=action_id, status=PENDING, expires_at=_now() + expires_in))
                session.flush()
                actions.transition(action_id, from_=[actions.PROPOSED], to=actions.PENDING_APPROVAL, session=session)
                audit.record("workflow", "approval.requested", action_id=action_id, session=session,
                             expires_in_seconds=int(expires_in.total_seconds()))
        except IntegrityError:  # a concurrent retry created it first
            pass
    view = get(action_id)
    if view is None:
        raise LookupError(f"the approval request for {action_id!r} vanished right after it was opened")
    return view


def get(action_id: str) -> ApprovalView | None:
    with get_db().session() as session:
        row = session.execute(_joined().where(ApprovalRequest.action_id == action_id)).first()
        return _view(row) if row else None


def pending(now: datetime | None = None) -> list[ApprovalView]:
    """Requests still awaiting a decision (not past their expiry), oldest first."""
    query = _joined().where(ApprovalRequest.status == PENDING, ApprovalRequest.expires_at > (now or _now())).order_by(ApprovalRequest.id)
    with get_db().session() as session:
        return [_view(row) for row in session.execute(query)]


def decide(
    action_id: str,
    decision: Decision,
    decided_by: str,
    channel: str,
    reason: str | None = None,
    now: datetime | None = None,
    *,
    handed_over: bool = False,
) -> DecisionResult:
    """Record the decision if the request is still pending and unexpired; otherwise say why not.

    `handed_over`: the workflow itself is recording it (its event arrived), so it stands at
    once, and a decision an endpoint recorded but has not confirmed yet is confirmed.
    """

    if decision not in (APPROVED, REJECTED):
        raise ValueError(f"decision must be 'approved' or 'rejected', not {decision!r}")
    if not decided_by:
        raise ValueError("decided_by must name who decided")
    at = now or _now()
    with get_db().session() as session:
        changed = session.execute(
            update(ApprovalRequest)
            .where(ApprovalRequest.action_id == action_id, ApprovalRequest.status == PENDING, ApprovalRequest.expires_at > at)
            .values(status=decision, decided_by=decided_by[:200], decided_at=at, decision_channel=channel, reason=reason,
                    handed_over_at=at if handed_over else None)
        ).rowcount == 1
        if not changed:
            # A hand-over abandoned long ago is no decision: replace it. Should its event have reached
            # Inngest after all, the workflow's record-decision takes the stored decision as the truth.
            changed = session.execute(
                update(ApprovalRequest)
                .where(ApprovalRequest.action_id == action_id, ApprovalRequest.status.in_([APPROVED, REJECTED]), ApprovalRequest.handed_over_at.is_(None),
                       ApprovalRequest.decided_at < at - HANDOVER_ABANDONED_AFTER, ApprovalRequest.expires_at > at)
                .values(status=decision, decided_by=decided_by[:200], decided_at=at, decision_channel=channel, reason=reason,
                        handed_over_at=at if handed_over else None)
            ).rowcount == 1
            if changed:
                audit.record(decided_by, "approval.handover_abandoned", action_id=action_id, session=session,
                             why=f"the earlier decision was not handed over within {HANDOVER_ABANDONED_AFTER.seconds} s")
        if changed:
            actions.transition(action_id, from_=[actions.PROPOSED, actions.PENDING_APPROVAL, actions.APPROVED, actions.REJECTED],
                               to=decision, session=session)
            audit.record(decided_by, f"action.{decision}", action_id=action_id, session=session, channel=channel, reason=reason)
        elif handed_over:  # the event of a decision an endpoint recorded reached the workflow: it stands
            session.execute(update(ApprovalRequest).where(ApprovalRequest.action_id == action_id, ApprovalRequest.status.in_([APPROVED, REJECTED]),
                                                ApprovalRequest.handed_over_at.is_(None)).values(handed_over_at=at))
    view = get(action_id)
    if view is None:
        return DecisionResult(outcome="unknown")
    if changed:
        return DecisionResult(outcome="recorded", request=view)
    if view.handing_over:
        return DecisionResult(outcome="deciding", request=view)
    if view.decided:
        return DecisionResult(outcome="already_decided", request=view)
    return DecisionResult(outcome="expired", request=view)


def confirm_handover(action_id: str, decided_by: str, decided_at: datetime) -> bool:
    """The decision's event was accepted: from now on it stands (False if it is no longer this decision)."""
    with get_db().session() as session:
        return session.execute(
            update(ApprovalRequest)
            .where(ApprovalRequest.action_id == action_id, ApprovalRequest.status.in_([APPROVED, REJECTED]), ApprovalRequest.handed_over_at.is_(None),
                   ApprovalRequest.decided_by == decided_by[:200], ApprovalRequest.decided_at == decided_at)
            .values(handed_over_at=_now())
        ).rowcount == 1


def revert(action_id: str, decided_by: str, decided_at: datetime) -> bool:
    """Undo a decision nobody heard of (its event could not be sent), so it can be made again.

    Only one not handed over yet: a decision the workflow has is never taken back.
    """

    with get_db().session() as session:
        result = session.execute(
            update(ApprovalRequest)
            .where(ApprovalRequest.action_id == action_id, ApprovalRequest.status.in_([APPROVED, REJECTED]),
                   ApprovalRequest.decided_by == decided_by[:200], ApprovalRequest.decided_at == decided_at, ApprovalRequest.handed_over_at.is_(None))
            .values(status=PENDING, decided_by=None, decided_at=None, decision_channel=None, reason=None)
        )
        if result.rowcount != 1:
            return False
        actions.transition(action_id, from_=[actions.APPROVED, actions.REJECTED], to=actions.PENDING_APPROVAL, session=session)
        audit.record(decided_by, "approval.reverted", action_id=action_id, session=session,
                     why="the decision event could not be sent")
    return True


def expire(action_id: str) -> bool:
    """Mark a still-pending request expired (the workflow's wait timed out); False if it was decided first."""
    with get_db().session() as session:
        changed = session.execute(
            update(ApprovalRequest).where(ApprovalRequest.action_id == action_id, ApprovalRequest.status == PENDING).values(status=EXPIRED)
        ).rowcount == 1
        if changed:
            actions.transition(action_id, from_=[actions.PROPOSED, actions.PENDING_APPROVAL], to=actions.EXPIRED, session=session)
            audit.record("workflow", "action.expired", action_id=action_id, session=session)
    return changed


def mark_notified(action_id: str, notified: Notified) -> None:
    """Remember where approvers were told (Slack channel and message ts, or web only)."""
    with get_db().session() as session:
        session.execute(update(ApprovalRequest).where(ApprovalRequest.action_id == action_id)
                        .values(notified=notified.model_dump(mode="json")))


def _joined() -> Any:
    return (
        select(ApprovalRequest, Action, App.name)
        .join(Action, Action.id == ApprovalRequest.action_id)
        .outerjoin(App, App.id == Action.app_id)
    )


def _view(row: Any) -> ApprovalView:
    request, action, app_name = row
    return ApprovalView(
        action_id=request.action_id,
        status=request.status,
        expires_at=request.expires_at,
        decided_by=request.decided_by,
        decided_at=request.decided_at,
        decision_channel=request.decision_channel,
        reason=request.reason,
        notified=request.notified,
        handed_over_at=request.handed_over_at,
        created_at=request.created_at,
        conversation_id=action.conversation_id,
        action_type=action.type,
        parameters=action.parameters or {},
        action_status=action.status,
        agent_reasoning=action.agent_reasoning,
        customer_email=action.customer_email,
        app_name=app_name,
        category=action.category,
        confidence=action.confidence,
    )
