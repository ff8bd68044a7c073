"""Typed outputs of `handle-inbound-message`'s draft steps (`create-draft` answers `lib.drafts.DraftRecord`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class AutoSendResult(BaseModel):
    """What `auto-send` did: sent, or why not (a teammate took the draft over, or it was already handled)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)

    sent: bool
    reason: str | None = None
