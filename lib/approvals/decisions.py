"""What an approver's click does, for every channel: record with compare-and-set, then tell the workflow.

The endpoint records first, so a second click answers "already decided by X at T"
and a late one "expired" at once (409), rather than both being accepted and
ignored later. Then it sends `support/approval.decided` (event id
`approval-decided-{actionId}`, so Inngest drops duplicates). If the send fails the
decision is reverted and the caller answers 502: nothing was decided that the
workflow will never hear of. Until the send is answered the decision is being
handed over (`handed_over_at` unset): a concurrent click hears "being decided,
try again", never that a decision stands which may yet be reverted. The workflow's
`record-decision` step records the same decision again, idempotently, and is the one
that sends action/approved|rejected and updates the Slack message (durable steps,
retried by Inngest).

The send is bounded (`SEND_DEADLINE_SECONDS`) because Slack gives the interactivity
URL 3 s in all. A send that times out is reverted like a failed one; if Inngest did
take it and only the answer was late, the workflow records the decision after all and
the Slack message shows it, so what approvers finally see is the stored state.
"""

from __future__ import annotations

from lib.approvals import store
from lib.approvals.store import DecisionResult
from lib.fallback import best_effort

# Slack shows the clicker an error unless the interactivity URL answers within 3 s; the
# hand-over gets this much of it, leaving the rest for verifying, recording and answering.
SEND_DEADLINE_SECONDS = 1.5

# "deciding": another decision is being handed over right now and may yet be reverted: try again.
HTTP_STATUS = {"recorded": 200, "already_decided": 409, "deciding": 409, "expired": 409, "unknown": 404}


class DecisionNotSent(RuntimeError):
    """The decision event could not be sent; the decision was reverted."""


def decided_event_id(action_id: str) -> str:
    return f"approval-decided-{action_id}"


def submit_decision(action_id: str, decision: str, decided_by: str, channel: str, reason: str | None = None,
                    response_url: str | None = None) -> DecisionResult:
    """Record and announce a decision; the outcome says whether it counted (see `HTTP_STATUS`).

    Nothing else happens here: updating the Slack message is the workflow's job, so the
    answer never waits on Slack, and the send is bounded by `SEND_DEADLINE_SECONDS`.
    """
    from lib.inngest.client import send_within
    from lib.inngest.events import APPROVAL_DECIDED, ApprovalDecided

    if decision not in (store.APPROVED, store.REJECTED):
        raise ValueError(f"decision must be 'approved' or 'rejected', not {decision!r}")
    # Built first: an event that cannot be valid must not leave a recorded decision behind.
    event = ApprovalDecided(action_id=action_id, decision=decision, decided_by=decided_by, channel=channel,  # type: ignore[arg-type]
                            reason=reason, response_url=response_url)
    result = store.decide(action_id, decision, decided_by, channel, reason)  # type: ignore[arg-type]
    if result.outcome != "recorded" or result.request is None:
        return result
    try:
        send_within(APPROVAL_DECIDED, event, id=decided_event_id(action_id), seconds=SEND_DEADLINE_SECONDS)
    except Exception as exc:
        store.revert(action_id, result.request.decided_by or decided_by, result.request.decided_at)  # type: ignore[arg-type]
        raise DecisionNotSent(f"the decision could not be handed to the workflow ({type(exc).__name__}); nothing was decided, try again") from exc
    # It stands now; if this write fails, the workflow's record-decision step confirms it.
    best_effort(lambda: store.confirm_handover(action_id, result.request.decided_by or decided_by, result.request.decided_at),  # type: ignore[union-attr, arg-type]
                what="confirming the hand-over")
    return result
