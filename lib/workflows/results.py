"""The one shape every step result shares: `done`, or why not.

Steps exchange pydantic models: the client's `PydanticSerializer` turns a step's
model into JSON for Inngest and, given the step's `output_type`, back into the
model when the run replays, so function code reads attributes, not `.get("...")`.
A step that did not do its thing (nothing to claim, Stripe refused, the app cannot
revoke) returns `done=False` with a `reason` instead of raising, so it is memoized
and the run decides; only "try again later" raises.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StepResult(BaseModel):
    """Whether the step did its thing, and if not, why."""

    model_config = ConfigDict(extra="forbid")

    done: bool
    reason: str | None = None


class Comment(StepResult):
    """A best-effort comment for teammates in Front: posted (`done`) or not, and its text."""

    text: str
