"""The health-tip library: YAML files under content/tips/, validated and compiled once.

Bodies are Jinja2 templates with `name`, `age` (or none), `doctor` (or none) and `conditions`
(condition codes such as "hypertension") in their context.

Each tip has a trigger (a solar term, a health day, a lunar festival, a season, or
"evergreen" for catch-up pushes), a topic, governance fields, and audience variants with a
body per locale. For one resident the most specific matching variant wins.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from jinja2 import Environment, Template
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from content import CONTENT_DIR, LOCALES
from content import calendar as cal

TIPS_DIR = CONTENT_DIR / "tips"
EVERGREEN = "evergreen"


class Audience(StrEnum):
    EVERYONE = "everyone"
    CHILDREN = "children"
    YOUNG_CHILDREN = "young_children"
    AGE_65 = "age_65"
    AGE_80 = "age_80"
    HYPERTENSION = "hypertension"
    DIABETES = "diabetes"
    HYPERLIPIDAEMIA = "hyperlipidaemia"
    PREGNANCY = "pregnancy"


# Higher wins. Conditions first (the advice changes most), then older age, then families.
SPECIFICITY: Mapping[Audience, int] = {
    Audience.PREGNANCY: 50,
    Audience.DIABETES: 42,
    Audience.HYPERTENSION: 41,
    Audience.HYPERLIPIDAEMIA: 40,
    Audience.AGE_80: 30,
    Audience.AGE_65: 20,
    Audience.YOUNG_CHILDREN: 15,
    Audience.CHILDREN: 10,
    Audience.EVERYONE: 0,
}


class Topic(StrEnum):
    SEASONAL = "seasonal"
    DIET = "diet"
    EXERCISE = "exercise"
    THREE_REDUCTIONS = "three_reductions"
    SMOKING = "smoking"
    ALCOHOL = "alcohol"
    IODINE = "iodine"
    WEIGHT = "weight"
    VACCINATION = "vaccination"
    CHRONIC_CARE = "chronic_care"
    ELDERLY_CARE = "elderly_care"
    CHILD_HEALTH = "child_health"
    EPIDEMIC = "epidemic"
    MENTAL_HEALTH = "mental_health"


class Action(StrEnum):
    ASK_DOCTOR = "ask_doctor"
    BOOK = "book"
    MORE_TIPS = "more_tips"


class Trigger(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    name: str | None = None
    offset_days: int = Field(default=0, ge=-60, le=60)

    @model_validator(mode="after")
    def _known(self) -> Trigger:
        if self.kind == EVERGREEN:
            if self.name is not None or self.offset_days:
                raise ValueError("an evergreen trigger has no name and no offset")
            return self
        if self.name is None:
            raise ValueError(f"a {self.kind} trigger needs a name")
        try:
            cal.names(self.kind, self.name)
        except (KeyError, ValueError) as error:
            raise ValueError(f"unknown trigger {self.kind}/{self.name}") from error
        return self


class Variant(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    audience: Audience
    body: dict[str, str]

    @field_validator("body")
    @classmethod
    def _both_locales(cls, body: dict[str, str]) -> dict[str, str]:
        missing = [loc for loc in LOCALES if not body.get(loc, "").strip()]
        extra = set(body) - set(LOCALES)
        if missing or extra:
            raise ValueError(f"body needs exactly {LOCALES}; missing {missing}, extra {extra}")
        return {loc: text.strip() for loc, text in body.items()}


class Quiz(BaseModel):
    """One question on a tip's advice; answering it right earns a few health points."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    question: dict[str, str]
    options: tuple[dict[str, str], ...] = Field(min_length=2, max_length=4)
    answer: int = Field(ge=0, description="index of the correct option")

    @field_validator("question")
    @classmethod
    def _question(cls, question: dict[str, str]) -> dict[str, str]:
        return _localised(question, 300)

    @field_validator("options")
    @classmethod
    def _options(cls, options: tuple[dict[str, str], ...]) -> tuple[dict[str, str], ...]:
        # Options are buttons: short enough to read on a phone.
        return tuple(_localised(option, 40) for option in options)

    @model_validator(mode="after")
    def _answer_is_an_option(self) -> Quiz:
        if self.answer >= len(self.options):
            raise ValueError(f"answer {self.answer} is not one of {len(self.options)} options")
        return self


def _localised(value: dict[str, str], limit: int) -> dict[str, str]:
    missing = [loc for loc in LOCALES if not value.get(loc, "").strip()]
    extra = set(value) - set(LOCALES)
    if missing or extra:
        raise ValueError(f"needs exactly {LOCALES}; missing {missing}, extra {sorted(extra)}")
    long = [loc for loc in LOCALES if len(value[loc].strip()) > limit]
    if long:
        raise ValueError(f"longer than {limit} characters in {long}")
    return {loc: value[loc].strip() for loc in LOCALES}


class Tip(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_]+$", max_length=60)
    topic: Topic
    trigger: Trigger
    action: Action
    source: str = Field(min_length=3)
    reviewed_by: str = Field(min_length=3)
    review_by: date
    variants: tuple[Variant, ...] = Field(min_length=1)
    quiz: Quiz | None = None

    @field_validator("variants")
    @classmethod
    def _distinct(cls, variants: tuple[Variant, ...]) -> tuple[Variant, ...]:
        audiences = [v.audience for v in variants]
        if len(set(audiences)) != len(audiences):
            raise ValueError("each audience may appear once per tip")
        # Most specific first: the planner inserts in this order and the first one wins.
        return tuple(sorted(variants, key=lambda v: -SPECIFICITY[v.audience]))

    @property
    def evergreen(self) -> bool:
        return self.trigger.kind == EVERGREEN

    def variant(self, audience: Audience) -> Variant:
        for variant in self.variants:
            if variant.audience is audience:
                return variant
        raise KeyError(f"tip {self.id} has no {audience} variant")


@dataclass(frozen=True)
class Firing:
    """A tip due on a day, and the trigger occurrence it belongs to (for dedupe keys)."""

    tip: Tip
    occurrence: date


class LibraryError(Exception):
    """The tip files are invalid; the message lists every problem, one per line."""


class Library:
    def __init__(self, tips: Mapping[str, Tip], env: Environment) -> None:
        self.tips = dict(tips)
        self._env = env
        self._compiled: dict[tuple[str, Audience, str], Template] = {}

    def __iter__(self) -> Iterator[Tip]:
        return iter(self.tips.values())

    def __len__(self) -> int:
        return len(self.tips)

    def get(self, tip_id: str) -> Tip:
        return self.tips[tip_id]

    def due_on(self, day: date, zone: ZoneInfo) -> list[Firing]:
        firings = []
        for tip in self.tips.values():
            trigger = tip.trigger
            if tip.evergreen or trigger.name is None:
                continue
            if cal.fires_on(trigger.kind, trigger.name, trigger.offset_days, day, zone):
                occurrence = cal.occurrence_date(
                    trigger.kind, trigger.name, trigger.offset_days, day, zone
                )
                firings.append(Firing(tip, occurrence))
        return sorted(firings, key=lambda f: f.tip.id)

    def evergreen(self) -> list[Tip]:
        return sorted((t for t in self.tips.values() if t.evergreen), key=lambda t: t.id)

    def render(self, tip_id: str, audience: Audience, locale: str, **context: Any) -> str:
        key = (tip_id, audience, locale)
        template = self._compiled.get(key)
        if template is None:
            body = self.get(tip_id).variant(audience).body[locale]
            template = self._compiled[key] = self._env.from_string(body)
        return template.render(**context).strip()


def load_library(env: Environment, directory: Path = TIPS_DIR) -> Library:
    """Reads and validates every tip; raises LibraryError listing all problems at once."""
    tips: dict[str, Tip] = {}
    problems: list[str] = []
    for path in sorted(directory.rglob("*.yaml")):
        where = path.relative_to(directory)
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            tip = Tip.model_validate(raw)
        except (yaml.YAMLError, ValidationError) as error:
            problems.append(f"{where}: {_one_line(error)}")
            continue
        if tip.id != path.stem:
            problems.append(f"{where}: id {tip.id!r} differs from the file name")
        if tip.id in tips:
            problems.append(f"{where}: duplicate id {tip.id!r}")
        tips[tip.id] = tip
    if problems:
        raise LibraryError("\n".join(problems))
    return Library(tips, env)


def _one_line(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
    return " ".join(str(error).split())
