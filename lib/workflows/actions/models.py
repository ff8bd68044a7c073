"""What the actions workflow's steps take and return (see `lib.workflows.results`, home of `FinishedAction`, which the inbound run reads too)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from lib.payments.refunds import Refund
from lib.workflows.results import Comment, FinishedAction, StepResult

__all__ = ["AccessRevoked", "ActionToRun", "Claim", "Comment", "Execution", "FinishedAction", "Refund", "Refunded",
           "RefundOutcome"]


class ActionToRun(BaseModel):
    """The stored action as the executing run sees it."""

    id: str
    type: str
    parameters: dict[str, Any]
    status: str
    app_id: int | None = None
    conversation_id: str
    customer_email: str | None = None


class Claim(StepResult):
    """`claim-action`: the action, or why this run leaves it alone (and its status then)."""

    action: ActionToRun | None = None
    status: str | None = None


class Execution(StepResult):
    """What carrying the action out gave: its `result`, or why not (`manual`: a teammate must do it)."""

    result: dict[str, Any] | None = None
    manual: bool = False


class Refunded(StepResult):
    """`stripe-refund`: the refund Stripe made, or its refusal (`code`: Stripe's error code)."""

    refund: Refund | None = None
    code: str | None = None


class AccessRevoked(StepResult):
    """`revoke-access`: the app's answer, or why access stays."""

    answer: dict[str, Any] | None = None


class RefundOutcome(StepResult):
    """`process-refund`'s output (and a refund action's result): the settled refund and what happened to access."""

    refund: Refund | None = None
    access: AccessRevoked | None = None
