"""The one shape every step result shares: `done`, or why not.

Steps exchange pydantic models: the client's `PydanticSerializer` turns a step's
model into JSON for Inngest and, given the step's `output_type`, back into the
model when the run replays, so function code reads attributes, not `.get("...")`.
A step that did not do its thing (nothing to claim, Stripe refused, the app cannot
revoke) returns `done=False` with a `reason` instead of raising, so it is memoized
and the run decides; only "try again later" raises.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


class StepResult(BaseModel):
    """Whether the step did its thing, and if not, why."""

    model_config = ConfigDict(extra="forbid")

    done: bool
    reason: str | None = None


class Comment(StepResult):
    """A best-effort comment for teammates in Front: posted (`done`) or not, and its text."""

    text: str


class FinishedAction(StepResult):
    """The action as a run left it: `done` when this run completed it, else `reason` (its error, or why the run left it alone).

    `finish-action`'s output and `execute-approved-action`'s, which the inbound run reads
    through `step.invoke`; the inbound run's own `action` (pending approval) has this shape too.
    """

    id: str
    type: str | None = None
    status: str | None = None
    result: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_earlier_outputs(cls, data: Any) -> Any:
        """Outputs memoized before this shape said `error` (failed) or `skipped` (left alone) and had no `done`."""
        if isinstance(data, dict) and "done" not in data:
            done = data.get("status") == "completed" and not data.get("skipped")
            reason = data.get("error") or data.get("skipped")
            data = {k: v for k, v in data.items() if k not in ("error", "skipped")}
            data.update(done=done, reason=reason)
        return data
