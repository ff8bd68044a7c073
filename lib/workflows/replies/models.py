"""What `record-human-reply`'s steps return."""

from __future__ import annotations

from pydantic import BaseModel

from lib.inngest.events import CAMEL_CASE
from lib.workflows.results import StepResult


class _Camel(BaseModel):
    model_config = CAMEL_CASE


class Superseded(_Camel):
    """How many pending auto-send drafts the teammate's reply stopped."""

    superseded_drafts: int


class SignalRecorded(StepResult):
    """The draft-vs-sent signal the reply gave (lib.trust): recorded (`done`), or why not."""

    model_config = CAMEL_CASE

    kind: str | None = None
    similarity: float | None = None
    category: str | None = None
    draft_id: int | None = None


class ReplyRecorded(Superseded):
    """The run's output: the drafts stopped and the signal recorded."""

    signal: SignalRecorded
