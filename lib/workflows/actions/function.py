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
from typing import Any

import inngest

from lib.actions import execution
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


@get_client().create_function(
    fn_id="process-refund",
    name="Refund a purchase through Stripe",
    trigger=inngest.TriggerEvent(event=REFUND_REQUESTED.name),
    retries=5,
)
def process_refund(ctx: inngest.ContextSync) -> dict[str, Any]:
    requested = REFUND_REQUESTED.parse(ctx.event.data)
    action_id, purchase_id = requested.action_id, requested.purchase_id

    refunded = ctx.step.run("stripe-refund", execution.stripe_refund, action_id, purchase_id, requested.reason)
    if not refunded["refunded"]:
        # Recorded by the step; retrying cannot change Stripe's answer, so the run fails now.
        raise inngest.NonRetriableError(f"refund refused: {refunded['error']}")
    refund = _settled(ctx, action_id, refunded["refund"])
    if refund.get("status") != SUCCEEDED:
        # failed/canceled: nothing reached the customer; still pending: a teammate follows it. Either way not done.
        raise inngest.NonRetriableError(execution.refund_not_done(refund, sum(execution.refund_waits(), timedelta())))

    try:
        access = ctx.step.run("revoke-access", execution.revoke_access, action_id, purchase_id, requested.reason)
    except inngest.StepError as exc:
        # The money is back with the customer; a revoke that keeps failing is for a teammate, not a reason to fail.
        access = {"revoked": False, "reason": f"the app stayed unavailable: {exc}"}

    completed = RefundCompleted(
        action_id=action_id,
        purchase_id=purchase_id,
        refund_id=refund["id"],
        amount=refund.get("amount"),
        currency=refund.get("currency"),
    )
    ctx.step.send_event("refund-completed", REFUND_COMPLETED.build(completed, id=f"refund-completed-{action_id}"))
    return {"refunded": True, "refund": refund, "access": access}


def _settled(ctx: inngest.ContextSync, action_id: str, refund: dict[str, Any]) -> dict[str, Any]:
    """Wait while Stripe has the refund `pending`/`requires_action`: its webhook wakes us, a poll covers a missed one."""
    for n, wait in enumerate(execution.refund_waits(), start=1):
        if refund.get("status") not in WAITING:
            break
        update = ctx.step.wait_for_event(
            f"await-refund-update-{n}", event=REFUND_UPDATED.name, if_exp=REFUND_UPDATE_MATCH.expression, timeout=wait
        )
        if update is not None:
            refund = ctx.step.run(f"record-refund-update-{n}", execution.record_refund_update, action_id, dict(update.data))
        else:
            refund = ctx.step.run(f"check-refund-{n}", execution.check_refund, action_id, refund["id"])
    return refund


def _execute(ctx: inngest.ContextSync, action: dict[str, Any]) -> dict[str, Any]:
    params = action.get("parameters") or {}
    if action["type"] == ActionType.REFUND:
        if not params.get("purchaseId"):
            return execution.failure("the refund names no purchaseId")
        request = RefundRequested(
            purchase_id=str(params["purchaseId"]),
            reason=str(params.get("reason") or "requested by the customer"),
            action_id=action["id"],
        )
        try:
            refunded = ctx.step.invoke("process-refund", function=process_refund, data=request.wire())
        except inngest.StepError as exc:
            return execution.failure(f"process-refund failed: {exc}")
        return {"ok": True, "result": refunded}
    try:
        return ctx.step.run(f"execute-{action['type']}", execution.run_integration_action, action)
    except inngest.StepError as exc:
        return execution.failure(f"{action['type']} kept failing: {exc}")


POLICY = "app policy"  # `decided_by` when no human had to approve


@get_client().create_function(
    fn_id="execute-approved-action",
    name="Execute an approved action",
    trigger=inngest.TriggerEvent(event=ACTION_APPROVED.name),
    idempotency="event.data.actionId",
    retries=3,
)
def execute_approved_action(ctx: inngest.ContextSync) -> dict[str, Any]:
    """The finished action (`status` completed|failed), or why it was left alone (`skipped`)."""
    approved = ACTION_APPROVED.parse(ctx.event.data)
    action_id = approved.action_id

    claimed = ctx.step.run("claim-action", execution.claim, action_id, ctx.run_id)
    if not claimed["claimed"]:
        return {"id": action_id, "status": claimed.get("status"), "skipped": claimed["reason"]}
    action = claimed["action"]

    outcome = _execute(ctx, action)
    finished = ctx.step.run("finish-action", execution.finish, action_id, ctx.run_id, outcome)
    ctx.step.run("comment-outcome", execution.comment_outcome, action["conversation_id"], finished, approved.decided_by)
    return finished


FUNCTIONS = [execute_approved_action, process_refund]
