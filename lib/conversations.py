"""What we remember about Front conversations: the last message seen, whether a human must answer, our drafts.

Front stays the source of truth for messages; these rows let the workflows stay
idempotent (a retried step finds its draft) and let auto-send check that no
human has taken over.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

DRAFT_CREATED = "created"
DRAFT_SENT = "sent"
DRAFT_SUPERSEDED = "superseded"  # a teammate replied first


def _conversation_row(session: Any, conversation_id: str) -> Any:
    """The conversation's row, added if we have none yet."""
    from lib.db.models import Conversation

    row = session.get(Conversation, conversation_id)
    if row is None:
        row = Conversation(id=conversation_id)
        session.add(row)
    return row


def mark_needs_human(conversation_id: str, reason: str) -> None:
    from lib.db import get_db

    with get_db().session() as session:
        row = _conversation_row(session, conversation_id)
        row.needs_human = True
        row.status = "needs_human"
    from lib import audit

    audit.record("workflow", "conversation.needs_human", conversation_id=conversation_id, reason=reason)


def record_route(conversation_id: str, route: str, reason: str) -> None:
    """Remember how the `route` step routed the conversation's latest message, and why."""
    from lib.db import get_db

    with get_db().session() as session:
        row = _conversation_row(session, conversation_id)
        row.route = route
        row.route_reason = reason[:500]


def route_of(conversation_id: str) -> tuple[str | None, str | None]:
    """(route, reason) stored for the conversation."""
    from lib.db import get_db
    from lib.db.models import Conversation

    with get_db().session() as session:
        row = session.get(Conversation, conversation_id)
        return (row.route, row.route_reason) if row else (None, None)


def last_auto_send(conversation_id: str) -> datetime | None:
    """When we last auto-sent a reply into this conversation (naive UTC), for the loop guard."""
    from sqlalchemy import func, select

    from lib.db import get_db
    from lib.db.models import Draft

    with get_db().session() as session:
        return session.scalar(
            select(func.max(Draft.updated_at)).where(Draft.conversation_id == conversation_id, Draft.status == DRAFT_SENT)
        )


def needs_human(conversation_id: str) -> bool:
    from lib.db import get_db
    from lib.db.models import Conversation

    with get_db().session() as session:
        row = session.get(Conversation, conversation_id)
        return bool(row and row.needs_human)


def record_draft(
    *,
    conversation_id: str,
    run_id: str,
    front_draft_id: str | None,
    body: str,
    send_after: datetime | None,
    category: str | None = None,
    confidence: float | None = None,
) -> dict[str, Any]:
    """Store the draft once per run: a retried step returns the row the first attempt wrote.

    `conversation_id` is where the draft landed in Front (a merged conversation's
    surviving id), so a teammate's reply there supersedes it; the run id finds it.
    """
    from lib.db import get_db
    from lib.db.models import Draft

    with get_db().session() as session:
        row = _run_row(session, run_id)
        if row is None:
            row = Draft(
                conversation_id=conversation_id,
                run_id=run_id,
                front_draft_id=front_draft_id,
                body=body,
                send_after=send_after,
                category=category,
                confidence=confidence,
            )
            session.add(row)
            session.flush()
        return _draft_json(row)


def run_draft(run_id: str) -> dict[str, Any] | None:
    """The run's draft wherever it landed (a merge in Front can move it to another conversation)."""
    from lib.db import get_db

    with get_db().session() as session:
        row = _run_row(session, run_id)
        return _draft_json(row) if row else None


def move_draft(draft_id: int, conversation_id: str) -> None:
    """Front merged the draft's conversation: follow it, so replies in the surviving one supersede it."""
    from sqlalchemy import update

    from lib.db import get_db
    from lib.db.models import Draft, utcnow

    with get_db().session() as session:
        session.execute(update(Draft).where(Draft.id == draft_id).values(conversation_id=conversation_id, updated_at=utcnow()))
    from lib import audit

    audit.record("workflow", "draft.moved", draft_id=draft_id, conversation_id=conversation_id)


def draft_body(draft_id: int) -> str:
    """The stored draft's text (what auto-send sends)."""
    from lib.db import get_db
    from lib.db.models import Draft

    with get_db().session() as session:
        row = session.get(Draft, draft_id)
        if row is None:
            raise LookupError(f"draft {draft_id} is not stored")
        return row.body


def _run_row(session: Any, run_id: str) -> Any:
    from sqlalchemy import select

    from lib.db.models import Draft

    return session.scalars(select(Draft).where(Draft.run_id == run_id).order_by(Draft.id)).first()


def set_draft_status(draft_id: int, status: str, *, only_from: str = DRAFT_CREATED) -> bool:
    """Compare-and-set a draft's status; False if it already left `only_from`."""
    from sqlalchemy import update

    from lib.db import get_db
    from lib.db.models import Draft, utcnow

    with get_db().session() as session:
        result = session.execute(
            update(Draft)
            .where(Draft.id == draft_id, Draft.status == only_from)
            .values(status=status, updated_at=utcnow())
        )
        return result.rowcount == 1


def supersede_pending_drafts(conversation_id: str) -> int:
    """A teammate replied: no pending auto-send for this conversation may go out."""
    from sqlalchemy import update

    from lib.db import get_db
    from lib.db.models import Draft, utcnow

    with get_db().session() as session:
        result = session.execute(
            update(Draft)
            .where(Draft.conversation_id == conversation_id, Draft.status == DRAFT_CREATED, Draft.send_after.is_not(None))
            .values(status=DRAFT_SUPERSEDED, updated_at=utcnow())
        )
        return result.rowcount


def _draft_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "conversationId": row.conversation_id,
        "frontDraftId": row.front_draft_id,
        "status": row.status,
        "sendAfter": row.send_after.isoformat() if row.send_after else None,
    }
