"""`request-approval` and `notify-rejection` run with the SDK's mocked executor (waits are stubbed with the event)."""

import json
from typing import Any

import inngest
from inngest.experimental import mocked

from lib.actions import store as actions
from lib.approvals import decisions, store
from lib.inngest.events import APPROVAL_DECIDED, APPROVAL_REQUESTED, ActionSpec, ApprovalDecided, ApprovalRequested
from lib.workflows.approvals import FUNCTIONS, notify_rejection, request_approval
from tests.approvals.conftest import make_action


class RecordingClient(mocked.Inngest):
    """The mocked client, remembering what the function sent."""

    def __init__(self) -> None:
        super().__init__(app_id="test", is_production=False, serializer=inngest.PydanticSerializer())
        self.sent: list[inngest.Event] = []

    def send_sync(self, events: Any, *, skip_middleware: bool = False) -> list[str]:
        batch = events if isinstance(events, list) else [events]
        self.sent.extend(batch)
        return super().send_sync(batch, skip_middleware=skip_middleware)


def _requested(action_id: str) -> inngest.Event:
    data = ApprovalRequested(action_id=action_id, conversation_id="cnv_123", app_id="acme",
                             action=ActionSpec(type="refund", parameters={"purchaseId": "pur_9"}),
                             agent_reasoning="double purchase")
    return APPROVAL_REQUESTED.build(data, id=f"approval-requested-{action_id}")


def _decided(action_id: str, decision: str, by: str = "slack:ann", reason: str | None = None) -> inngest.Event:
    return APPROVAL_DECIDED.build(ApprovalDecided(action_id=action_id, decision=decision, decided_by=by, channel="slack", reason=reason))  # type: ignore[arg-type]


def _run(action_id: str, decided: inngest.Event | None) -> tuple[Any, RecordingClient]:
    client = RecordingClient()
    result = mocked.trigger(request_approval, _requested(action_id), client,
                            step_stubs={"wait-for-decision": mocked.Timeout if decided is None else decided})
    assert result.status is mocked.Status.COMPLETED, result.error
    json.dumps(result.output)  # Inngest stores outputs as JSON; the mock does not check
    return result.output, client


def test_functions_are_exported_with_the_issue_ids_and_the_shared_match() -> None:
    assert [f.local_id for f in FUNCTIONS] == ["request-approval", "notify-rejection"]
    config = request_approval.get_config("http://x").main
    assert config.triggers[0].event == "support/approval.requested"


def test_approved_sends_action_approved(sqlite_url: str) -> None:
    action_id = make_action()
    output, client = _run(action_id, _decided(action_id, "approved"))
    assert output["outcome"] == "approved" and output["decidedBy"] == "slack:ann"
    assert output["notified"]["note"] == "web only: no Slack approver configured"
    [sent] = client.sent
    assert sent.name == "action/approved" and sent.id == f"action-approved-{action_id}"
    assert sent.data == {"actionId": action_id, "conversationId": "cnv_123", "appId": "acme", "decidedBy": "slack:ann"}
    assert store.get(action_id).status == "approved" and actions.get_action(action_id).status == actions.APPROVED


def test_rejected_sends_action_rejected_with_the_reason(sqlite_url: str) -> None:
    action_id = make_action()
    output, client = _run(action_id, _decided(action_id, "rejected", "web:bob", "outside the refund window"))
    assert output["outcome"] == "rejected"
    [sent] = client.sent
    assert sent.name == "action/rejected" and sent.data["reason"] == "outside the refund window"
    assert actions.get_action(action_id).status == actions.REJECTED


def test_the_stored_decision_wins_over_a_conflicting_event(sqlite_url: str) -> None:
    action_id = make_action()
    store.open_request(action_id)
    store.decide(action_id, "rejected", "web:bob", "web")  # the endpoint recorded first
    output, client = _run(action_id, _decided(action_id, "approved"))
    assert output["outcome"] == "rejected" and output["decidedBy"] == "web:bob"
    assert [e.name for e in client.sent] == ["action/rejected"]


def test_timeout_expires_the_request_and_a_late_decision_is_refused(sqlite_url: str, sink: Any) -> None:
    action_id = make_action()
    output, client = _run(action_id, None)
    assert output["outcome"] == "expired" and client.sent == []
    assert actions.get_action(action_id).status == actions.EXPIRED
    late = decisions.submit_decision(action_id, "approved", "web:ann", "web")
    assert late.outcome == "expired" and decisions.HTTP_STATUS[late.outcome] == 409
    assert sink.events == []


def test_a_decision_recorded_just_before_the_timeout_still_goes_out(sqlite_url: str) -> None:
    action_id = make_action()
    store.open_request(action_id)
    store.decide(action_id, "approved", "web:ann", "web")
    output, client = _run(action_id, None)
    assert output["outcome"] == "approved" and [e.name for e in client.sent] == ["action/approved"]


class RecordingStep:
    """Just enough of `ctx.step` to see what the handler asks Inngest for (the mock does not expose wait options)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def run(self, step_id: str, fn: Any, *args: Any, output_type: Any = None) -> Any:
        self.calls.append(("run", step_id, {}))
        output = fn(*args)
        json.dumps(output.model_dump(mode="json") if output_type else output)  # Inngest stores step outputs as JSON
        return output

    def wait_for_event(self, step_id: str, **options: Any) -> None:
        self.calls.append(("wait", step_id, options))
        return None

    def send_event(self, step_id: str, events: Any) -> list[str]:
        self.calls.append(("send", step_id, {"events": events}))
        return ["id"]


def test_the_wait_matches_on_action_id_for_24_hours(sqlite_url: str) -> None:
    from datetime import timedelta
    from types import SimpleNamespace

    action_id = make_action()
    step = RecordingStep()
    request_approval._handler(SimpleNamespace(event=_requested(action_id), step=step))
    assert [(kind, step_id) for kind, step_id, _ in step.calls] == [
        ("run", "create-request"), ("run", "notify-approvers"), ("wait", "wait-for-decision"), ("run", "handle-timeout")]
    wait = step.calls[2][2]
    assert wait == {"event": "support/approval.decided", "if_exp": "async.data.actionId == event.data.actionId",
                    "timeout": timedelta(hours=24)}


def test_notify_rejection_comments_in_front_or_degrades(sqlite_url: str) -> None:
    from lib.inngest.events import ACTION_REJECTED, ActionRejected
    from devkit.sandbox.front import FakeFront

    action_id = make_action()

    def rejected(conversation_id: str) -> inngest.Event:
        return ACTION_REJECTED.build(ActionRejected(action_id=action_id, conversation_id=conversation_id, app_id="acme",
                                                    decided_by="web:bob", reason="no"))

    with FakeFront() as front:
        front.add_conversation("cnv_123")
        done = mocked.trigger(notify_rejection, rejected("cnv_123"), RecordingClient())
        assert done.status is mocked.Status.COMPLETED
        assert done.output == {"done": True, "reason": None, "text": "Support AI: refund was rejected by web:bob (no)."}
        assert front.comments[0]["body"] == done.output["text"]
        missing = mocked.trigger(notify_rejection, rejected("cnv_gone"), RecordingClient())  # Front answers 404
        assert missing.status is mocked.Status.COMPLETED and missing.output["done"] is False
