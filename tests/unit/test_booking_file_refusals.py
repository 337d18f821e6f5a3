"""A booking file whose rules could never open a bookable slot is refused with the reason,
instead of loading silently and leaving residents with an empty calendar."""

from __future__ import annotations

from pathlib import Path

import pytest

from jiayi.services.booking_setup import parse_booking_file
from jiayi.services.errors import InvalidInput

GOOD = """
centre: demo
services:
  - code: child_vaccines
    kind: vaccination
    name: {zh-CN: 儿童疫苗, en: Child vaccines}
    min_age_months: 0
    max_age_months: 72
    min_notice_minutes: 120
    horizon_days: 14
    schedules:
      - {weekdays: [tue], start: "08:30", end: "09:30", slot_minutes: 30, capacity: 2}
"""


def refusal(tmp_path: Path, text: str) -> str:
    path = tmp_path / "booking.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        parse_booking_file(path)
    assert caught.value.code == "booking_file_invalid"
    return str(caught.value.params["detail"])


def test_the_good_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "booking.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert parse_booking_file(path).services[0].code == "child_vaccines"


def test_min_age_above_max_age_is_refused(tmp_path: Path) -> None:
    """Mutation tried: drop the min/max age check in `_Service._can_open` → the file loads."""
    detail = refusal(tmp_path, GOOD.replace("min_age_months: 0", "min_age_months: 80"))
    assert "services.0" in detail
    assert "min_age_months 80 is above max_age_months 72" in detail


def test_equal_ages_still_load(tmp_path: Path) -> None:
    """Boundary: exactly one age in months is a real (if narrow) service, not a dead one.
    Mutation tried: `>=` instead of `>` → refused."""
    path = tmp_path / "booking.yaml"
    path.write_text(GOOD.replace("min_age_months: 0", "min_age_months: 72"), encoding="utf-8")
    assert parse_booking_file(path).services[0].min_age_months == 72


def test_a_window_shorter_than_one_slot_is_refused(tmp_path: Path) -> None:
    """Mutation tried: drop the window check in `_Schedule._valid` → the file loads."""
    detail = refusal(tmp_path, GOOD.replace('end: "09:30"', 'end: "08:50"'))
    assert "services.0.schedules.0" in detail
    assert "08:30–08:50 is shorter than one 30-minute slot" in detail


def test_a_window_of_exactly_one_slot_loads(tmp_path: Path) -> None:
    """Mutation tried: `<=` instead of `<` in the window check → refused."""
    path = tmp_path / "booking.yaml"
    path.write_text(GOOD.replace('end: "09:30"', 'end: "09:00"'), encoding="utf-8")
    assert parse_booking_file(path).services[0].schedules[0].slot_minutes == 30


def test_notice_longer_than_the_horizon_is_refused(tmp_path: Path) -> None:
    """Mutation tried: drop the notice/horizon check → the file loads."""
    detail = refusal(
        tmp_path, GOOD.replace("min_notice_minutes: 120", "min_notice_minutes: 20160")
    )
    assert "reaches past the 14-day booking horizon" in detail
