"""What the inbound workflow's own steps return; the context, route and decision are `lib.agent`'s and
`lib.routing`'s models, and `create-draft` answers `lib.drafts.DraftRecord`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, model_validator

from lib.agent.models import AgentContext
from lib.inngest.events import CAMEL_CASE
from lib.routing import RouteDecision
from lib.workflows.results import Comment, FinishedAction, StepResult

__all__ = ["AutoSent", "Comment", "FinishedAction", "Gathered", "NoReply", "StoredAction"]


class Gathered(BaseModel):
    """`gather-context`: the agent's context and, when no model call was needed to decide it, the route
    (`routed`; None leaves it to the `route` step)."""

    context: AgentContext
    routed: RouteDecision | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_earlier_outputs(cls, data: Any) -> Any:
        # Runs in flight across a deploy stored the bare context; the `route` step then routes them.
        if isinstance(data, dict) and "context" not in data and "conversation_id" in data:
            return {"context": data, "routed": None}
        return data


class StoredAction(BaseModel):
    """`store-action`: the proposed action as stored (what the approval request or the invoked run needs)."""

    id: str
    type: str
    parameters: dict[str, Any]
    status: str
    requires_approval: bool
    customer_email: str | None = None


class NoReply(StepResult):
    """`no-reply`: what the app chose to do in Front with mail that needs no answer (`front_action`), and if it was done."""

    model_config = CAMEL_CASE

    front_action: str  # none | archive | tag


class AutoSent(StepResult):
    """`auto-send`: the draft went out (`done`), or why not (a teammate took it over, or it was already handled)."""
