"""The terminal narration says what the stored outcome is: a reply auto-sent, or a draft left and why."""

from __future__ import annotations

from devkit.narrate import _outcome

OPEN = "billing trust 1.00 over 22 replies reaches 0.85, confidence 0.95"
CLOSED = "product_question trust 0.82 is below 0.85"


def test_an_auto_sent_reply_is_not_called_a_draft() -> None:
    output = {"processed": True, "action": None, "draft": {"id": 1, "sendAfter": "2026-11-26T01:13:03", "autoSendReason": OPEN},
              "autoSend": {"done": True}}
    assert _outcome(output) == " (no action; reply auto-sent)"


def test_a_draft_kept_by_the_gate_says_why() -> None:
    output = {"processed": True, "action": None, "draft": {"id": 2, "sendAfter": None, "autoSendReason": CLOSED}, "autoSend": None}
    assert _outcome(output) == f" (no action; draft in Front, not auto-sent: {CLOSED})"


def test_a_send_a_teammate_pre_empted_says_so() -> None:
    output = {"processed": True, "action": None, "draft": {"id": 3, "sendAfter": "2026-11-26T01:13:03", "autoSendReason": OPEN},
              "autoSend": {"done": False, "reason": "a teammate edited, sent or deleted the draft in Front"}}
    assert _outcome(output).endswith("not auto-sent: a teammate edited, sent or deleted the draft in Front)")
