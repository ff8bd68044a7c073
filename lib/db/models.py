"""Tables the workflows keep. Change them only together with a migration in `migrations/versions`.

Portable across SQLite and MySQL/MariaDB: bounded VARCHARs for keys and indexes,
JSON for free-form payloads, naive UTC datetimes.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text, Index
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lib.apps import AUTO_SEND_DELAY_SECONDS, CONFIDENCE_FLOOR, RETENTION_DAYS, TRUST_MIN_SAMPLES, TRUST_THRESHOLD

# MySQL's plain DATETIME drops microseconds; keep them so ordering and round trips agree with SQLite.
Timestamp = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class App(Base):
    """A product whose support inbox we answer."""

    __tablename__ = "apps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    front_inbox_id: Mapped[str] = mapped_column(String(64), unique=True)
    integration_url: Mapped[str | None] = mapped_column(String(500))
    integration_secret: Mapped[str] = mapped_column(String(128))
    stripe_account: Mapped[str | None] = mapped_column(String(64))
    auto_send: Mapped[bool] = mapped_column(Boolean, default=False)
    auto_send_delay_seconds: Mapped[int] = mapped_column(Integer, default=AUTO_SEND_DELAY_SECONDS)
    approval_policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # What Front does with a conversation routed `no_reply`: "none", "archive" or "tag" (with no_reply_tag_id).
    no_reply_action: Mapped[str] = mapped_column(String(16), default="none", server_default="none")
    no_reply_tag_id: Mapped[str | None] = mapped_column(String(64))
    # Auto-send is earned per category (lib.trust): the decayed acceptance a category needs, the
    # signals it needs at least, the agent confidence a single draft needs, and the categories never
    # auto-sent (NULL: lib.trust's default list). Message texts are kept `retention_days`.
    trust_threshold: Mapped[float] = mapped_column(Float, default=TRUST_THRESHOLD, server_default="0.85")
    trust_min_samples: Mapped[int] = mapped_column(Integer, default=TRUST_MIN_SAMPLES, server_default="50")
    confidence_floor: Mapped[float] = mapped_column(Float, default=CONFIDENCE_FLOOR, server_default="0.9")
    never_auto_send: Mapped[list[str] | None] = mapped_column(JSON)
    retention_days: Mapped[int] = mapped_column(Integer, default=RETENTION_DAYS, server_default="30")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)


class Conversation(Base):
    """A Front conversation we have seen, keyed by Front's id."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    app_id: Mapped[int | None] = mapped_column(ForeignKey("apps.id"))
    customer_email: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(32), default="open")
    last_message_id: Mapped[str | None] = mapped_column(String(64))
    needs_human: Mapped[bool] = mapped_column(Boolean, default=False)
    route: Mapped[str | None] = mapped_column(String(16))  # respond | no_reply | human, from the `route` step
    route_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)


class Action(Base):
    """Something the agent proposed doing for a customer (refund, transfer, magic link...)."""

    __tablename__ = "actions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)
    app_id: Mapped[int | None] = mapped_column(ForeignKey("apps.id"))
    type: Mapped[str] = mapped_column(String(64))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # proposed -> pending_approval -> approved|rejected|expired -> executing -> completed|failed
    status: Mapped[str] = mapped_column(String(32), default="proposed", index=True)
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=True)
    agent_reasoning: Mapped[str | None] = mapped_column(Text)
    customer_email: Mapped[str | None] = mapped_column(String(320))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    executed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    execution_run_id: Mapped[str | None] = mapped_column(String(64))  # the run that claimed it for execution
    category: Mapped[str | None] = mapped_column(String(32))  # the agent's category (refund, access, ...)
    confidence: Mapped[float | None] = mapped_column(Float)  # the agent's confidence, 0..1
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)


class ApprovalRequest(Base):
    """A human decision awaited for one action; one per action."""

    __tablename__ = "approval_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action_id: Mapped[str] = mapped_column(ForeignKey("actions.id"), unique=True)
    status: Mapped[str] = mapped_column(String(32), default="pending", index=True)
    expires_at: Mapped[datetime] = mapped_column(Timestamp)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(Timestamp)
    decision_channel: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    notified: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # When the decision reached the workflow (its event was accepted). A decision without it is
    # still being handed over and may yet be reverted, so nobody may be told it stands.
    handed_over_at: Mapped[datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class AuditLog(Base):
    """Append-only record of who did what, for support leads and for disputes."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_action_id", "action_id"), Index("ix_audit_log_kind_at", "kind", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64))
    action_id: Mapped[str | None] = mapped_column(String(64))
    conversation_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ProcessedWebhook(Base):
    """Ids of webhook deliveries already handed over, so a replay is processed once."""

    __tablename__ = "processed_webhooks"

    id: Mapped[str] = mapped_column(String(191), primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class Draft(Base):
    """A reply draft we put into Front, and whether it was auto-sent or superseded."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)
    front_draft_id: Mapped[str | None] = mapped_column(String(64))
    run_id: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32), default="created")
    send_after: Mapped[datetime | None] = mapped_column(Timestamp)
    category: Mapped[str | None] = mapped_column(String(32))
    confidence: Mapped[float | None] = mapped_column(Float)
    app_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # When our webhook received the inbound message this draft answers (the event's ts), for webhook-to-draft time.
    received_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # Why the draft was or was not scheduled for auto-send (lib.trust's gate), as told to teammates.
    auto_send_reason: Mapped[str | None] = mapped_column(String(500))
    # The Front message our auto-send became (Front answers a send with its uid; the id is resolved
    # when the outbound webhook comes), so that webhook is not taken for a teammate's reply.
    sent_message_uid: Mapped[str | None] = mapped_column(String(64))
    sent_message_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)


class ReplySignal(Base):
    """How a teammate's sent reply compares with the agent's latest draft in that conversation.

    One per sent Front message (a replayed webhook records once). The texts are kept, bounded,
    for prompts and evals, and deleted with the row after the app's retention period; the
    daily counts (`ReplySignalDay`) and the trust score (`TrustScore`) stay.
    """

    __tablename__ = "reply_signals"
    __table_args__ = (Index("ix_reply_signals_app_created", "app_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    app_id: Mapped[int | None] = mapped_column(Integer)
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)
    draft_id: Mapped[int | None] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # unchanged | minor_edit | major_rewrite | no_draft
    similarity: Mapped[float | None] = mapped_column(Float)  # 0..1 on normalised text; NULL for no_draft
    draft_text: Mapped[str | None] = mapped_column(Text)
    sent_text: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(320))
    sent_at: Mapped[datetime] = mapped_column(Timestamp)  # when the teammate's reply was sent (decay runs from here)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class ReplySignalDay(Base):
    """Signals counted per app, category, day and kind: what the dashboard charts after retention deletes the rows."""

    __tablename__ = "reply_signal_days"

    app_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)  # "" when the draft had none
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class TrustScore(Base):
    """Decayed acceptance of the agent's drafts per app and category (30-day half-life), kept incrementally.

    `accepted` and `total` are sums of signal weights decayed to `decayed_to`, so the score
    survives retention deleting the signals; `samples` counts signals, undecayed.
    """

    __tablename__ = "trust_scores"

    app_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    accepted: Mapped[float] = mapped_column(Float, default=0.0)
    total: Mapped[float] = mapped_column(Float, default=0.0)
    samples: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    decayed_to: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)
