"""Route before reasoning: decide whether a message gets the agent (`respond`), nothing (`no_reply`) or a person (`human`).

`route(context, seconds_since_auto_send=...)` applies the rules in `lib.routing.rules` first.
What they leave open goes, with `OPENAI_API_KEY` set, to one small structured-output
classifier call (`lib.routing.classifier`, model `OPENAI_ROUTER_MODEL`); offline it is
`respond`, so without a key only what a rule recognises is routed away. The decision
carries its reason, the rule (or "classifier"/"default") and a category, so the run output,
the audit log and the eval can all say why. `route_without_model` is the part that needs no
model call: the `gather-context` step applies it to what it gathered, so a message the rules
decide costs no `route` step (one serve request fewer per message); only what the rules leave
open to the classifier gets a `route` step of its own (a model call, retried alone).

Why a `respond` rule. Routing pays only when it costs less than it saves: on the eval corpus
the classifier used to run on every message the rules left open, nearly all of them plain
support requests it then sent on to the agent, so routed mail cost more model calls than
answering everything with the agent. The last rule (`rules.support_request`) sends a known
customer's calm, clear request (refund, sign-in, transfer, billing, a fault, a direct question)
straight to the agent; the classifier is paid for only where the answer is not clear. We did
not let the agent's own call carry the route instead: every message the rules miss would then
pay for a full agent run (the large model, tools, the whole context) rather than one small
call, and the agent already has its hand-over, which stays: no draft means a person answers,
actions go through the approval policy, and some categories never auto-send.

Light on purpose: no openai, no database here; the `route` step (lib.workflows.inbound.steps) adds both.
The rules (compiled patterns) load on the first `route()`: `/api/inngest` imports this module
for `RouteDecision` on every cold start.
"""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import BaseModel

from lib import config
from lib.agent.models import AgentContext

__all__ = ["Route", "RouteDecision", "route", "route_without_model", "ROUTES"]

logger = logging.getLogger("support.routing")

Route = Literal["respond", "no_reply", "human"]
ROUTES: tuple[str, ...] = ("respond", "no_reply", "human")


class RouteDecision(BaseModel):
    route: Route
    reason: str
    rule: str  # a rule's name, "classifier", or "default"
    category: str | None = None  # the rule's or classifier's category; the agent sets its own for `respond`
    source: Literal["rules", "classifier", "default"]
    usage: dict[str, int] | None = None  # the classifier's tokens, when it ran


def route(context: AgentContext, *, seconds_since_auto_send: float | None = None) -> RouteDecision:
    """The route for the context's latest message. Raises `lib.agent.AgentUnavailable` only if the classifier fails."""
    decision = route_without_model(context, seconds_since_auto_send=seconds_since_auto_send)
    if decision is None:
        from lib.routing import classifier

        decision = classifier.classify(context)
        _log(context, decision)
    return decision


def route_without_model(context: AgentContext, *, seconds_since_auto_send: float | None = None) -> RouteDecision | None:
    """The route when no model call is needed: a rule's, or `respond` when no classifier is configured
    (no `OPENAI_API_KEY`); None when only the classifier can tell. Pure: what it reads is its arguments and settings."""
    from lib.routing import rules

    latest = context.latest_message
    body = latest.body or ""
    if not body:
        inbound = [m for m in context.messages if m.is_inbound and m.text]
        body = inbound[-1].text if inbound else ""
    matched = rules.first_match(
        sender_email=(latest.sender_email or "").strip().lower(),
        sender_name=latest.sender_name or "",
        subject=latest.subject or "",
        body=body,
        seconds_since_auto_send=seconds_since_auto_send,
        known_customer=bool(context.customer and context.customer.source == "integration" and context.customer.user),
    )
    if matched is not None:
        decision = RouteDecision(route=matched.route, reason=matched.reason, rule=matched.rule,  # type: ignore[arg-type]
                                 category=matched.category, source="rules")
    elif config.env("OPENAI_API_KEY"):
        return None
    else:
        decision = RouteDecision(route="respond", reason="no rule matched; the agent answers", rule="default", source="default")
    _log(context, decision)
    return decision


def _log(context: AgentContext, decision: RouteDecision) -> None:
    logger.info("routed %s: %s by %s (%s)", context.conversation_id, decision.route, decision.rule, decision.reason)
