"""Home-reading thresholds: content/readings/thresholds.yaml, validated once.

What is plausible (else "please measure again"), what is on target and what is urgent, for
home blood pressure and capillary glucose. The figures are data with their sources, so a
clinician reviews them like tips; services/readings.py applies them.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from jiayi.content import CONTENT_DIR

THRESHOLDS_FILE = CONTENT_DIR / "readings" / "thresholds.yaml"


class GlucoseContext(StrEnum):
    FASTING = "fasting"
    POST_MEAL = "post_meal"
    RANDOM = "random"


class ReviewState(StrEnum):
    PENDING = "pending"
    SIGNED_OFF = "signed_off"


class ThresholdsError(ValueError):
    """The thresholds file is missing, malformed or inconsistent."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    document: str = Field(min_length=3)
    edition: int = Field(ge=1990, le=2100)
    section: str = Field(min_length=1)


class Review(_Strict):
    state: ReviewState
    by: str | None = None
    on: str | None = None

    @model_validator(mode="after")
    def _signed(self) -> Review:
        if self.state is ReviewState.SIGNED_OFF and not (self.by and self.on):
            raise ValueError("a signed-off review names the clinician (by) and the date (on)")
        return self


Range = tuple[float, float]


class _BPPlausible(_Strict):
    systolic: tuple[int, int]
    diastolic: tuple[int, int]
    pulse: tuple[int, int]


class _BPTarget(_Strict):
    systolic_below: int
    diastolic_below: int


class _BPUrgent(_Strict):
    systolic_at_least: int
    diastolic_at_least: int


class BloodPressure(_Strict):
    plausible: _BPPlausible
    target: _BPTarget
    urgent: _BPUrgent

    @model_validator(mode="after")
    def _ordered(self) -> BloodPressure:
        if not (
            self.plausible.systolic[0]
            < self.target.systolic_below
            < self.urgent.systolic_at_least
            <= self.plausible.systolic[1]
        ):
            raise ValueError("systolic: plausible low < target < urgent ≤ plausible high")
        if not (
            self.plausible.diastolic[0]
            < self.target.diastolic_below
            < self.urgent.diastolic_at_least
            <= self.plausible.diastolic[1]
        ):
            raise ValueError("diastolic: plausible low < target < urgent ≤ plausible high")
        return self


class _GlucoseUrgent(_Strict):
    at_most: float
    at_least: float


class Glucose(_Strict):
    plausible: Range
    target: dict[GlucoseContext, Range]
    urgent: _GlucoseUrgent

    @model_validator(mode="after")
    def _ordered(self) -> Glucose:
        missing = set(GlucoseContext) - set(self.target)
        if missing:
            raise ValueError(f"glucose targets missing for: {sorted(missing)}")
        low, high = self.plausible
        for context, (t_low, t_high) in self.target.items():
            if not (low < self.urgent.at_most < t_low < t_high < self.urgent.at_least < high):
                raise ValueError(f"glucose {context}: plausible < urgent low < target < urgent")
        return self


class Thresholds(_Strict):
    sources: tuple[Source, ...] = Field(min_length=1)
    review: Review
    blood_pressure: BloodPressure
    glucose: Glucose
    repeated_above: int = Field(ge=2, le=10)


def parse_thresholds(raw: Any) -> Thresholds:
    try:
        return Thresholds.model_validate(raw)
    except ValidationError as exc:
        raise ThresholdsError(str(exc)) from exc


@cache
def load_thresholds(path: Path = THRESHOLDS_FILE) -> Thresholds:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ThresholdsError(f"{path}: {exc}") from exc
    return parse_thresholds(raw)
