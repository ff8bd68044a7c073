"""`execute-approved-action` and `process-refund` with the SDK's mocked executor, against fake Front, app and Stripe.

The mocked executor stubs `step.invoke` (the refund child is stubbed by its step
name here and runs for real through the offline executor in tests/e2e) and does
not check that outputs are JSON, so these tests do.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest
from inngest.experimental import mocked

from lib import audit
import inngest

from lib.actions import store
from lib.workflows.actions import steps
from lib.apps import registry
from lib.workflows.actions.models import Claim, Refund, RefundOutcome
from lib.workflows.results import FinishedAction
from lib.inngest.events import ACTION_APPROVED, REFUND_REQUESTED, ActionApproved, RefundRequested
from devkit.sandbox.front import FakeFront
from devkit.sandbox.product_app import FakeProductApp
from devkit.sandbox.server import LocalServer
from devkit.sandbox.stripe_server import FakeStripe

SECRET = "integration-secret"
CONVERSATION = "cnv_7"
ADA = "ada@example.com"


@pytest.fixture
def product() -> Iterator[FakeProductApp]:
    app = FakeProductApp(SECRET)
    app.add_user(ADA, name="Ada", purchases=[{"id": "pi_100", "product": "Pro plan", "amount": 4900, "currency": "usd"}])
    with LocalServer(app.app) as server:
        app.url = f"{server.url}/support"  # type: ignore[attr-defined]
        yield app


@pytest.fixture
def front() -> Iterator[FakeFront]:
    with FakeFront() as fake:
        fake.add_conversation(CONVERSATION)
        yield fake


@pytest.fixture
def app(database_url: str, product: FakeProductApp) -> Iterator[registry.AppRecord]:
    yield registry.create_app(slug="acme", name="Acme", front_inbox_id="inb_1", integration_url=product.url,  # type: ignore[attr-defined]
                              integration_secret=SECRET, stripe_account="acct_acme")
    registry.clear_cache()


def _client() -> mocked.Inngest:
    return mocked.Inngest(app_id="support-workflows", is_production=False, serializer=inngest.PydanticSerializer())


def _action(app: registry.AppRecord, type: str, parameters: dict[str, Any], *, status: str = store.APPROVED, id: str = "act_1") -> str:
    return store.create_action(action_id=id, conversation_id=CONVERSATION, app_id=app.id, type=type, parameters=parameters,
                               requires_approval=True, customer_email=ADA, status=status).id


def _approved(action_id: str, **stubs: Any) -> Any:
    from lib.workflows.actions import execute_approved_action

    event = ACTION_APPROVED.build(ActionApproved(action_id=action_id, conversation_id=CONVERSATION, app_id="acme", decided_by="Ann"))
    result = mocked.trigger(execute_approved_action, event, _client(), step_stubs=stubs)
    assert result.status is mocked.Status.COMPLETED, result.error
    json.dumps(result.output)
    return result.output


def test_an_approved_transfer_runs_through_the_app_once_and_is_recorded(app: registry.AppRecord, product: FakeProductApp, front: FakeFront) -> None:
    action_id = _action(app, "license_transfer", {"purchaseId": "pi_100", "fromEmail": ADA, "toEmail": "bob@example.com"})

    output = _approved(action_id)
    again = _approved(action_id)  # a duplicate event that slipped past function idempotency

    assert output["done"] is True and output["status"] == "completed" and output["result"]["transferred"] is True
    assert product.transfers == [{"purchaseId": "pi_100", "fromEmail": ADA, "toEmail": "bob@example.com"}]
    assert again == {"done": False, "reason": "the action is completed", "id": action_id, "type": None, "status": "completed",
                     "result": None}
    stored = store.get_action(action_id)
    assert stored is not None and stored.status == "completed" and stored.executed_at is not None
    kinds = [e["kind"] for e in audit.entries(action_id=action_id)]
    assert kinds == ["action.executing", "action.completed"]
    [comment] = front.comments
    assert "license transfer (approved by Ann) is done" in comment["body"]


def test_an_event_for_an_action_nobody_approved_does_nothing(app: registry.AppRecord, product: FakeProductApp, front: FakeFront) -> None:
    action_id = _action(app, "license_transfer", {"purchaseId": "pi_100", "fromEmail": ADA, "toEmail": "bob@example.com"},
                        status=store.PENDING_APPROVAL)

    output = _approved(action_id)

    assert output["done"] is False and output["reason"] == "the action is pending_approval"
    assert product.transfers == [] and front.comments == []
    assert store.get_action(action_id).status == store.PENDING_APPROVAL  # type: ignore[union-attr]


def test_an_action_the_app_cannot_do_fails_and_asks_a_teammate(app: registry.AppRecord, product: FakeProductApp, front: FakeFront) -> None:
    product.unsupported.add("changeEmail")
    action_id = _action(app, "email_change", {"fromEmail": ADA, "toEmail": "ada@new.example"})

    output = _approved(action_id)

    assert output["status"] == "failed" and output["done"] is False and "by hand" in output["reason"]
    assert store.get_action(action_id).status == "failed"  # type: ignore[union-attr]
    assert "not carried out" in front.comments[0]["body"]


def test_an_approved_email_change_reaches_the_app(app: registry.AppRecord, product: FakeProductApp, front: FakeFront) -> None:
    action_id = _action(app, "email_change", {"fromEmail": ADA, "toEmail": "ada@new.example"})

    assert _approved(action_id)["status"] == "completed"
    assert product.email_changes == [{"fromEmail": ADA, "toEmail": "ada@new.example"}]


def test_an_approved_refund_invokes_process_refund_with_the_action(app: registry.AppRecord, front: FakeFront) -> None:
    action_id = _action(app, "refund", {"purchaseId": "pi_100", "reason": "unused"})
    child = {"done": True, "reason": None, "refund": {"id": "re_1", "amount": 4900, "currency": "usd", "status": "succeeded"},
             "access": {"done": True, "reason": None, "answer": None}}

    output = _approved(action_id, **{"process-refund": child})

    assert output["status"] == "completed" and output["result"] == RefundOutcome.model_validate(child).model_dump(mode="json")
    assert output["result"]["refund"]["id"] == "re_1" and output["result"]["access"]["done"] is True
    assert "Stripe refund re_1 (4900 USD, succeeded)" in front.comments[0]["body"]


def test_a_refund_without_a_purchase_fails_without_calling_stripe(app: registry.AppRecord, front: FakeFront) -> None:
    action_id = _action(app, "refund", {"reason": "unused"})

    output = _approved(action_id)  # no stub needed: nothing is invoked

    assert output["status"] == "failed" and "purchaseId" in output["reason"]


def _refund_run(action_id: str) -> Any:
    from lib.workflows.actions import process_refund

    event = REFUND_REQUESTED.build(RefundRequested(purchase_id="pi_100", reason="unused", action_id=action_id))
    return mocked.trigger(process_refund, event, _client())


def test_process_refund_refunds_at_stripe_revokes_access_and_stores_the_refund(app: registry.AppRecord, product: FakeProductApp) -> None:
    action_id = _action(app, "refund", {"purchaseId": "pi_100", "reason": "unused"}, status=store.EXECUTING)
    with FakeStripe() as stripe_api:
        stripe_api.add_payment("pi_100", 4900)
        result = _refund_run(action_id)

    assert result.status is mocked.Status.COMPLETED, result.error
    json.dumps(result.output)
    assert result.output["refund"]["id"] == stripe_api.refunds[0]["id"]
    assert result.output["access"]["done"] is True and product.revoked == {"pi_100"}
    assert stripe_api.requests[0]["account"] == "acct_acme"
    stored = store.get_action(action_id)
    assert stored is not None and stored.result == {"refund": result.output["refund"]}
    assert [e["kind"] for e in audit.entries(action_id=action_id)] == ["refund.created", "access.revoked"]


def test_process_refund_still_completes_when_the_app_cannot_revoke(app: registry.AppRecord, product: FakeProductApp) -> None:
    product.unsupported.add("revokeAccess")
    action_id = _action(app, "refund", {"purchaseId": "pi_100"}, status=store.EXECUTING)
    with FakeStripe() as stripe_api:
        stripe_api.add_payment("pi_100", 4900)
        result = _refund_run(action_id)

    assert result.status is mocked.Status.COMPLETED, result.error
    assert result.output["access"] == {"done": False, "reason": "the app does not support revokeAccess", "answer": None}
    assert len(stripe_api.refunds) == 1


def test_a_refused_refund_fails_the_run_and_is_audited(app: registry.AppRecord, product: FakeProductApp) -> None:
    action_id = _action(app, "refund", {"purchaseId": "pi_100"}, status=store.EXECUTING)
    with FakeStripe() as stripe_api:
        stripe_api.add_payment("pi_100", 4900)
        stripe_api.payments["pi_100"]["refunded"] = 4900  # refunded earlier, in Stripe's dashboard
        result = _refund_run(action_id)

    assert result.status is mocked.Status.FAILED
    assert "already been refunded" in str(result.error)
    assert stripe_api.refunds == [] and product.revoked == set()
    [entry] = audit.entries(action_id=action_id)
    assert entry["kind"] == "refund.refused" and entry["details"]["code"] == "charge_already_refunded"


def test_a_claim_retried_by_its_own_run_goes_on_and_another_run_is_refused(app: registry.AppRecord) -> None:
    action_id = _action(app, "magic_link", {"email": ADA})

    first = steps.claim(action_id, "run-a")
    retried = steps.claim(action_id, "run-a")  # the step ran but its result was lost
    other = steps.claim(action_id, "run-b")

    assert first.done and retried.done and first.action == retried.action
    assert other == Claim(done=False, reason="the action is executing", status="executing")
    assert [e["kind"] for e in audit.entries(action_id=action_id)] == ["action.executing"]


def test_finishing_twice_records_once_and_a_failure_keeps_a_stored_refund(app: registry.AppRecord) -> None:
    action_id = _action(app, "refund", {"purchaseId": "pi_100"})
    steps.claim(action_id, "run-a")
    store.remember_refund(action_id, Refund(id="re_9", amount=4900, currency="usd"))

    first = steps.finish(action_id, "run-a", steps.failure("the app stayed down"))
    again = steps.finish(action_id, "run-a", steps.failure("the app stayed down"))

    assert first == again
    assert first.status == "failed" and store.stored_refund(store.get_action(action_id)) == Refund(id="re_9", amount=4900, currency="usd")
    assert [e["kind"] for e in audit.entries(action_id=action_id)].count("action.failed") == 1


def test_an_output_memoized_before_done_and_reason_still_reads() -> None:
    """Runs in flight across a deploy replay `execute-approved-action` / `finish-action` outputs of the old shape."""
    failed = FinishedAction.model_validate({"id": "act_1", "type": "refund", "status": "failed", "result": None, "error": "boom"})
    skipped = FinishedAction.model_validate({"id": "act_1", "status": "completed", "skipped": "the action is completed"})
    completed = FinishedAction.model_validate({"id": "act_1", "type": "magic_link", "status": "completed", "result": {"url": "u"},
                                               "error": None})

    assert (failed.done, failed.reason) == (False, "boom")
    assert (skipped.done, skipped.reason, skipped.status) == (False, "the action is completed", "completed")
    assert completed.done and completed.reason is None and completed.result == {"url": "u"}


# --- refunds Stripe does not finish at once (stripe/_refund.py: pending, requires_action, failed, canceled) ----------


def _update_event(action_id: str, refund_id: str, status: str, failure_reason: str | None = None) -> Any:
    from lib.inngest.events import REFUND_UPDATED, RefundUpdated

    return REFUND_UPDATED.build(RefundUpdated(action_id=action_id, refund_id=refund_id, status=status, failure_reason=failure_reason,
                                              stripe_event_id="evt_1", stripe_event_type="refund.updated"))


def _pending_refund_run(action_id: str, stripe_api: FakeStripe, *, status: str = "pending", **stubs: Any) -> Any:
    """process-refund for a payment whose refunds start `status`; `stubs` answer the waits (an event, or mocked.Timeout)."""
    from lib.workflows.actions import process_refund

    event = REFUND_REQUESTED.build(RefundRequested(purchase_id="pi_100", reason="unused", action_id=action_id))
    return mocked.trigger(process_refund, event, _client(), step_stubs=stubs)


def test_a_pending_refund_completes_only_when_stripes_webhook_says_succeeded(app: registry.AppRecord, product: FakeProductApp) -> None:
    action_id = _action(app, "refund", {"purchaseId": "pi_100"}, status=store.EXECUTING)
    with FakeStripe() as stripe_api:
        stripe_api.add_payment("pi_100", 4900, refund_status="pending")
        result = _pending_refund_run(action_id, stripe_api, **{"await-refund-update-1": _update_event(action_id, "re_fake1", "succeeded")})

    assert result.status is mocked.Status.COMPLETED, result.error
    assert result.output["refund"]["status"] == "succeeded" and product.revoked == {"pi_100"}
    assert store.get_action(action_id).result["refund"]["status"] == "succeeded"  # type: ignore[union-attr,index]
    assert stripe_api.reads == []  # the webhook said so: no poll
    assert [e["kind"] for e in audit.entries(action_id=action_id)] == ["refund.created", "refund.updated", "access.revoked"]


def test_a_pending_refund_that_fails_fails_the_run_and_leaves_access_alone(app: registry.AppRecord, product: FakeProductApp) -> None:
    action_id = _action(app, "refund", {"purchaseId": "pi_100"}, status=store.EXECUTING)
    with FakeStripe() as stripe_api:
        stripe_api.add_payment("pi_100", 4900, refund_status="pending")
        result = _pending_refund_run(
            action_id, stripe_api, **{"await-refund-update-1": _update_event(action_id, "re_fake1", "failed", "insufficient_funds")})

    assert result.status is mocked.Status.FAILED
    assert "re_fake1 (4900 USD) failed: insufficient_funds" in str(result.error)
    assert product.revoked == set()
    stored = store.get_action(action_id)
    assert stored is not None and stored.result["refund"]["status"] == "failed"  # type: ignore[index]


def test_a_missed_webhook_is_covered_by_polling_stripe(app: registry.AppRecord, product: FakeProductApp) -> None:
    action_id = _action(app, "refund", {"purchaseId": "pi_100"}, status=store.EXECUTING)
    with FakeStripe() as stripe_api:
        stripe_api.add_payment("pi_100", 4900, refund_status="requires_action", settles_to="succeeded")
        result = _pending_refund_run(action_id, stripe_api, **{"await-refund-update-1": mocked.Timeout})

    assert result.status is mocked.Status.COMPLETED, result.error
    assert result.output["refund"]["status"] == "succeeded" and product.revoked == {"pi_100"}
    assert [r["path"] for r in stripe_api.reads] == ["/v1/refunds/re_fake1"]
    assert stripe_api.reads[0]["account"] == "acct_acme"


def test_a_refund_canceled_at_stripe_fails_the_run(app: registry.AppRecord, product: FakeProductApp) -> None:
    action_id = _action(app, "refund", {"purchaseId": "pi_100"}, status=store.EXECUTING)
    with FakeStripe() as stripe_api:
        stripe_api.add_payment("pi_100", 4900, refund_status="requires_action", settles_to="canceled")
        result = _pending_refund_run(action_id, stripe_api, **{"await-refund-update-1": mocked.Timeout})

    assert result.status is mocked.Status.FAILED and "canceled" in str(result.error)
    assert product.revoked == set()


def test_a_refund_pending_past_the_timeout_is_handed_to_a_teammate(
    app: registry.AppRecord, product: FakeProductApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lib.workflows.actions import steps

    monkeypatch.setenv("REFUND_PENDING_TIMEOUT_HOURS", "1")
    waits = steps.refund_waits()
    assert [w.total_seconds() for w in waits] == [900, 1800, 900]
    action_id = _action(app, "refund", {"purchaseId": "pi_100"}, status=store.EXECUTING)
    with FakeStripe() as stripe_api:
        stripe_api.add_payment("pi_100", 4900, refund_status="pending")
        result = _pending_refund_run(action_id, stripe_api, **{f"await-refund-update-{n}": mocked.Timeout for n in range(1, 4)})

    assert result.status is mocked.Status.FAILED
    assert "is still pending after 1 h" in str(result.error) and "Stripe's dashboard" in str(result.error)
    assert len(stripe_api.reads) == 3 and product.revoked == set()


def test_the_default_wait_for_a_pending_refund_is_three_days_polled_at_most_six_hours_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    monkeypatch.delenv("REFUND_PENDING_TIMEOUT_HOURS", raising=False)
    waits = steps.refund_waits()
    assert sum(waits, timedelta()) == timedelta(hours=72)
    assert waits[0] == timedelta(minutes=15) and max(waits) == timedelta(hours=6)
