"""A reply draft as the workflows pass it between steps: its statuses and `DraftRecord` (pydantic only, cheap to import).

`lib.conversations` stores drafts and answers these; the workflow modules, which import
nothing heavy at module level (`lib/workflows/__init__.py`), name them as step output types.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from lib.inngest.events import CAMEL_CASE

DRAFT_CREATED = "created"
DRAFT_SENDING = "sending"
DRAFT_SENT = "sent"
DRAFT_SUPERSEDED = "superseded"  # a teammate replied first


class DraftRecord(BaseModel):
    """A stored draft (the `create-draft` step's output, camelCase on the wire).

    `version` is Front's draft version, known only right after creating (or re-reading) it.
    """

    model_config = CAMEL_CASE

    id: int
    conversation_id: str
    front_draft_id: str | None = None
    status: str
    send_after: datetime | None = None
    auto_send_reason: str | None = None
    version: str | None = None
