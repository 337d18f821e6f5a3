"""Home readings: what a resident may type, what counts as implausible, on target or urgent,
and the chart they see (decoded, at its size, in both languages)."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from PIL import Image

from jiayi.content.readings import (
    THRESHOLDS_FILE,
    ThresholdsError,
    load_thresholds,
    parse_thresholds,
)
from jiayi.services import readings_chart
from jiayi.services.errors import InvalidInput
from jiayi.services.readings import (
    BloodPressure,
    Glucose,
    GlucoseContext,
    Level,
    classify,
    offers_reminder,
    parse_blood_pressure,
    parse_glucose,
    summarise,
)
from jiayi.storage.readings import ReadingRecord

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("135/85", BloodPressure(135, 85)),
        (" 135 / 85 ", BloodPressure(135, 85)),
        ("135 85", BloodPressure(135, 85)),
        ("135／85", BloodPressure(135, 85)),  # a Chinese keyboard's full-width slash
        ("135/85 72", BloodPressure(135, 85, 72)),
        ("135/85，72", BloodPressure(135, 85, 72)),
    ],
)
def test_blood_pressure_as_people_type_it(typed: str, expected: BloodPressure) -> None:
    assert parse_blood_pressure(typed) == expected


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("hello", "reading_format"),
        ("135", "reading_format"),
        ("", "reading_format"),
        ("50/40", "reading_implausible"),  # systolic ≤ 50
        ("300/100", "reading_implausible"),  # systolic ≥ 300
        ("120/130", "reading_implausible"),  # diastolic above systolic
        ("120/120", "reading_implausible"),  # diastolic equal to systolic
        ("135/85 400", "reading_implausible"),  # pulse
    ],
)
def test_blood_pressure_refused(typed: str, code: str) -> None:
    """Mutation caught: dropping the `diastolic >= systolic` check stores 120/130."""
    with pytest.raises(InvalidInput) as refused:
        parse_blood_pressure(typed)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("typed", "mmol"),
    [("7.2", "7.2"), ("7", "7.0"), ("7．2", "7.2"), ("5.55", "5.6"), ("6.1 mmol/L", "6.1")],
)
def test_glucose_as_people_type_it(typed: str, mmol: str) -> None:
    assert parse_glucose(typed, GlucoseContext.FASTING).mmol == Decimal(mmol)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("1.0", "reading_implausible"),
        ("35", "reading_implausible"),
        ("abc", "reading_format"),
        ("135/85", "reading_format"),
    ],
)
def test_glucose_refused(typed: str, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_glucose(typed, GlucoseContext.RANDOM)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("value", "level"),
    [
        (BloodPressure(128, 78), Level.IN_RANGE),
        (BloodPressure(135, 80), Level.ABOVE),  # home target is below 135/85
        (BloodPressure(130, 85), Level.ABOVE),
        (BloodPressure(179, 109), Level.ABOVE),
        (BloodPressure(180, 100), Level.URGENT),  # ≥ 180 systolic
        (BloodPressure(150, 110), Level.URGENT),  # ≥ 110 diastolic
        (Glucose(Decimal("5.6"), GlucoseContext.FASTING), Level.IN_RANGE),
        (Glucose(Decimal("7.1"), GlucoseContext.FASTING), Level.ABOVE),
        (Glucose(Decimal("9.5"), GlucoseContext.POST_MEAL), Level.IN_RANGE),
        (Glucose(Decimal("10.1"), GlucoseContext.POST_MEAL), Level.ABOVE),
        (Glucose(Decimal("3.9"), GlucoseContext.RANDOM), Level.URGENT),  # ≤ 3.9
        (Glucose(Decimal("16.7"), GlucoseContext.RANDOM), Level.URGENT),  # ≥ 16.7
        (Glucose(Decimal("16.6"), GlucoseContext.RANDOM), Level.ABOVE),
    ],
)
def test_levels_follow_the_thresholds_file(value: BloodPressure | Glucose, level: Level) -> None:
    """The cut-offs of 国家基本公共卫生服务规范（第三版） (urgent referral) and the 2024
    guidelines (home targets). Mutation caught: `>` instead of `>=` for the urgent bounds."""
    assert classify(value) is level


def test_the_thresholds_file_cites_editions_and_is_pending_review() -> None:
    thresholds = load_thresholds()
    assert all(source.edition >= 2017 for source in thresholds.sources)
    assert thresholds.review.state.value == "pending"  # no reviewer is invented


def test_inconsistent_thresholds_are_refused() -> None:
    raw = yaml.safe_load(THRESHOLDS_FILE.read_text(encoding="utf-8"))
    raw["blood_pressure"]["urgent"]["systolic_at_least"] = 130  # below the target
    with pytest.raises(ThresholdsError, match="systolic"):
        parse_thresholds(raw)
    raw = yaml.safe_load(THRESHOLDS_FILE.read_text(encoding="utf-8"))
    raw["review"] = {"state": "signed_off"}  # signed off by nobody
    with pytest.raises(ThresholdsError, match="clinician"):
        parse_thresholds(raw)


def _bp(i: int, hours_ago: int, systolic: int, diastolic: int, level: str) -> ReadingRecord:
    return ReadingRecord(
        i,
        1,
        None,
        "bp",
        systolic,
        diastolic,
        None,
        None,
        None,
        level,
        NOW - timedelta(hours=hours_ago),
    )


def test_summary_splits_morning_and_evening() -> None:
    rows = [
        _bp(1, 3, 130, 80, "in_range"),  # 07:00 local
        _bp(2, 27, 140, 90, "above"),  # 07:00 yesterday
        _bp(3, 15, 150, 95, "above"),  # 19:00 yesterday
    ]
    s = summarise("张阿姨", rows, SHANGHAI)
    assert (s.bp_count, s.bp_in_range) == (3, 1)
    assert s.morning == (135, 85)
    assert s.evening == (150, 95)


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("kind", ["bp", "glucose"])
def test_chart_decodes_at_phone_size(locale: str, kind: str) -> None:
    rows = [
        ReadingRecord(
            i,
            1,
            None,
            kind,
            135 + i % 20 if kind == "bp" else None,
            82 + i % 8 if kind == "bp" else None,
            None,
            None if kind == "bp" else 55 + i * 3,
            None if kind == "bp" else "fasting",
            "in_range",
            NOW - timedelta(hours=12 * i),
        )
        for i in range(20)
    ]
    png = readings_chart.render_chart(
        rows, name="张阿姨", kind=kind, locale=locale, now=NOW, zone=SHANGHAI
    )
    image = Image.open(io.BytesIO(png))
    image.verify()
    assert image.format == "PNG"
    assert image.size == (900, 600)


def test_chinese_charts_use_a_cjk_font() -> None:
    """`make` installs fonts-wqy-microhei; without a CJK font Chinese labels would be boxes
    (the chart then falls back to English). Fails loudly where the font is missing."""
    assert readings_chart.cjk_font() is not None


def test_booking_a_chronic_follow_up_offers_reminders_to_measure() -> None:
    """The follow-up rules' booking services (content/careplans) are the ones to offer
    reminders after; a vaccination is not."""
    assert offers_reminder("chronic_follow_up")
    assert not offers_reminder("flu_vaccine")


SCREENSHOT = Path(__file__).parents[2] / "docs" / "screenshots" / "06-readings-chart.png"


def test_readme_chart_screenshot() -> None:
    """The README's chart: 张阿姨's month of morning and evening readings, in Chinese. Written
    when missing (or with JIAYI_UPDATE_SCREENSHOTS=1); always rendered and decoded."""
    rows = []
    for day in range(30):
        for hour, base in ((23, 142), (11, 134)):  # 07:00 and 19:00 in Shanghai
            at = NOW - timedelta(days=day) + timedelta(hours=hour - 2 - 24)
            systolic = base - day // 4 + (day * 7) % 9
            rows.append(
                ReadingRecord(
                    len(rows),
                    1,
                    None,
                    "bp",
                    systolic,
                    systolic - 52,
                    None,
                    None,
                    None,
                    "in_range",
                    at,
                )
            )
    png = readings_chart.render_chart(
        rows, name="张阿姨", kind="bp", locale="zh-CN", now=NOW, zone=SHANGHAI
    )
    assert Image.open(io.BytesIO(png)).size == (900, 600)
    if os.environ.get("JIAYI_UPDATE_SCREENSHOTS") == "1" or not SCREENSHOT.exists():
        SCREENSHOT.write_bytes(png)
