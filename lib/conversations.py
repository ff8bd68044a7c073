"""What we remember about Front conversations: the last message seen, whether a human must answer, our drafts.

Front stays the source of truth for messages; these rows let the workflows stay
idempotent (a retried step finds its draft) and let auto-send check that no
human has taken over. Every caller touches the database, so the database modules are
imported here, at module level; workflow modules import this one inside their step bodies.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from lib import audit
from lib.db import get_db
from lib.db.models import Conversation, Draft, ReplySignal, utcnow
from lib.drafts import DRAFT_CREATED, DRAFT_SENDING, DRAFT_SENT, DRAFT_SUPERSEDED, DraftRecord  # noqa: F401 - callers name them here


def _conversation_row(session: Session, conversation_id: str) -> Conversation:
    """The conversation's row, added if we have none yet."""
    row = session.get(Conversation, conversation_id)
    if row is None:
        row = Conversation(id=conversation_id)
        session.add(row)
    return row


def mark_needs_human(conversation_id: str, reason: str) -> None:
    with get_db().session() as session:
        row = _conversation_row(session, conversation_id)
        row.needs_human = True
        row.status = "needs_human"
    audit.record("workflow", "conversation.needs_human", conversation_id=conversation_id, reason=reason)


def record_route(conversation_id: str, route: str, reason: str, *, session: Session | None = None, **audited: object) -> None:
    """Remember how the conversation's latest message was routed, and why, with its `conversation.routed`
    audit entry in the same transaction (`audited`: the entry's other details; `session`: a transaction
    already open, else one of its own)."""
    if session is None:
        with get_db().session() as own:
            return record_route(conversation_id, route, reason, session=own, **audited)
    row = _conversation_row(session, conversation_id)
    row.route = route
    row.route_reason = reason[:500]
    audit.record("router", "conversation.routed", conversation_id=conversation_id, session=session,
                 route=route, reason=reason, **audited)


def route_of(conversation_id: str) -> tuple[str | None, str | None]:
    """(route, reason) stored for the conversation."""
    with get_db().session() as session:
        row = session.get(Conversation, conversation_id)
        return (row.route, row.route_reason) if row else (None, None)


def last_auto_send(conversation_id: str, *, session: Session | None = None) -> datetime | None:
    """When we last auto-sent a reply into this conversation (naive UTC), for the loop guard."""
    if session is None:
        with get_db().session() as own:
            return last_auto_send(conversation_id, session=own)
    return session.scalar(
        select(func.max(Draft.updated_at)).where(Draft.conversation_id == conversation_id, Draft.status == DRAFT_SENT)
    )


def needs_human(conversation_id: str) -> bool:
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
    app_id: int | None = None,
    received_at: datetime | None = None,
    auto_send_reason: str | None = None,
) -> DraftRecord:
    """Store the draft once per run: a retried step returns the row the first attempt wrote.

    `conversation_id` is where the draft landed in Front (a merged conversation's
    surviving id), so a teammate's reply there supersedes it; the run id finds it.
    """
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
                app_id=app_id,
                received_at=received_at,
                auto_send_reason=auto_send_reason[:500] if auto_send_reason else None,
            )
            session.add(row)
            session.flush()
        return _record(row)


def run_draft(run_id: str) -> DraftRecord | None:
    """The run's draft wherever it landed (a merge in Front can move it to another conversation)."""
    with get_db().session() as session:
        row = _run_row(session, run_id)
        return _record(row) if row else None


def move_draft(draft_id: int, conversation_id: str) -> None:
    """Front merged the draft's conversation: follow it, so replies in the surviving one supersede it."""
    with get_db().session() as session:
        session.execute(update(Draft).where(Draft.id == draft_id).values(conversation_id=conversation_id, updated_at=utcnow()))
    audit.record("workflow", "draft.moved", draft_id=draft_id, conversation_id=conversation_id)


def draft_body(draft_id: int) -> str:
    """The stored draft's text (what auto-send sends)."""
    with get_db().session() as session:
        row = session.get(Draft, draft_id)
        if row is None:
            raise LookupError(f"draft {draft_id} is not stored")
        return row.body


def _run_row(session: Session, run_id: str) -> Draft | None:
    return session.scalars(select(Draft).where(Draft.run_id == run_id).order_by(Draft.id)).first()


def set_draft_status(draft_id: int, status: str, *, only_from: str = DRAFT_CREATED) -> bool:
    """Compare-and-set a draft's status; False if it already left `only_from`."""
    with get_db().session() as session:
        result = session.execute(
            update(Draft)
            .where(Draft.id == draft_id, Draft.status == only_from)
            .values(status=status, updated_at=utcnow())
        )
        return result.rowcount == 1


def supersede_pending_drafts(conversation_id: str) -> int:
    """A teammate replied: no pending auto-send for this conversation may go out."""
    with get_db().session() as session:
        result = session.execute(
            update(Draft)
            .where(Draft.conversation_id == conversation_id, Draft.status == DRAFT_CREATED, Draft.send_after.is_not(None))
            .values(status=DRAFT_SUPERSEDED, updated_at=utcnow())
        )
        return result.rowcount


# -- our own sends, as Front reports them back -------------------------------------------------


def record_sent_message(draft_id: int, message_uid: str | None) -> None:
    """Remember the uid Front gave the message our auto-send became (its id is resolved later)."""
    if message_uid:
        with get_db().session() as session:
            session.execute(update(Draft).where(Draft.id == draft_id).values(sent_message_uid=message_uid[:64]))


def sending_in(conversation_id: str) -> bool:
    """Whether one of our auto-sends in this conversation is going out right now (its message cannot be told apart yet)."""
    with get_db().session() as session:
        found = session.scalar(select(Draft.id).where(Draft.conversation_id == conversation_id, Draft.status == DRAFT_SENDING))
        return found is not None


def unresolved_sends(conversation_id: str) -> list[tuple[int, str]]:
    """(draft id, Front message uid) of our sends in this conversation whose message id is not known yet."""
    with get_db().session() as session:
        rows = session.execute(
            select(Draft.id, Draft.sent_message_uid).where(
                Draft.conversation_id == conversation_id, Draft.sent_message_uid.is_not(None), Draft.sent_message_id.is_(None)
            )
        ).all()
        return [(row[0], row[1]) for row in rows]


def resolve_sent_message(draft_id: int, message_id: str) -> None:
    with get_db().session() as session:
        session.execute(update(Draft).where(Draft.id == draft_id).values(sent_message_id=message_id[:64]))


def is_our_send(message_id: str) -> bool:
    """Whether this Front message is one our auto-send sent (not a teammate's reply)."""
    with get_db().session() as session:
        return session.scalar(select(Draft.id).where(Draft.sent_message_id == message_id)) is not None


class JudgedDraft(BaseModel):
    """The draft a teammate's reply is compared with."""

    id: int
    body: str
    app_id: int | None
    category: str | None


def draft_to_judge(conversation_id: str) -> JudgedDraft | None:
    """The conversation's latest draft, if a teammate's reply can judge it.

    None when there is none, when we auto-sent it ourselves (a later reply is a follow-up,
    not an edit of it), or when an earlier reply already judged it (one verdict per draft).
    """
    with get_db().session() as session:
        row = session.scalars(select(Draft).where(Draft.conversation_id == conversation_id).order_by(Draft.id.desc())).first()
        if row is None or row.status in (DRAFT_SENDING, DRAFT_SENT):
            return None
        if session.scalar(select(ReplySignal.id).where(ReplySignal.draft_id == row.id)) is not None:
            return None
        return JudgedDraft(id=row.id, body=row.body, app_id=row.app_id, category=row.category)


def _record(row: Draft) -> DraftRecord:
    return DraftRecord.model_validate(row, from_attributes=True)
