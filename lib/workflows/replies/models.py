"""What `record-human-reply`'s step returns."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Superseded(BaseModel):
    """How many pending auto-send drafts the teammate's reply stopped."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)

    superseded_drafts: int
