"""The audit log: who did what to which action or conversation, appended and never edited."""

from __future__ import annotations

from typing import Any


def record(
    actor: str,
    kind: str,
    *,
    action_id: str | None = None,
    conversation_id: str | None = None,
    session: Any | None = None,
    **details: Any,
) -> None:
    """Append one entry; pass `session` to make it part of a larger transaction."""
    from lib.db import get_db
    from lib.db.models import AuditLog

    entry = AuditLog(actor=actor, kind=kind, action_id=action_id, conversation_id=conversation_id, details=details or None)
    if session is not None:
        session.add(entry)
        return
    with get_db().session() as own:
        own.add(entry)


def entries(*, action_id: str | None = None, conversation_id: str | None = None) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from lib.db import get_db
    from lib.db.models import AuditLog

    query = select(AuditLog).order_by(AuditLog.id)
    if action_id is not None:
        query = query.where(AuditLog.action_id == action_id)
    if conversation_id is not None:
        query = query.where(AuditLog.conversation_id == conversation_id)
    with get_db().session() as session:
        return [
            {"actor": e.actor, "kind": e.kind, "action_id": e.action_id, "conversation_id": e.conversation_id,
             "details": e.details or {}, "at": e.at.isoformat()}
            for e in session.scalars(query)
        ]
