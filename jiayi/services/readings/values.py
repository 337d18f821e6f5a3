"""What a typed reading means: parsing blood pressure and glucose, and classifying a value
against the thresholds (pure; no storage)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from jiayi.content.readings import GlucoseContext, Thresholds, load_thresholds
from jiayi.services.errors import InvalidInput
from jiayi.services.push import PushKind

KIND_READING_ALERT = PushKind.READING_ALERT


# A reminder to measure at home, at the hours the resident chose (off by default).
KIND_READING_REMINDER = PushKind.READING_REMINDER


# Twice a day for a week (the guidelines' week of home readings before a follow-up), then
# once a week on the same weekday.
REMINDER_DAILY_DAYS = 7


REMINDER_HOURS = range(6, 22)


SUMMARY_DAYS = 30


# "Measured regularly" (health points, content/points/rules.yaml): this many readings a month.
READINGS_FOR_POINTS = 10


# Readings are kept for a year (a family-doctor contract's length) unless the centre says
# otherwise (JIAYI_READINGS_RETENTION_MONTHS).
DEFAULT_RETENTION_MONTHS = 12


# Morning readings are those taken before noon, local time (home monitoring's two slots).
MORNING_ENDS = time(12, 0)


_BP = re.compile(r"^\s*(\d{2,3})\s*[/／\\,，\s]\s*(\d{2,3})(?:\s*[,，\s]\s*(\d{2,3}))?\s*$")


_NUMBER = re.compile(r"^\s*(\d{1,2}(?:[.．,，]\d{1,2})?)\s*(?:mmol(?:/l)?)?\s*$", re.IGNORECASE)


class ReadingKind(StrEnum):
    BLOOD_PRESSURE = "bp"
    GLUCOSE = "glucose"


class Level(StrEnum):
    IN_RANGE = "in_range"
    ABOVE = "above"  # above target (or, for glucose, outside the target band)
    URGENT = "urgent"  # seek care now


@dataclass(frozen=True, slots=True)
class BloodPressure:
    systolic: int
    diastolic: int
    pulse: int | None = None

    kind = ReadingKind.BLOOD_PRESSURE

    def text(self) -> str:
        return f"{self.systolic}/{self.diastolic}"


@dataclass(frozen=True, slots=True)
class Glucose:
    mmol: Decimal  # one decimal place
    context: GlucoseContext

    kind = ReadingKind.GLUCOSE

    def text(self) -> str:
        return f"{self.mmol}"


Value = BloodPressure | Glucose


def parse_blood_pressure(text: str | None, thresholds: Thresholds | None = None) -> BloodPressure:
    """ "135/85", "135 85" or "135/85 72" (pulse) → a plausible reading, or InvalidInput:
    `reading_format` when it isn't two numbers, `reading_implausible` when it can't be right
    (e.g. systolic ≤ 50 or ≥ 300, diastolic not below systolic)."""
    match = _BP.match(text or "")
    if match is None:
        raise InvalidInput("reading_format")
    systolic, diastolic = int(match.group(1)), int(match.group(2))
    pulse = int(match.group(3)) if match.group(3) else None
    limits = (thresholds or load_thresholds()).blood_pressure.plausible
    if (
        not limits.systolic[0] <= systolic <= limits.systolic[1]
        or not limits.diastolic[0] <= diastolic <= limits.diastolic[1]
        or diastolic >= systolic
        or (pulse is not None and not limits.pulse[0] <= pulse <= limits.pulse[1])
    ):
        raise InvalidInput("reading_implausible")
    return BloodPressure(systolic, diastolic, pulse)


def parse_glucose(
    text: str | None, context: GlucoseContext, thresholds: Thresholds | None = None
) -> Glucose:
    """ "7.2" (mmol/L, one decimal) → a plausible reading, or InvalidInput (`reading_format`,
    `reading_implausible` for ≤ 1 or ≥ 35 mmol/L)."""
    match = _NUMBER.match(text or "")
    if match is None:
        raise InvalidInput("reading_format")
    raw = match.group(1).replace("．", ".").replace(",", ".").replace("，", ".")
    try:
        mmol = Decimal(raw).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise InvalidInput("reading_format") from None
    low, high = (thresholds or load_thresholds()).glucose.plausible
    if not Decimal(str(low)) <= mmol <= Decimal(str(high)):
        raise InvalidInput("reading_implausible")
    return Glucose(mmol, context)


def classify(value: Value, thresholds: Thresholds | None = None) -> Level:
    t = thresholds or load_thresholds()
    if isinstance(value, BloodPressure):
        bp = t.blood_pressure
        if (
            value.systolic >= bp.urgent.systolic_at_least
            or value.diastolic >= bp.urgent.diastolic_at_least
        ):
            return Level.URGENT
        if (
            value.systolic >= bp.target.systolic_below
            or value.diastolic >= bp.target.diastolic_below
        ):
            return Level.ABOVE
        return Level.IN_RANGE
    g = t.glucose
    mmol = float(value.mmol)
    if mmol <= g.urgent.at_most or mmol >= g.urgent.at_least:
        return Level.URGENT
    low, high = g.target[value.context]
    return Level.IN_RANGE if low <= mmol <= high else Level.ABOVE
