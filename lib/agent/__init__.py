"""The support agent: `decide(context)` -> `AgentDecision`.

With `OPENAI_API_KEY` set the OpenAI agent reasons (lib.agent.openai_agent); when
it fails, `AgentUnavailable` propagates so the Inngest step retries and the run
finally hands the conversation to a human. It never falls back to the offline
rules then: a configured key means the team expects the model, and a silently
worse answer is worse than a human one. Without a key the documented offline
rules (lib.agent.offline) run, so the local service works end to end.

Either way the approval requirement is set afterwards, in code, by
`lib.agent.policy` — never by the model or the customer.

Light on purpose: `openai` is imported only when the OpenAI path runs.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lib import config

if TYPE_CHECKING:
    from lib.agent.models import AgentContext, AgentDecision, AgentProposal

__all__ = ["AgentUnavailable", "decide", "apply_policy", "mode"]

logger = logging.getLogger("support.agent")


class AgentUnavailable(RuntimeError):
    """The model could not produce a valid decision (API down after retries, or invalid output twice)."""


def mode() -> str:
    """"openai" when a key is configured, else "offline"."""
    return "openai" if config.env("OPENAI_API_KEY") else "offline"


def decide(context: "AgentContext") -> "AgentDecision":
    """Reason about the conversation, then apply the approval policy. Raises `AgentUnavailable`."""
    if mode() == "openai":
        from lib.agent import openai_agent

        return apply_policy(openai_agent.run(context), context, "openai")
    from lib.agent import offline

    return apply_policy(offline.run(context), context, "offline")


def apply_policy(proposal: "AgentProposal", context: "AgentContext", mode: str) -> "AgentDecision":
    """Turn a proposal into a decision; `requires_approval` comes from the policy alone."""
    from lib.agent.models import AgentDecision
    from lib.agent.policy import requires_approval

    needed, why = requires_approval(
        proposal.action, context.app, context.customer, sender_email=context.latest_message.sender_email
    )
    decision = AgentDecision(
        reasoning=proposal.reasoning,
        action=proposal.action,
        draft_response=proposal.draft_response,
        requires_approval=needed,
        approval_reason=why,
        mode=mode,  # type: ignore[arg-type]
        category=proposal.category,
        confidence=proposal.confidence,
    )
    logger.info(
        "agent decided for %s (%s): category=%s confidence=%.2f action=%s requires_approval=%s (%s)",
        context.conversation_id,
        mode,
        proposal.category,
        proposal.confidence,
        proposal.action.type if proposal.action else None,
        needed,
        why,
    )
    return decision
