"""What the approval workflow's steps return (see `lib.workflows.results`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from lib.workflows.results import StepResult


class StoredDecision(BaseModel):
    """`record-decision` / `handle-timeout`: the request as stored, which is the truth whoever decided first."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    outcome: str  # approved | rejected | expired | pending | unknown (no request)
    decided_by: str | None = None
    decided_at: datetime | None = None
    channel: str | None = None
    reason: str | None = None


class SlackUpdate(StepResult):
    """`update-slack-message`: how the message was updated (`via`: chat.update | response_url), or why not."""

    via: str | None = None
    state: str | None = None
