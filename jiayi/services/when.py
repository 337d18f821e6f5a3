"""Times as doctors type them: "明天早上9点", "今晚8点", "后天下午3点半", "tomorrow 9am",
"tonight 8 pm", "12月9日 上午10点", or "2026-12-09 09:00". Read in the centre's time zone.

Small on purpose: a day word (or a date), a part of the day, an hour, and minutes. Anything
else is not guessed at: `parse_local` returns None and the caller asks again.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9, "十": 10}

# Day words: days from today, and whether the word itself says evening or morning.
_DAYS = {
    "今天": (0, None),
    "今日": (0, None),
    "今早": (0, "am"),
    "今晚": (0, "pm"),
    "明天": (1, None),
    "明日": (1, None),
    "明早": (1, "am"),
    "明晚": (1, "pm"),
    "后天": (2, None),
    "today": (0, None),
    "tonight": (0, "pm"),
    "tomorrow": (1, None),
    "tmr": (1, None),
}
_PARTS = {
    "凌晨": "am",
    "早上": "am",
    "早晨": "am",
    "清早": "am",
    "上午": "am",
    "中午": "noon",
    "下午": "pm",
    "傍晚": "pm",
    "晚上": "pm",
    "夜里": "pm",
    "morning": "am",
    "afternoon": "pm",
    "evening": "pm",
    "night": "pm",
    "am": "am",
    "a.m.": "am",
    "pm": "pm",
    "p.m.": "pm",
    "noon": "noon",
}
_NUMBER = r"[0-9]{1,2}|[零〇一二两三四五六七八九十]{1,3}"
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[ t]+(\d{1,2}):(\d{2})$")
_DATE_CN = re.compile(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]")
_CLOCK = re.compile(
    rf"(?P<h>{_NUMBER})\s*(?:(?::|：)(?P<m>\d{{2}})|(?:点|时|o'?clock)?\s*(?:(?P<half>半)|(?P<cm>{_NUMBER})\s*分?)?)",
)


def _number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _CN_DIGITS.get(text[1:], 99)
    if len(text) == 1:
        return _CN_DIGITS.get(text)
    if len(text) == 2 and text[1] == "十":
        return _CN_DIGITS.get(text[0], 99) * 10
    if len(text) == 3 and text[1] == "十":
        return _CN_DIGITS.get(text[0], 99) * 10 + _CN_DIGITS.get(text[2], 99)
    return None


def _hour_24(hour: int, part: str | None) -> int | None:
    if part == "pm" and 1 <= hour < 12:
        return hour + 12
    if part == "am" and hour == 12:
        return 0
    if part == "noon" and 1 <= hour < 6:
        return hour + 12
    return hour if 0 <= hour <= 23 else None


def parse_local(text: str | None, zone: ZoneInfo, now: datetime) -> datetime | None:
    """The aware local time the text names, or None if it names none (no hour, an impossible
    date or time). A day word or a date picks the day; without one, the next time that hour
    comes round (today, or tomorrow if it has passed). Not checked for being in the future."""
    typed = " ".join((text or "").strip().lower().split())
    if not typed:
        return None
    iso = _ISO.match(typed)
    if iso:
        y, mo, d, h, mi = (int(g) for g in iso.groups())
        return _at(date_or_none(y, mo, d), h, mi, zone)
    today = now.astimezone(zone).date()
    day: date | None = None
    part: str | None = None
    rest = typed
    found = _DATE_CN.search(rest)
    if found:
        year = int(found.group(1)) if found.group(1) else today.year
        day = date_or_none(year, int(found.group(2)), int(found.group(3)))
        if day is None:
            return None
        if not found.group(1) and day < today:
            day = date_or_none(year + 1, day.month, day.day)
        rest = rest[: found.start()] + " " + rest[found.end() :]
    for word, (offset, implied) in _DAYS.items():
        if word in rest:
            if day is not None:
                return None  # a date and a day word: ask rather than guess
            day = today + timedelta(days=offset)
            part = implied
            rest = rest.replace(word, " ", 1)
            break
    for word, meaning in sorted(_PARTS.items(), key=lambda kv: -len(kv[0])):
        if re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", rest):
            part = meaning
            rest = rest.replace(word, " ", 1)
            break
    rest = re.sub(r"\b(at|on)\b|[在的,，.。]", " ", rest)
    clock = _CLOCK.search(rest)
    if clock is None:
        return None
    if rest[: clock.start()].strip() or rest[clock.end() :].strip():
        return None  # words we don't understand: don't guess
    hour = _number(clock.group("h"))
    minute_text = clock.group("m") or clock.group("cm")
    minute = 30 if clock.group("half") else (_number(minute_text) if minute_text else 0)
    if hour is None or minute is None or minute > 59:
        return None
    hour24 = _hour_24(hour, part)
    if hour24 is None:
        return None
    if day is None:
        day = today
        candidate = _at(day, hour24, minute, zone)
        if candidate is not None and candidate <= now:
            day = today + timedelta(days=1)
    return _at(day, hour24, minute, zone)


def date_or_none(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _at(day: date | None, hour: int, minute: int, zone: ZoneInfo) -> datetime | None:
    if day is None or not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return datetime.combine(day, time(hour, minute), zone)


# The broadcast schedule's quick picks: tonight at 7 pm, tomorrow at 9 am, or a day of the
# next week and one of these hours.
TONIGHT = time(19, 0)
TOMORROW_MORNING = time(9, 0)
PICK_HOURS = (8, 9, 12, 15, 19)
PICK_DAYS = 7


def tonight(zone: ZoneInfo, now: datetime) -> datetime | None:
    """Today at 7 pm local, or None once that has passed (the button is not shown)."""
    at = datetime.combine(now.astimezone(zone).date(), TONIGHT, zone)
    return at if at > now else None


def tomorrow_morning(zone: ZoneInfo, now: datetime) -> datetime:
    return datetime.combine(
        now.astimezone(zone).date() + timedelta(days=1), TOMORROW_MORNING, zone
    )


def pick_days(zone: ZoneInfo, now: datetime) -> list[date]:
    """Today (while one of the hours is still ahead) and the following days."""
    today = now.astimezone(zone).date()
    days = [today + timedelta(days=n) for n in range(PICK_DAYS + 1)]
    return [d for d in days if pick_hours(d, zone, now)][:PICK_DAYS]


def pick_hours(day: date, zone: ZoneInfo, now: datetime) -> list[int]:
    return [h for h in PICK_HOURS if datetime.combine(day, time(h), zone) > now]
