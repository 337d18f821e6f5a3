"""What privacy keeps without a person: declined-consent and anonymised counts."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from jiayi.storage.models.base import Base


class ConsentRefusal(Base):
    """An anonymous count of declined consent: no user id, no name, only the day and notice."""

    __tablename__ = "consent_refusals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_version: Mapped[str] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(8))
    refused_on: Mapped[date]


class StatisticCount(Base):
    """Anonymised counts the centre keeps after personal rows are erased or pruned.

    No resident id, no name: a metric, a calendar month (UTC, 'YYYY-MM') and one dimension such
    as a service code or tip id. Counts only grow, by single UPDATEs.
    """

    __tablename__ = "statistic_counts"
    __table_args__ = (
        UniqueConstraint("metric", "period", "dimension", name="uq_statistic_counts_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    metric: Mapped[str] = mapped_column(String(48))
    period: Mapped[str] = mapped_column(String(7))
    dimension: Mapped[str] = mapped_column(String(64), default="", server_default="")
    count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
