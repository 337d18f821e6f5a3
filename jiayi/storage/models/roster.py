"""The centre's contract roster, imported before people sign up."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jiayi.storage.models.base import Base


class RosterEntry(Base):
    """A person the centre's family-doctor contract system lists (imported from its CSV/XLSX
    export), not yet — or already — a resident of the bot. Nobody is messaged because of it:
    it waits until someone signs up and shares this phone number through Telegram.

    Personal data: while unmatched it is deleted by the next import that no longer lists it
    or by retention after the contract end; once matched (`resident_id`) it is the resident's,
    exported by /mydata and erased by /forget (ON DELETE CASCADE)."""

    __tablename__ = "roster_entries"
    __table_args__ = (
        UniqueConstraint("centre_id", "phone", name="uq_roster_entries_centre_phone"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id", ondelete="CASCADE"))
    doctor_id: Mapped[int | None] = mapped_column(
        ForeignKey("doctors.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    # E.164 (+8613812345678), normalised with `phonenumbers`.
    phone: Mapped[str] = mapped_column(String(20), index=True)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(8))
    # Condition codes, comma-separated, sorted ("diabetes_t2,hypertension").
    conditions: Mapped[str] = mapped_column(String(200), default="", server_default="")
    contract_starts_on: Mapped[date | None] = mapped_column(Date)
    contract_ends_on: Mapped[date | None] = mapped_column(Date)
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), unique=True
    )
    matched_at: Mapped[datetime | None]
    imported_at: Mapped[datetime]
