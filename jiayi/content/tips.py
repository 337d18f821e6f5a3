"""The health-tip library: YAML files under content/tips/, validated and compiled once.

Bodies are Jinja2 templates with `name`, `age` (or none), `doctor` (or none) and `conditions`
(condition codes such as "hypertension") in their context.

Each tip has a trigger (a solar term, a health day, a lunar festival, a season, or
"evergreen": planned slots in every year, and the catch-up pool), a topic, governance fields
(sources with their edition year, a review state), and audience variants with a body per
locale and an optional short `summary` sent first. For one resident the most specific of their
own variants wins, and the most specific household variant (a child, an 80+ parent they look
after) comes with it in the same message.
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

from jiayi.content import CONTENT_DIR, LOCALES
from jiayi.content import calendar as cal
from jiayi.storage.records import ServiceKind

TIPS_DIR = CONTENT_DIR / "tips"
EVERGREEN = "evergreen"
SUMMARY_LIMIT_ZH = 200


class Audience(StrEnum):
    EVERYONE = "everyone"
    CHILDREN = "children"  # parents of a child under 14 (school age and younger)
    YOUNG_CHILDREN = "young_children"  # parents of a child under 6
    CARER_80 = "carer_80"  # residents who look after a parent or spouse aged 80 or over
    AGE_65 = "age_65"
    AGE_80 = "age_80"  # written to the 80+ resident themselves
    HYPERTENSION = "hypertension"
    DIABETES = "diabetes"
    HYPERLIPIDAEMIA = "hyperlipidaemia"
    PREGNANCY = "pregnancy"  # an expected date recorded and not yet reached
    POSTPARTUM = "postpartum"  # the year after the expected date


# Audiences about someone the resident looks after, not about the resident. A resident gets
# their own most specific variant AND the most specific household variant of the same tip,
# in one message: the household part is appended as a carer section (no second push).
HOUSEHOLD: frozenset[Audience] = frozenset(
    {Audience.CHILDREN, Audience.YOUNG_CHILDREN, Audience.CARER_80}
)

# Higher wins within the resident's own audiences, and within the household ones.
# Conditions first (the advice changes most), then older age, then families.
SPECIFICITY: Mapping[Audience, int] = {
    Audience.PREGNANCY: 50,
    Audience.POSTPARTUM: 45,
    Audience.DIABETES: 42,
    Audience.HYPERTENSION: 41,
    Audience.HYPERLIPIDAEMIA: 40,
    Audience.AGE_80: 30,
    Audience.AGE_65: 20,
    Audience.CARER_80: 16,
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
    # Evergreen tips only: planned days in every year ("MM-DD"), besides catch-up. Core
    # topics get these so they reach the audiences they are written for.
    slots: tuple[str, ...] = ()
    # Who a planned slot is for (empty: every variant). Home blood-pressure technique goes to
    # hypertension patients, not to everyone.
    slot_audiences: tuple[Audience, ...] = ()

    @model_validator(mode="after")
    def _known(self) -> Trigger:
        if self.kind == EVERGREEN:
            if self.name is not None or self.offset_days:
                raise ValueError("an evergreen trigger has no name and no offset")
            for slot in self.slots:
                try:
                    month, day = (int(part) for part in slot.split("-"))
                    date(2027, month, day)
                except ValueError as error:
                    raise ValueError(f"slot {slot!r} is not a MM-DD day") from error
            return self
        if self.slots or self.slot_audiences:
            raise ValueError("only an evergreen trigger has slots")
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
    # The first screen for older readers: the one action, first. When present it is sent
    # first and the body waits behind a "More" button.
    summary: dict[str, str] | None = None

    @field_validator("body")
    @classmethod
    def _both_locales(cls, body: dict[str, str]) -> dict[str, str]:
        missing = [loc for loc in LOCALES if not body.get(loc, "").strip()]
        extra = set(body) - set(LOCALES)
        if missing or extra:
            raise ValueError(f"body needs exactly {LOCALES}; missing {missing}, extra {extra}")
        return {loc: text.strip() for loc, text in body.items()}

    @field_validator("summary")
    @classmethod
    def _short(cls, summary: dict[str, str] | None) -> dict[str, str] | None:
        # One phone screen: ~200 Chinese characters, or ~600 English ones.
        if summary is None:
            return None
        checked = _localised(summary, 600)
        if len(checked["zh-CN"]) > SUMMARY_LIMIT_ZH:
            raise ValueError(f"summary longer than {SUMMARY_LIMIT_ZH} characters in zh-CN")
        return checked


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


class Source(BaseModel):
    """One national document a tip relies on: its current edition, and where known the
    section each claim comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cite: str = Field(min_length=3)
    edition: int = Field(ge=1990, le=2100, description="the edition's year")
    section: str | None = None

    @model_validator(mode="after")
    def _edition_named(self) -> Source:
        # The year in the citation and the edition field must agree: a reader sees the cite.
        if str(self.edition) not in self.cite:
            raise ValueError(f"the citation {self.cite!r} does not name its edition year")
        return self


class ReviewState(StrEnum):
    PENDING = "pending"
    SIGNED_OFF = "signed_off"


class Review(BaseModel):
    """Clinical review as a state. `signed_off` names the clinician, the date, and the
    source sections they checked; nobody may be named who did not sign."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    state: ReviewState
    clinician: str | None = None
    signed_on: date | None = None
    sections_checked: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _complete(self) -> Review:
        if self.state is ReviewState.SIGNED_OFF:
            if not (self.clinician and self.clinician.strip()) or self.signed_on is None:
                raise ValueError("signed_off needs the clinician's name and the date")
            if not self.sections_checked:
                raise ValueError("signed_off needs the source sections checked")
        elif self.clinician or self.signed_on or self.sections_checked:
            raise ValueError("a pending review names no clinician, date or sections")
        return self

    @property
    def pending(self) -> bool:
        return self.state is ReviewState.PENDING


class Tip(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_]+$", max_length=60)
    topic: Topic
    trigger: Trigger
    action: Action
    # What the "Book" button books: the kind of service the tip is about.
    service: ServiceKind | None = None
    sources: tuple[Source, ...] = Field(min_length=1)
    review: Review
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

    @model_validator(mode="after")
    def _slot_audiences_exist(self) -> Tip:
        missing = set(self.trigger.slot_audiences) - {v.audience for v in self.variants}
        if missing:
            raise ValueError(f"slot_audiences without a variant: {sorted(missing)}")
        return self

    @model_validator(mode="after")
    def _bookable(self) -> Tip:
        if (self.action is Action.BOOK) != (self.service is not None):
            raise ValueError("action book needs a service (and only book has one)")
        return self

    @property
    def evergreen(self) -> bool:
        return self.trigger.kind == EVERGREEN

    @property
    def own_variants(self) -> tuple[Variant, ...]:
        return tuple(v for v in self.variants if v.audience not in HOUSEHOLD)

    @property
    def household_variants(self) -> tuple[Variant, ...]:
        return tuple(v for v in self.variants if v.audience in HOUSEHOLD)

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
    # A planned evergreen slot goes to these audiences only; None: every variant.
    audiences: frozenset[Audience] | None = None

    @property
    def variants(self) -> tuple[Variant, ...]:
        if self.audiences is None:
            return self.tip.variants
        return tuple(v for v in self.tip.variants if v.audience in self.audiences)


class LibraryError(Exception):
    """The tip files are invalid; the message lists every problem, one per line."""


class Library:
    def __init__(self, tips: Mapping[str, Tip], env: Environment) -> None:
        self.tips = dict(tips)
        self._env = env
        self._compiled: dict[tuple[str, Audience, str, str], Template] = {}

    def __iter__(self) -> Iterator[Tip]:
        return iter(self.tips.values())

    def __len__(self) -> int:
        return len(self.tips)

    def get(self, tip_id: str) -> Tip:
        return self.tips[tip_id]

    def due_on(self, day: date, zone: ZoneInfo) -> list[Firing]:
        firings = []
        slot = f"{day.month:02d}-{day.day:02d}"
        for tip in self.tips.values():
            trigger = tip.trigger
            if tip.evergreen and slot in trigger.slots:
                audiences = frozenset(trigger.slot_audiences) or None
                firings.append(Firing(tip, day, audiences))
                continue
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

    def render(
        self, tip_id: str, audience: Audience, locale: str, *, part: str = "body", **context: Any
    ) -> str:
        """A variant's `body`, or its `summary` (the body when it has none)."""
        variant = self.get(tip_id).variant(audience)
        if part == "summary" and variant.summary is None:
            part = "body"
        key = (tip_id, audience, locale, part)
        template = self._compiled.get(key)
        if template is None:
            text = variant.body[locale] if part == "body" else variant.summary[locale]  # type: ignore[index]
            template = self._compiled[key] = self._env.from_string(text)
        return template.render(**context).strip()

    def has_summary(self, tip_id: str, audience: Audience) -> bool:
        return self.get(tip_id).variant(audience).summary is not None


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
