"""Centres and the doctors who work in them, with their invites and account events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jiayi.storage.models.base import Base


class Centre(Base):
    __tablename__ = "centres"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    # Shown on every appointment message when set (booking YAML `phone`/`address`).
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]

    doctors: Mapped[list[Doctor]] = relationship(back_populates="centre", lazy="raise")


class Doctor(Base):
    __tablename__ = "doctors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    centre_id: Mapped[int] = mapped_column(
        ForeignKey("centres.id", ondelete="RESTRICT"), index=True
    )
    display_name: Mapped[str] = mapped_column(String(100))
    # The code residents reach through `/start doc_<code>`: public, so it is not a secret.
    link_code: Mapped[str] = mapped_column(String(32), unique=True)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    created_at: Mapped[datetime]
    # The language of pushes addressed to the doctor (digests); None = the bot's default.
    locale: Mapped[str | None] = mapped_column(String(8))
    # Urgent home-reading alerts also at night (quiet hours), when the doctor asked for it.
    urgent_alerts_all_hours: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    # Set with `active = false` by `jiayi doctor deactivate`: the console is gone at once, the
    # residents stay contracted and are listed as needing a new doctor.
    deactivated_at: Mapped[datetime | None]

    centre: Mapped[Centre] = relationship(back_populates="doctors", lazy="raise")


class DoctorInvite(Base):
    """A one-time link that binds a Telegram account to a doctor. Only a hash of it is kept."""

    __tablename__ = "doctor_invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doctor_id: Mapped[int] = mapped_column(
        ForeignKey("doctors.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    # `jiayi doctor revoke-invite` (or deactivating the doctor): a forwarded link stops working.
    revoked_at: Mapped[datetime | None]
    # Set when the operator asked to re-bind an existing doctor (and their residents) to
    # whoever opens the link; a plain invite is for a doctor created with it.
    rebind: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class DoctorAccountEvent(Base):
    """The operator's changes to doctors' accounts (invites, re-binds, revocations,
    deactivations, residents moved): who the change was for, never a token."""

    __tablename__ = "doctor_account_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doctor_id: Mapped[int | None] = mapped_column(
        ForeignKey("doctors.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(32))
    # A second doctor the action involved (the one residents were moved to).
    other_doctor_id: Mapped[int | None] = mapped_column(
        ForeignKey("doctors.id", ondelete="SET NULL")
    )
    count: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime]
