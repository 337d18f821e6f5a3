"""Dates and times as people read them, in their language.

zh-CN: 12月9日（周三）上午8:30 · en: Wed 9 Dec, 8:30 am. The year is added only when it is not
the reader's current year (2027年1月9日（周六） / Sat 9 Jan 2027). Never `2026-12-09 08:30`:
machine formats belong in files meant for machines (.ics, the JSON export).

Times of day in Chinese use CLDR's day periods (Babel's `B`), as people say them: 凌晨 before
05:00 (midnight itself is 午夜12:00), 早上 until 08:00, 上午 until noon, 中午 12:00–12:59, 下午
until 19:00, 晚上 after. So noon is 中午12:00 (not 下午12:00, which reads as "afternoon") and
7:30 is 早上7:30. English uses lower-case am/pm: 12:00 is 12:00 pm, midnight 12:00 am.

Values are shown in the time zone they carry: callers pass local times (the centre's zone).
"""

from __future__ import annotations

from datetime import date, datetime, time

from babel.dates import format_date, format_time

ZH = "zh-CN"


def babel_locale(locale: str) -> str:
    return "zh_CN" if locale == ZH else "en"


def day_words(day: date | datetime, locale: str, *, today: date) -> str:
    """12月9日（周三） / Wed 9 Dec; with the year when `day` is not in `today`'s year."""
    if isinstance(day, datetime):
        day = day.date()
    same_year = day.year == today.year
    if locale == ZH:
        pattern = "M月d日（EEE）" if same_year else "y年M月d日（EEE）"
    else:
        pattern = "EEE d MMM" if same_year else "EEE d MMM y"
    return format_date(day, pattern, locale=babel_locale(locale))


def full_date_words(day: date | datetime, locale: str) -> str:
    """2024年3月15日 / 15 Mar 2024: always with the year and without the weekday, for dates
    whose weekday means nothing to the reader (birth dates)."""
    if isinstance(day, datetime):
        day = day.date()
    pattern = "y年M月d日" if locale == ZH else "d MMM y"
    return format_date(day, pattern, locale=babel_locale(locale))


def short_day_words(day: date | datetime, locale: str) -> str:
    """12月9日 / 9 Dec: a day on a chart's axis, where the weekday and year would crowd it."""
    if isinstance(day, datetime):
        day = day.date()
    pattern = "M月d日" if locale == ZH else "d MMM"
    return format_date(day, pattern, locale=babel_locale(locale))


def time_words(at: time | datetime, locale: str) -> str:
    """上午8:30 / 8:30 am (中午12:00 / 12:00 pm)."""
    clock = at.timetz() if isinstance(at, datetime) else at
    if locale == ZH:
        return format_time(clock, "Bh:mm", locale=babel_locale(locale))
    hour = clock.hour % 12 or 12
    return f"{hour}:{clock.minute:02d} {'am' if clock.hour < 12 else 'pm'}"


def when_words(at: datetime, locale: str, *, today: date) -> str:
    """12月9日（周三）上午8:30 / Wed 9 Dec, 8:30 am."""
    day = day_words(at, locale, today=today)
    if locale == ZH:
        return f"{day}{time_words(at, locale)}"
    return f"{day}, {time_words(at, locale)}"


def hour_words(hour: int, locale: str) -> str:
    """A whole hour of the day (quiet hours: 晚上10:00 / 10:00 pm)."""
    return time_words(time(hour % 24), locale)
