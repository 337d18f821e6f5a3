"""The doctor console: audit log, broadcasts, questions and web-console sign-ins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from jiayi.storage.models.base import Base, BigId


class AuditEntry(Base):
    """Who (a doctor or an admin) read or changed which resident's data, and when.

    Only the fact of the access: never a message body or a search term. Residents see their
    own entries in their data export.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_resident_at", "resident_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # NULL for an admin who is not a doctor; `actor_user_id` still says who it was.
    actor_doctor_id: Mapped[int | None] = mapped_column(
        ForeignKey("doctors.id", ondelete="SET NULL"), index=True
    )
    actor_user_id: Mapped[int] = mapped_column(BigInteger)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(32))
    ref_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime]


class Broadcast(Base):
    """A doctor's message to a segment of their residents. Its pushes are outbox rows with the
    dedupe key `broadcast:<id>:<resident id>`; the report is counted from their statuses."""

    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_status", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doctor_id: Mapped[int | None] = mapped_column(
        ForeignKey("doctors.id", ondelete="SET NULL"), index=True
    )
    owner_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    owner_locale: Mapped[str] = mapped_column(String(8))
    # JSON {locale: text}; the first language is the doctor's, the second optional.
    texts: Mapped[str] = mapped_column(Text)
    photo_file_id: Mapped[str | None] = mapped_column(String(200))
    # JSON list of segment codes, e.g. ["cond.hypertension", "age.65+"].
    segments: Mapped[str] = mapped_column(Text)
    audience_size: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime]
    spread_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    status: Mapped[str] = mapped_column(String(12))
    status_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class Question(Base):
    """A resident's question to their family doctor."""

    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_doctor_open", "doctor_id", "answered_at", "asked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[int | None] = mapped_column(BigInteger)


class ConsoleLogin(Base):
    """A one-time sign-in link `/console` sent in the bot. Only a hash of its token is kept."""

    __tablename__ = "console_logins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The language of the chat it was asked for in: the console starts in it.
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ConsoleSession(Base):
    """A signed-in browser. The cookie holds the token; only its hash is kept here."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
