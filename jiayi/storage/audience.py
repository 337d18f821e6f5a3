"""Clauses about a resident's household that push audiences and the console's filters share."""

from __future__ import annotations

from datetime import date

from sqlalchemy import exists
from sqlalchemy.sql.elements import ColumnElement

from jiayi.storage import models as m


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier; 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def has_child_under(years: int, on_day: date) -> ColumnElement[bool]:
    """The resident manages a child younger than `years` on `on_day`."""
    return exists().where(
        m.FamilyMember.resident_id == m.Resident.id,
        m.FamilyMember.relation == "child",
        m.FamilyMember.birth_date > years_before(on_day, years),
    )
