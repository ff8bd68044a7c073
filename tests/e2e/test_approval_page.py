"""The approval page shows what an approver needs: the message, the drafted reply, the refund's amount, product, date."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
import requests

from lib.approvals.links import signed_link

pytestmark = pytest.mark.e2e


def test_refund_approval_page_shows_message_draft_and_purchase_and_the_decision_says_what_happened(
    database_url: str, scene_factory: Any
) -> None:
    scene = scene_factory()
    scene.product.purchases["pi_100"]["purchased_at"] = "2026-11-20T10:00:00+00:00"
    text = "I was charged for the Pro plan but never used it, please refund me"
    assert scene.customer_writes("cnv_page", text, event_id="evt_page").status_code == 200
    [run] = scene.stack.wait_for_run("handle-inbound-message", timeout=60)
    action_id = run["output"]["action"]["id"]
    scene.stack.wait_for_run("request-approval", status="Running", timeout=30)

    session = requests.Session()
    page = session.get(signed_link(action_id, base_url=scene.approvals.url), timeout=10)
    assert page.status_code == 200
    body = html.unescape(page.text)
    assert text in re.search(r'class="customer-message">(.*?)</blockquote>', body, re.S).group(1)
    draft = re.search(r'class="draft-reply">(.*?)</div>', body, re.S).group(1)
    assert "requested a refund of $49.00 for Pro plan" in draft
    refund = re.search(r'class="refund">(.*?)</dd>', body, re.S).group(1)
    assert "49.00 USD" in refund and "Pro plan" in refund and "2026-11-20" in refund and "pi_100" in refund

    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    decided = session.post(f"{scene.approvals.url}/api/approvals/{action_id}/decision",
                           data={"token": token, "decision": "approved", "approver": "Ann"}, timeout=30)
    assert decided.status_code == 200
    assert "<h1>Refund approved</h1>" in decided.text
    assert '<a href="/api/approvals">Back to the list</a>' in decided.text
