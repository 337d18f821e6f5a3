"""A generic scan for personal data left in the database: every table, every column.

New tables are covered without changes here: the scan walks `Base.metadata`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Date, Integer, String, Text, select

from jiayi.services.database import UnitOfWorkFactory
from jiayi.storage import models as m


@dataclass(frozen=True)
class PersonalData:
    telegram_ids: tuple[int, ...]
    names: tuple[str, ...]
    birth_years: tuple[int, ...] = ()
    birth_dates: tuple[date, ...] = field(default=())

    def found_in(self, value: object) -> str | None:
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, int):
            if value in self.telegram_ids:
                return "telegram id"
            if value in self.birth_years:
                return "birth year"
        if isinstance(value, date) and value in self.birth_dates:
            return "birth date"
        if isinstance(value, str):
            for name in self.names:
                if name in value:
                    return "name"
            for tid in self.telegram_ids:
                if str(tid) in value:
                    return "telegram id"
            for born in self.birth_dates:
                if born.isoformat() in value:
                    return "birth date"
        return None


async def personal_data_left(uow_factory: UnitOfWorkFactory, data: PersonalData) -> list[str]:
    """'table.column: what' for every value that is still one of theirs."""
    found = []
    async with uow_factory() as uow:
        for table in m.Base.metadata.sorted_tables:
            columns = [
                c for c in table.columns if isinstance(c.type, Integer | String | Text | Date)
            ]
            rows = await uow.session.execute(select(*columns))
            for row in rows:
                for column, value in zip(columns, row, strict=True):
                    what = data.found_in(value)
                    if what:
                        found.append(f"{table.name}.{column.name}: {what}")
    return sorted(set(found))
