"""The field types every button's data is built from: bounded numbers and real days."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field


def _real_day(value: int) -> int:
    try:
        date(value // 10000, value // 100 % 100, value % 100)
    except (ValueError, OverflowError):
        raise ValueError("not a calendar day") from None
    return value


# Every number in button data: an id, a page, a choice. Forged data out of this range (a
# negative page, an id past the database's integer) fails unpacking like a bad day does.
Num = Annotated[int, Field(ge=0, le=2_147_483_647)]
# A local calendar day as yyyymmdd. Button data can be forged: a value that is no real day
# fails unpacking, so the button's filter doesn't match and the press is answered like a
# stale button (bot.fallback), instead of a handler failing on it.
Ymd = Annotated[int, AfterValidator(_real_day)]


class Lang(StrEnum):
    ZH = "zh-CN"
    EN = "en"
