"""The kinds of action the agent may propose, and which of them move money or access.

Approval rules live in `lib.agent.policy`; this only says what each kind is.
"""

from __future__ import annotations

from enum import StrEnum


class ActionType(StrEnum):
    REFUND = "refund"  # parameters: purchaseId, reason, amount? (minor units; whole purchase if absent)
    LICENSE_TRANSFER = "license_transfer"  # parameters: purchaseId, fromEmail, toEmail
    EMAIL_CHANGE = "email_change"  # parameters: fromEmail, toEmail
    MAGIC_LINK = "magic_link"  # parameters: email


# Kinds that move money or access: a human approves them unless the app's policy says otherwise.
MOVES_MONEY_OR_ACCESS = frozenset({ActionType.REFUND, ActionType.LICENSE_TRANSFER, ActionType.EMAIL_CHANGE})
