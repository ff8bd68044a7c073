"""Bodies of the steps that carry out a stored action: plain functions returning the models in `models.py`.

An action executes once. `claim` moves it to `executing` by compare-and-set and
remembers the claiming run, so a duplicate `action/approved` (or an event for an
action nobody approved) finds nothing to claim, while a retry of the claiming
step itself recognises its own run and goes on. `finish` closes it the same
way. Outcomes a retry cannot change (the app does not support the action, the
parameters are wrong) are returned as `done=False` instead of raised, so
the step is memoized and the run records them; only "try later" errors raise.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from lib import audit
from lib.actions.kinds import ActionType
from lib.inngest.events import RefundUpdated
from lib.payments.refunds import WAITING, Refund
from lib.workflows.actions.models import AccessRevoked, ActionToRun, Claim, Comment, Execution, FinishedAction, Refunded, RefundOutcome

if TYPE_CHECKING:
    from lib.actions.store import ActionRecord  # the store (and SQLAlchemy) loads when a step runs: lib.workflows' import rule

logger = logging.getLogger("support.actions")

ACTOR = "workflow"

# What each integration-backed kind calls on the app, and the parameters it needs.
REQUIRED = {
    ActionType.LICENSE_TRANSFER: ("purchaseId", "fromEmail", "toEmail"),
    ActionType.EMAIL_CHANGE: ("fromEmail", "toEmail"),
    ActionType.MAGIC_LINK: ("email",),
}


def claim(action_id: str, run_id: str) -> Claim:
    """Take the action for this run: approved ones, or proposed ones that need no approval."""
    from lib.actions import store
    record = store.get_action(action_id)
    if record is None:
        return Claim(done=False, reason=f"no action {action_id!r} is stored")
    claimable = [store.APPROVED] if record.requires_approval else [store.PROPOSED, store.APPROVED]
    if store.transition(action_id, from_=claimable, to=store.EXECUTING, execution_run_id=run_id):
        audit.record(ACTOR, "action.executing", action_id=action_id, conversation_id=record.conversation_id, run_id=run_id)
    claimed = _stored(action_id)
    if not (claimed.status == store.EXECUTING and claimed.execution_run_id == run_id):  # ours, or a retry of our claim
        logger.info("action %s is %s; run %s leaves it alone", action_id, claimed.status, run_id)
        return Claim(done=False, reason=f"the action is {claimed.status}", status=claimed.status)
    return Claim(done=True, action=ActionToRun.model_validate(claimed.model_dump()), status=claimed.status)


def _stored(action_id: str) -> ActionRecord:
    from lib.actions import store
    record = store.get_action(action_id)
    if record is None:
        raise LookupError(f"action {action_id!r} vanished while its run held it")
    return record


def finish(action_id: str, run_id: str, outcome: Execution) -> FinishedAction:
    """Record the outcome once; a repeat returns what was recorded."""
    from lib.actions import store
    from lib.db.models import utcnow

    status = store.COMPLETED if outcome.done else store.FAILED
    # A failure keeps whatever the action already holds (a refund made before a later step failed).
    fields: dict[str, Any] = {"result": outcome.result, "executed_at": utcnow()} if outcome.done else {}
    fields["error"] = None if outcome.done else str(outcome.reason or "failed")[:5000]
    changed = store.transition(action_id, from_=[store.EXECUTING], to=status, **fields)
    record = _stored(action_id)
    if changed:
        audit.record(ACTOR, f"action.{status}", action_id=action_id, conversation_id=record.conversation_id,
                     run_id=run_id, error=fields["error"])
    return FinishedAction(done=record.status == store.COMPLETED, reason=record.error, id=record.id, type=record.type,
                          status=record.status, result=record.result)


def failure(reason: str, *, manual: bool = False) -> Execution:
    return Execution(done=False, reason=reason, manual=manual)


def run_integration_action(action: ActionToRun) -> Execution:
    """A transfer, email change or magic link through the app's integration."""
    from lib.apps.integration import IntegrationClient, IntegrationError, IntegrationUnavailable, IntegrationUnsupported
    from lib.apps.registry import UnknownApp, get_app_by_id

    kind = ActionType(action.type)
    params = action.parameters
    if kind not in REQUIRED:
        return failure(f"{kind} is not carried out through the app integration")
    missing = [name for name in REQUIRED[kind] if not params.get(name)]
    if missing:
        return failure(f"{kind} is missing {', '.join(missing)}")
    if action.app_id is None:
        return failure("the action names no registered app; a teammate must do it by hand", manual=True)
    try:
        client = IntegrationClient(get_app_by_id(action.app_id))
        if kind == ActionType.LICENSE_TRANSFER:
            result = client.transfer_purchase(params["purchaseId"], params["fromEmail"], params["toEmail"])
        elif kind == ActionType.EMAIL_CHANGE:
            result = client.change_email(params["fromEmail"], params["toEmail"])
        else:
            result = client.generate_magic_link(params["email"])
    except IntegrationUnavailable:
        raise  # the app is down or slow: the step retries
    except IntegrationUnsupported as exc:
        return failure(f"the app cannot do this itself ({exc}); a teammate must do it by hand", manual=True)
    except (IntegrationError, UnknownApp) as exc:
        return failure(str(exc))
    return Execution(done=True, result=result)


# --- refunds (the steps of `process-refund`) -------------------------------------------------------


def stripe_refund(action_id: str, purchase_id: str, reason: str) -> Refunded:
    """Refund at Stripe once per action, and store the refund on the action at once.

    The attempt whose key is in use is stored on the action (`result.stripeAttempt`),
    marked `unsure` when its answer was a 5xx or never came. The next run then
    reconciles first: a refund carrying the action id in its metadata is the one we
    made. Only if there is none does it ask again: with a new key after a 5xx (Stripe
    replays the saved 500 for the old one), with the same key after a lost answer (that
    request may still be running at Stripe; a new key could refund twice, the same key
    cannot). `RefundUnsure` is raised after the state is stored, so the step retries.
    """
    from lib.actions import store
    from lib.payments.refunds import RefundRefused, RefundUnsure, StripeAttempt, create_refund, find_refund

    record = store.get_action(action_id)
    if record is None:
        return Refunded(done=False, reason=f"no action {action_id!r} is stored", code="unknown_action")
    params = record.parameters or {}
    account = _stripe_account(record)
    state = store.stripe_attempt(record)
    try:
        if state.unsure:
            found = find_refund(action_id=action_id, purchase_id=purchase_id, stripe_account=account, parameters=params)
            if found is not None:
                audit.record("stripe", "refund.reconciled", action_id=action_id, conversation_id=record.conversation_id,
                             refund_id=found.id, attempt=state.attempt)
                store.remember_refund(action_id, found)
                return Refunded(done=True, refund=found)
            state = StripeAttempt(attempt=state.attempt + (1 if state.unsure == "5xx" else 0))
            store.remember_attempt(action_id, state)  # before the request: a crash now must not reuse a spent key
        refund = create_refund(
            action_id=action_id,
            purchase_id=purchase_id,
            amount=params.get("amount"),
            reason=reason,
            stripe_account=account,
            parameters=params,
            attempt=state.attempt,
        )
    except RefundRefused as exc:
        audit.record("stripe", "refund.refused", action_id=action_id, conversation_id=record.conversation_id, code=exc.code, error=str(exc))
        return Refunded(done=False, reason=str(exc), code=exc.code)
    except RefundUnsure as exc:
        store.remember_attempt(action_id, StripeAttempt(attempt=state.attempt, unsure=exc.kind))
        logger.warning("refund for action %s, attempt %d: %s; the retry reconciles first", action_id, state.attempt, exc)
        raise
    store.remember_refund(action_id, refund)
    return Refunded(done=True, refund=refund)


def _stripe_account(record: ActionRecord | None) -> str | None:
    """The connected account the action's app refunds on (`Stripe-Account`), if any."""
    from lib.apps.registry import get_app_by_id

    app = get_app_by_id(record.app_id) if record is not None and record.app_id is not None else None
    return app.stripe_account if app else None


def refund_waits() -> list[timedelta]:
    """How long each wait for a pending refund's final status lasts, adding up to REFUND_PENDING_TIMEOUT_HOURS.

    Short at first (a webhook sent before the wait began is missed; the first poll
    catches it soon), then every 6 h. Read at each replay; every schedule starts
    alike, so changing the setting while runs wait only moves their deadline.
    """
    from lib import config

    total = timedelta(hours=max(config.env_int("REFUND_PENDING_TIMEOUT_HOURS"), 1))
    waits: list[timedelta] = []
    step = timedelta(minutes=15)
    while sum(waits, timedelta()) < total:
        waits.append(min(step, total - sum(waits, timedelta())))
        step = min(step * 2, timedelta(hours=6))
    return waits


def check_refund(action_id: str, refund_id: str) -> Refund:
    """Poll: the refund as Stripe has it now, stored on the action."""
    from lib.actions import store
    from lib.payments.refunds import retrieve_refund

    refund = retrieve_refund(refund_id, stripe_account=_stripe_account(store.get_action(action_id)))
    store.remember_refund(action_id, refund)
    return refund


def record_refund_update(action_id: str, update: RefundUpdated) -> Refund:
    """A `stripe/refund.updated` event (Stripe's signed webhook) for the action's refund: its status, stored."""
    from lib.actions import store
    refund = store.stored_refund(store.get_action(action_id))
    if refund is None:
        raise LookupError(f"action {action_id!r} holds no Stripe refund")
    if update.refund_id != refund.id:
        logger.warning("action %s: an update for refund %s, not ours (%s); ignored", action_id, update.refund_id, refund.id)
        return refund
    refund = refund.model_copy(update={"status": update.status, "failure_reason": update.failure_reason or refund.failure_reason})
    store.remember_refund(action_id, refund)
    return refund


def refund_not_done(refund: Refund, waited: timedelta | None = None) -> str:
    """Why a created refund does not complete the action, for the run's error and the Front comment."""
    what = refund.describe()
    if refund.status in WAITING:
        hours = round(waited.total_seconds() / 3600) if waited else "?"
        return (f"{what} is still {refund.status} after {hours} h; follow it in Stripe's dashboard "
                "and revoke access once it succeeds")
    reason = f": {refund.failure_reason}" if refund.failure_reason else ""
    return f"{what} {refund.status}{reason}; the customer got nothing back and access was left as it was"


def revoke_access(action_id: str, purchase_id: str, reason: str) -> AccessRevoked:
    """Tell the app to revoke what was refunded; unsupported or refused is recorded, not retried."""
    from lib.actions import store
    from lib.apps.integration import IntegrationClient, IntegrationError, IntegrationUnavailable, IntegrationUnsupported
    from lib.apps.registry import get_app_by_id

    record = store.get_action(action_id)
    if record is None or record.app_id is None:
        return AccessRevoked(done=False, reason="the action names no registered app")
    try:
        answer = IntegrationClient(get_app_by_id(record.app_id)).revoke_access(purchase_id, reason=reason)
    except IntegrationUnavailable:
        raise
    except IntegrationUnsupported:
        return AccessRevoked(done=False, reason="the app does not support revokeAccess")
    except IntegrationError as exc:
        return AccessRevoked(done=False, reason=str(exc))
    audit.record(ACTOR, "access.revoked", action_id=action_id, conversation_id=record.conversation_id, purchase_id=purchase_id)
    return AccessRevoked(done=True, answer=answer)


# --- telling teammates ---------------------------------------------------------------------------


def describe(finished: FinishedAction, decided_by: str | None = None) -> str:
    """One comment for teammates in Front: what was done, or what they must do by hand."""
    from lib.actions import store
    kind = finished.type.replace("_", " ")
    by = f" (approved by {decided_by})" if decided_by else ""
    if finished.status != store.COMPLETED:
        return f"Support AI: the {kind}{by} was not carried out: {finished.reason or finished.status}. Please handle it by hand."
    result = finished.result or {}
    detail = ""
    if finished.type == ActionType.REFUND:
        outcome = RefundOutcome.model_validate(result)
        detail = f" {outcome.refund.describe(str(outcome.refund.status))}." if outcome.refund else ""
        access = outcome.access or AccessRevoked(done=False, reason="unknown")
        if not access.done:
            detail += f" Access was NOT revoked ({access.reason or 'unknown'}): please revoke it by hand."
    elif finished.type == ActionType.MAGIC_LINK and isinstance(result.get("url"), str):
        detail = f" Sign-in link: {result['url']}"
    return f"Support AI: the {kind}{by} is done.{detail}"


def comment_outcome(conversation_id: str, finished: FinishedAction, decided_by: str | None = None) -> Comment:
    from lib.front.client import comment_best_effort

    text = describe(finished, decided_by)
    return Comment(done=comment_best_effort(conversation_id, text, what="Front comment on an action's outcome"), text=text)
