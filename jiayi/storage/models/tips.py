"""What people said about tips: residents' feedback and clinicians' sign-offs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jiayi.storage.models.base import Base, BigId


class TipFeedback(Base):
    """👍/👎 on a delivered tip: one vote per delivery, the latest press wins."""

    __tablename__ = "tip_feedback"

    outbox_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True
    )
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    tip_id: Mapped[str] = mapped_column(String(64), index=True)
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]


class TipSignoff(Base):
    """A clinician's sign-off of a tip, given in the console: who, when, which source sections
    they checked, and a hash of the tip's content then (an edited tip needs signing again).
    Layered on the tip files' own `review`: either one signs the tip off."""

    __tablename__ = "tip_signoffs"
    __table_args__ = (Index("ix_tip_signoffs_tip_signed", "tip_id", "signed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tip_id: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    # The name the clinician signed with (a doctor's display name, or the operator's entry).
    clinician: Mapped[str] = mapped_column(String(100))
    signed_by_user_id: Mapped[int] = mapped_column(BigInteger)
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctors.id", ondelete="SET NULL"))
    # JSON list of the source sections checked.
    sections: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime]
