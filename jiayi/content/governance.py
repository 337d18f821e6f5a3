"""Clinical governance fields shared by rule files (care-plan rules, points rules): where a
rule comes from and whether a clinician has checked it against that source.

A source names the document, its edition (the year it was issued) and the section relied on.
A review is a state: `pending` until a named clinician signs it off, with the date and the
source sections they checked. Nobody is recorded as a reviewer who did not review: shipped
rules stay `pending` until a centre's clinician signs them off.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Documents older than this are not "current" for any rule jiayi ships.
OLDEST_EDITION = 1990
NEWEST_EDITION = 2100


class ReviewState(StrEnum):
    PENDING = "pending"
    SIGNED_OFF = "signed_off"


class SourceRef(BaseModel):
    """One source a rule relies on: document, edition year, section."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    document: str = Field(min_length=2)
    edition: int = Field(ge=OLDEST_EDITION, le=NEWEST_EDITION)
    section: str = Field(min_length=1)

    def cite(self) -> str:
        return f"{self.document} ({self.edition}), {self.section}"


class Review(BaseModel):
    """`pending`, or `signed_off` by a named clinician on a date, with the sections checked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    state: ReviewState
    by: str | None = None
    # `date`, not `on`: YAML reads a bare `on` key as true.
    date: dt.date | None = None
    sections: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _complete(self) -> Review:
        if self.state is ReviewState.SIGNED_OFF:
            if not (self.by or "").strip() or self.date is None or not self.sections:
                raise ValueError(
                    "a signed-off review names the clinician (by), the date (date) "
                    "and the source sections they checked"
                )
        elif self.by or self.date or self.sections:
            raise ValueError("a pending review has no reviewer, date or sections yet")
        return self

    @property
    def pending(self) -> bool:
        return self.state is ReviewState.PENDING


def governance_problems(sources: Iterable[SourceRef]) -> list[str]:
    """Problems pydantic cannot see on its own (empty = fine)."""
    problems = []
    seen: set[tuple[str, int, str]] = set()
    for source in sources:
        key = (source.document, source.edition, source.section)
        if key in seen:
            problems.append(f"source {source.cite()} is listed twice")
        seen.add(key)
    return problems
