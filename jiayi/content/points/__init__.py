"""Health-points data: the earn rules (rules.yaml) and reward catalogues per centre.

Both are validated here; `jiayi content check` and start-up load them, so a broken file is
caught before anyone earns or spends a point.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from jiayi.content import CONTENT_DIR, LOCALES
from jiayi.content.governance import Review, SourceRef, governance_problems

POINTS_DIR = CONTENT_DIR / "points"
RULES_FILE = POINTS_DIR / "rules.yaml"
DEMO_CATALOGUE = POINTS_DIR / "catalogue.yaml"


class Rule(StrEnum):
    """What earns points. The codes are referenced by the code that awards them."""

    CHECKUP = "checkup"
    FOLLOW_UP = "follow_up"
    LECTURE = "lecture"
    ANNUAL_ASSESSMENT = "annual_assessment"
    VACCINATION_ON_TIME = "vaccination_on_time"
    TIP_QUIZ = "tip_quiz"
    HOME_READINGS = "home_readings"


class Period(StrEnum):
    YEAR = "year"
    MONTH = "month"


def _two_locales(value: dict[str, str]) -> dict[str, str]:
    missing = [loc for loc in LOCALES if not value.get(loc, "").strip()]
    extra = set(value) - set(LOCALES)
    if missing or extra:
        raise ValueError(f"needs exactly {LOCALES}; missing {missing}, extra {sorted(extra)}")
    return {loc: text.strip() for loc, text in value.items()}


class EarnRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: dict[str, str]
    points: int = Field(ge=1, le=1000)
    period: Period
    cap: int = Field(ge=1, le=10000)
    # Governance, as for care-plan rules: what the rule implements, and its review state.
    source: tuple[SourceRef, ...] = Field(min_length=1)
    review: Review

    _names = field_validator("name")(_two_locales)

    @field_validator("source")
    @classmethod
    def _sources(cls, source: tuple[SourceRef, ...]) -> tuple[SourceRef, ...]:
        problems = governance_problems(source)
        if problems:
            raise ValueError("; ".join(problems))
        return source

    def label(self, locale: str) -> str:
        return self.name.get(locale) or self.name["en"]


class RuleBook(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reminder_days_before: int = Field(ge=1, le=120)
    rules: dict[Rule, EarnRule]

    @field_validator("rules")
    @classmethod
    def _every_rule(cls, rules: dict[Rule, EarnRule]) -> dict[Rule, EarnRule]:
        missing = [r.value for r in Rule if r not in rules]
        if missing:
            raise ValueError(f"rules missing: {missing}")
        for code, rule in rules.items():
            if rule.cap < rule.points:
                raise ValueError(f"{code.value}: cap {rule.cap} is below one award")
        return rules


class RewardSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[a-z0-9_]+$", max_length=40)
    name: dict[str, str]
    cost: int = Field(ge=1, le=100000)
    stock: int = Field(ge=0, le=100000)
    valid_days: int = Field(ge=1, le=365)

    _names = field_validator("name")(_two_locales)


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    centre: str
    rewards: tuple[RewardSpec, ...] = Field(min_length=1)

    @field_validator("rewards")
    @classmethod
    def _distinct(cls, rewards: tuple[RewardSpec, ...]) -> tuple[RewardSpec, ...]:
        codes = [r.code for r in rewards]
        if len(set(codes)) != len(codes):
            raise ValueError("each reward code may appear once")
        return rewards


class PointsDataError(Exception):
    """A points file is unreadable or invalid; the message says where and why."""


def _load(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise PointsDataError(f"{path.name}: {' '.join(str(error).split())}") from None


def _problems(path: Path, error: ValidationError) -> PointsDataError:
    lines = [
        f"{path.name}: {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
    ]
    return PointsDataError("\n".join(lines))


def parse_rules(path: Path = RULES_FILE) -> RuleBook:
    try:
        return RuleBook.model_validate(_load(path))
    except ValidationError as error:
        raise _problems(path, error) from None


@cache
def load_rules() -> RuleBook:
    """The shipped rule book, read once per process."""
    return parse_rules(RULES_FILE)


def parse_catalogue(path: Path) -> Catalogue:
    try:
        return Catalogue.model_validate(_load(path))
    except ValidationError as error:
        raise _problems(path, error) from None
