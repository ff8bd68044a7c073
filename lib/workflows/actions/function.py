"""Carrying out actions: `execute-approved-action` and the `process-refund` it invokes.

execute-approved-action: claim-action -> (refund: invoke process-refund | execute-<type>) -> finish-action -> comment-outcome
process-refund: stripe-refund -> [await-refund-update-N -> record-refund-update-N | check-refund-N]* -> revoke-access -> refund-completed

Every action runs here, once, whoever approved it: a human (`action/approved`
from `request-approval`) or the app's policy (the inbound run invokes this
function with `decided_by` = `POLICY`). Invoked, it is a run of its own, so a
teammate's reply cancelling the inbound run cannot strand an action half done.
Once: one run per `actionId` (function idempotency), a compare-and-set claim,
and a Stripe idempotency key derived from the action id. A refund is its own
function too, so its retries and its record in the runs list are its own.
"""

from __future__ import annotations

from datetime import timedelta

import inngest

from lib.actions.kinds import ActionType
from lib.inngest.client import get_client
from lib.inngest.events import (
    ACTION_APPROVED,
    REFUND_COMPLETED,
    REFUND_REQUESTED,
    REFUND_UPDATE_MATCH,
    REFUND_UPDATED,
    RefundCompleted,
    RefundRequested,
)
from lib.payments.refunds import SUCCEEDED, WAITING
from lib.workflows.actions import steps
from lib.workflows.actions.models import AccessRevoked, ActionToRun, Claim, Comment, Execution, FinishedAction, Refund, Refunded, RefundOutcome


@get_client().create_function(
    fn_id="process-refund",
    name="Refund a purchase through Stripe",
    trigger=inngest.TriggerEvent(event=REFUND_REQUESTED.name),
    retries=5,
    output_type=RefundOutcome,
)
def process_refund(ctx: inngest.ContextSync) -> RefundOutcome:
    requested = REFUND_REQUESTED.parse(ctx.event.data)
    action_id, purchase_id = requested.action_id, requested.purchase_id

    refunded = ctx.step.run("stripe-refund", steps.stripe_refund, action_id, purchase_id, requested.reason, output_type=Refunded)
    if not refunded.done or refunded.refund is None:
        # Recorded by the step; retrying cannot change Stripe's answer, so the run fails now.
        raise inngest.NonRetriableError(f"refund refused: {refunded.reason}")
    refund = _settled(ctx, action_id, refunded.refund)
    if refund.status != SUCCEEDED:
        # failed/canceled: nothing reached the customer; still pending: a teammate follows it. Either way not done.
        raise inngest.NonRetriableError(steps.refund_not_done(refund, sum(steps.refund_waits(), timedelta())))

    try:
        access = ctx.step.run("revoke-access", steps.revoke_access, action_id, purchase_id, requested.reason,
                              output_type=AccessRevoked)
    except inngest.StepError as exc:
        # The money is back with the customer; a revoke that keeps failing is for a teammate, not a reason to fail.
        access = AccessRevoked(done=False, reason=f"the app stayed unavailable: {exc}")

    completed = RefundCompleted(
        action_id=action_id,
        purchase_id=purchase_id,
        refund_id=refund.id,
        amount=refund.amount,
        currency=refund.currency,
    )
    ctx.step.send_event("refund-completed", REFUND_COMPLETED.build(completed, id=f"refund-completed-{action_id}"))
    return RefundOutcome(done=True, refund=refund, access=access)


def _settled(ctx: inngest.ContextSync, action_id: str, refund: Refund) -> Refund:
    """Wait while Stripe has the refund `pending`/`requires_action`: its webhook wakes us, a poll covers a missed one."""
    for n, wait in enumerate(steps.refund_waits(), start=1):
        if refund.status not in WAITING:
            break
        update = ctx.step.wait_for_event(
            f"await-refund-update-{n}", event=REFUND_UPDATED.name, if_exp=REFUND_UPDATE_MATCH.expression, timeout=wait
        )
        if update is not None:
            refund = ctx.step.run(f"record-refund-update-{n}", steps.record_refund_update, action_id,
                                  REFUND_UPDATED.parse(update.data), output_type=Refund)
        else:
            refund = ctx.step.run(f"check-refund-{n}", steps.check_refund, action_id, refund.id, output_type=Refund)
    return refund


def _execute(ctx: inngest.ContextSync, action: ActionToRun) -> Execution:
    params = action.parameters
    if action.type == ActionType.REFUND:
        if not params.get("purchaseId"):
            return steps.failure("the refund names no purchaseId")
        request = RefundRequested(
            purchase_id=str(params["purchaseId"]),
            reason=str(params.get("reason") or "requested by the customer"),
            action_id=action.id,
        )
        try:
            refunded = ctx.step.invoke("process-refund", function=process_refund, data=request.wire())
        except inngest.StepError as exc:
            return steps.failure(f"process-refund failed: {exc}")
        return Execution(done=True, result=refunded.model_dump(mode="json"))
    try:
        return ctx.step.run(f"execute-{action.type}", steps.run_integration_action, action, output_type=Execution)
    except inngest.StepError as exc:
        return steps.failure(f"{action.type} kept failing: {exc}")


POLICY = "app policy"  # `decided_by` when no human had to approve


@get_client().create_function(
    fn_id="execute-approved-action",
    name="Execute an approved action",
    trigger=inngest.TriggerEvent(event=ACTION_APPROVED.name),
    idempotency="event.data.actionId",
    retries=3,
    output_type=FinishedAction,
)
def execute_approved_action(ctx: inngest.ContextSync) -> FinishedAction:
    """The action as this run left it: completed (`done`) or failed, or why the run left it alone (`reason`)."""
    approved = ACTION_APPROVED.parse(ctx.event.data)
    action_id = approved.action_id

    claimed = ctx.step.run("claim-action", steps.claim, action_id, ctx.run_id, output_type=Claim)
    if not claimed.done or claimed.action is None:
        return FinishedAction(done=False, reason=claimed.reason, id=action_id, status=claimed.status)
    action = claimed.action

    outcome = _execute(ctx, action)
    finished = ctx.step.run("finish-action", steps.finish, action_id, ctx.run_id, outcome, output_type=FinishedAction)
    ctx.step.run("comment-outcome", steps.comment_outcome, action.conversation_id, finished, approved.decided_by,
                 output_type=Comment)
    return finished


FUNCTIONS = [execute_approved_action, process_refund]
