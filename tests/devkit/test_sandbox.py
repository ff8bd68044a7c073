"""The sandboxes keep their state across a restart, and stay as strict as the fakes they wrap."""

from __future__ import annotations

import io
import json
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
import stripe

from devkit.narrate import Narrator
from devkit.executor.pages import runs_page
from devkit.sandbox.front_sandbox import INBOX, SandboxFront
from devkit.sandbox.stripe_sandbox import SandboxStripe


@contextmanager
def _serving(sandbox: Any) -> Iterator[Any]:
    """The sandbox on a free port, as `devkit dev` serves it (the Front one also sets its settings, then restores them)."""
    server = sandbox.serve(0)
    try:
        yield server
    finally:
        server.stop()


def _refund(url: str, key: str, idempotency_key: str, payment_intent: str = "pi_sandbox_1001") -> Any:
    client = stripe.StripeClient(key, base_addresses={"api": url}, max_network_retries=0)
    return client.v1.refunds.create(params={"payment_intent": payment_intent}, options={"idempotency_key": idempotency_key})


def test_stripe_sandbox_keeps_refunds_and_idempotency_keys_across_a_restart(tmp_path: Path) -> None:
    first = SandboxStripe(tmp_path)
    with _serving(first) as server:
        refund = _refund(server.url, first.secret_key, "key-1")
    again = SandboxStripe(tmp_path)  # a restart: same state dir
    with _serving(again) as server:
        replayed = _refund(server.url, again.secret_key, "key-1")
        other = _refund(server.url, again.secret_key, "key-2", "pi_sandbox_2001")
        with pytest.raises(stripe.InvalidRequestError) as refused:
            _refund(server.url, again.secret_key, "key-3")  # a new key for the refunded payment
        with pytest.raises(stripe.AuthenticationError):
            _refund(server.url, "sk_test_wrong", "key-4")
        page = requests.get(f"{server.url}/", timeout=10).text
    assert replayed.id == refund.id  # the first answer, not a second refund
    assert other.id != refund.id
    assert refused.value.code == "charge_already_refunded"
    assert [r["id"] for r in again.fake.refunds] == [refund.id, other.id]
    assert refund.id in page and "49.00 USD" in page


def test_front_sandbox_serves_the_fake_api_with_its_token_and_keeps_drafts(tmp_path: Path) -> None:
    front = SandboxFront(tmp_path)
    with _serving(front) as server:
        posted = requests.post(f"{server.url}/_sandbox/conversations/cnv_s1/messages",
                               json={"text": "Refund <please>", "from": "casey@example.com"}, timeout=10)
        unauthorised = requests.post(f"{server.url}/conversations/cnv_s1/drafts", json={"body": "x", "channel_id": "cha_sandbox"}, timeout=10)
        headers = {"Authorization": f"Bearer {front.token}"}
        draft = requests.post(f"{server.url}/conversations/cnv_s1/drafts", json={"body": "<p>Hello</p>", "channel_id": "cha_sandbox"},
                              headers=headers, timeout=10)
        wrong_channel = requests.post(f"{server.url}/conversations/cnv_s1/drafts", json={"body": "x", "channel_id": "cha_other"},
                                      headers=headers, timeout=10)
    assert posted.status_code == 201 and posted.json()["inbox_id"] == INBOX
    assert unauthorised.status_code == 401 and wrong_channel.status_code == 400
    assert draft.status_code == 200
    restarted = SandboxFront(tmp_path)
    with _serving(restarted) as server:
        page = requests.get(f"{server.url}/", timeout=10).text
        comment = requests.post(f"{server.url}/conversations/cnv_s1/comments", json={"body": "note"},
                                headers={"Authorization": f"Bearer {front.token}"}, timeout=10).json()
    assert [d["id"] for d in restarted.fake.drafts] == [draft.json()["id"]]
    assert comment["id"] not in {c["id"] for c in front.fake.comments} | {draft.json()["id"]}
    assert "Refund &lt;please&gt;" in page and "<please>" not in page  # customer text escaped
    assert f"draft {draft.json()['id']} (version {draft.json()['version']})" in page
    assert json.loads((tmp_path / "front.json").read_text())["comments"][0]["body"] == "note"


def _run(status: str = "Running", steps: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": "01RUNAAAAAA", "function_id": "support-workflows-request-approval", "status": status,
            "event": {"name": "support/approval.requested", "id": "e1", "data": {"actionId": "act_1", "conversationId": "cnv_1"}},
            "steps": steps or [], "scheduled": [], "created_at": "2026-01-01T00:00:00Z", "output": None, "error": None, **extra}


def test_narrator_says_each_change_once_without_colours_off_a_tty() -> None:
    out = io.StringIO()
    narrator = Narrator(out, approval_link=lambda action: f"https://approve/{action}")
    waiting = {"id": "s2", "name": "wait-for-decision", "op": "WaitForEvent", "status": "Waiting", "attempt": 0}
    failed = {"id": "s1", "name": "notify-approvers", "op": "StepRun", "status": "Failed", "attempt": 0,
              "error": {"name": "NonRetriableError", "message": "SLACK_BOT_TOKEN is not set: ...\nmore", "stack": "Traceback..."}}
    narrator.update([_run()])
    narrator.update([_run(steps=[failed, waiting])])
    narrator.update([_run(steps=[failed, waiting])])  # nothing new
    narrator.update([_run("Failed", steps=[failed, waiting], error={"message": "boom"})])
    lines = out.getvalue().splitlines()
    assert len(lines) == 4
    assert "started by support/approval.requested (conversationId cnv_1, actionId act_1)" in lines[0]
    assert lines[1].endswith("step notify-approvers failed: NonRetriableError: SLACK_BOT_TOKEN is not set: ...")
    assert lines[2].endswith("waiting for approval of act_1: https://approve/act_1")
    assert lines[3].endswith("FAILED: boom")
    assert "\x1b[" not in out.getvalue()


def test_runs_page_puts_the_error_message_first_folds_the_traceback_and_escapes() -> None:
    error = {"name": "MissingSetting", "message": "FRONT_API_TOKEN is not set <x>", "stack": "Traceback (most recent call last): <y>"}
    page = runs_page([_run("Failed", error=error)], [], status="Failed")
    message_at = page.index("FRONT_API_TOKEN is not set &lt;x&gt;")
    assert message_at < page.index("<summary>traceback</summary>") < page.index("Traceback (most recent call last): &lt;y&gt;")
    assert "<x>" not in page and "<y>" not in page
    assert "<option value='Failed' selected>" in page
