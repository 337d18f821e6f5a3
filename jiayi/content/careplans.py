"""Care-plan rules: content/careplans/*.yaml, validated into frozen rules once.

The rules say who is due what and when (chronic follow-ups, check-ups, the national
immunisation programme, seasonal vaccines, refills, the contract confirmation) and which
booking services fulfil each item. services/careplans/ turns them into due items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from jiayi.content import CONTENT_DIR, LOCALES
from jiayi.content.governance import Review, SourceRef, governance_problems
from jiayi.storage.records import Condition, ServiceKind, Sex

RULES_DIR = CONTENT_DIR / "careplans"
# Rule ids travel in button data next to other ids (64 bytes in all).
RULE_ID = re.compile(r"^[a-z][a-z0-9_]{0,15}$")
_MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")


class RuleKind(StrEnum):
    RECURRING = "recurring"
    ONCE = "once"
    SEASONAL = "seasonal"
    SERIES = "series"
    REFILL = "refill"


class Who(StrEnum):
    ADULT = "adult"
    CHILD = "child"
    ANYONE = "anyone"


class Anchor(StrEnum):
    """What a series' dose ages count from."""

    BIRTH = "birth"
    PREGNANCY = "pregnancy"  # the first day of the last period: expected delivery − 280 days
    DELIVERY = "delivery"  # the delivery day (the expected one until it is recorded)


class RulesError(ValueError):
    """Every problem found in the rule files, one per line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _After(_Strict):
    """A cross-series interval: at least this long after a dose of another series."""

    rule: str
    dose: int = Field(ge=1)
    min_days: int = Field(default=0, ge=0)
    min_months: int = Field(default=0, ge=0)


class _Early(_Strict):
    """Another due age when the other series has fewer than `fewer_than` recorded doses
    (e.g. MPSV-AC from 24 months for a child who never had MPSV-A)."""

    rule: str
    fewer_than: int = Field(ge=1)
    age_months: int = Field(ge=0, le=216)


class _Dose(_Strict):
    age_months: int = Field(default=0, ge=0, le=216)
    age_weeks: int = Field(default=0, ge=0, le=60)
    age_days: int = Field(default=0, ge=0, le=400)
    min_interval_days: int = Field(default=0, ge=0)
    min_interval_months: int = Field(default=0, ge=0)
    window_days: int | None = Field(default=None, ge=0, le=120)
    after: tuple[_After, ...] = ()
    early: tuple[_Early, ...] = ()


class _Book(_Strict):
    kind: ServiceKind
    codes: tuple[str, ...] = ()


class _Rule(_Strict):
    id: str
    name: dict[str, str]
    kind: RuleKind
    who: Who = Who.ANYONE
    sex: Sex | None = None
    born_from: date | None = None
    min_age: int | None = Field(default=None, ge=0, le=120)
    from_months: int | None = Field(default=None, ge=0, le=216)
    conditions: tuple[Condition, ...] = ()
    contract: bool = False
    window_days: int = Field(default=14, ge=0, le=120)
    grace_days: int = Field(default=14, ge=0, le=120)
    every_months: int | None = Field(default=None, ge=1, le=120)
    opens: str | None = None
    due: str | None = None
    closes: str | None = None
    before_months: int | None = Field(default=None, ge=1, le=216)
    anchor: Anchor = Anchor.BIRTH
    catch_up: bool = True
    record: bool = False
    uncontrolled_days: int | None = Field(default=None, ge=1, le=90)
    doses: tuple[_Dose, ...] = ()
    book: _Book | None = None
    note: dict[str, str] | None = None
    source: tuple[SourceRef, ...] = Field(min_length=1)
    review: Review

    @model_validator(mode="after")
    def _shape(self) -> _Rule:
        problems: list[str] = []
        if not RULE_ID.match(self.id):
            problems.append("id must be lower_snake_case, at most 16 characters")
        for locale in LOCALES:
            if not self.name.get(locale, "").strip():
                problems.append(f"name in {locale} is missing")
        if self.kind is RuleKind.RECURRING and self.every_months is None:
            problems.append("a recurring rule needs every_months")
        if self.kind is RuleKind.SEASONAL:
            for field in ("opens", "due", "closes"):
                value = getattr(self, field)
                if value is None or not _MONTH_DAY.match(value):
                    problems.append(f"a seasonal rule needs {field} as MM-DD")
        if self.kind is RuleKind.SERIES:
            if not self.doses:
                problems.append("a series needs at least one dose")
            ages = [d.age_months for d in self.doses]
            if ages != sorted(ages):
                problems.append("doses must be in age order")
            if self.anchor is Anchor.BIRTH:
                if self.before_months is None:
                    problems.append("a series needs before_months (no dose from that age on)")
                if self.who is not Who.CHILD:
                    problems.append("a series counted from birth is for children (who: child)")
        elif self.doses:
            problems.append("only a series has doses")
        if self.note is not None:
            for locale in LOCALES:
                if not self.note.get(locale, "").strip():
                    problems.append(f"note in {locale} is missing")
        if self.uncontrolled_days is not None and self.kind is not RuleKind.RECURRING:
            problems.append("only a recurring rule has uncontrolled_days")
        if self.record and not (self.kind is RuleKind.SERIES and self.who is Who.CHILD):
            problems.append("only a children's series is part of the vaccination record")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class _File(_Strict):
    rules: tuple[_Rule, ...]


@dataclass(frozen=True, slots=True)
class After:
    rule: str
    dose: int
    min_days: int
    min_months: int


@dataclass(frozen=True, slots=True)
class Early:
    rule: str
    fewer_than: int
    age_months: int


@dataclass(frozen=True, slots=True)
class Dose:
    age_months: int
    min_interval_days: int
    age_weeks: int = 0
    age_days: int = 0
    min_interval_months: int = 0
    window_days: int | None = None
    after: tuple[After, ...] = ()
    early: tuple[Early, ...] = ()


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    names: dict[str, str]
    kind: RuleKind
    who: Who
    min_age: int | None
    conditions: frozenset[Condition]
    contract: bool
    window_days: int
    grace_days: int
    every_months: int | None
    opens: tuple[int, int] | None
    due: tuple[int, int] | None
    closes: tuple[int, int] | None
    before_months: int | None
    doses: tuple[Dose, ...]
    book_kind: ServiceKind | None
    book_codes: frozenset[str]
    sources: tuple[SourceRef, ...] = ()
    review: Review | None = None
    sex: Sex | None = None
    born_from: date | None = None
    from_months: int | None = None
    anchor: Anchor = Anchor.BIRTH
    catch_up: bool = True
    record: bool = False
    uncontrolled_days: int | None = None
    notes: dict[str, str] | None = None

    def name(self, locale: str) -> str:
        return self.names.get(locale) or self.names["zh-CN"]

    def note(self, locale: str) -> str | None:
        if not self.notes:
            return None
        return self.notes.get(locale) or self.notes["zh-CN"]

    @property
    def child_vaccine(self) -> bool:
        """A dose of a children's vaccine: its reminders ask to check the 预防接种证 first."""
        return self.who is Who.CHILD and self.book_kind is ServiceKind.VACCINATION

    def fulfilled_by(self, code: str, kind: ServiceKind) -> bool:
        """Whether an appointment for this booking service completes the rule's item."""
        if self.book_kind is None:
            return False
        if self.book_codes:
            return code in self.book_codes
        return kind is self.book_kind


@dataclass(frozen=True, slots=True)
class RuleBook:
    rules: tuple[Rule, ...]

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)


def _month_day(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    month, day = value.split("-")
    return int(month), int(day)


def _compile(raw: _Rule) -> Rule:
    return Rule(
        id=raw.id,
        names=dict(raw.name),
        kind=raw.kind,
        who=raw.who,
        min_age=raw.min_age,
        conditions=frozenset(raw.conditions),
        contract=raw.contract,
        window_days=raw.window_days,
        grace_days=raw.grace_days,
        every_months=raw.every_months,
        opens=_month_day(raw.opens),
        due=_month_day(raw.due),
        closes=_month_day(raw.closes),
        before_months=raw.before_months,
        doses=tuple(
            Dose(
                age_months=d.age_months,
                min_interval_days=d.min_interval_days,
                age_weeks=d.age_weeks,
                age_days=d.age_days,
                min_interval_months=d.min_interval_months,
                window_days=d.window_days,
                after=tuple(After(a.rule, a.dose, a.min_days, a.min_months) for a in d.after),
                early=tuple(Early(e.rule, e.fewer_than, e.age_months) for e in d.early),
            )
            for d in raw.doses
        ),
        book_kind=raw.book.kind if raw.book else None,
        book_codes=frozenset(raw.book.codes) if raw.book else frozenset(),
        sources=raw.source,
        review=raw.review,
        sex=raw.sex,
        born_from=raw.born_from,
        from_months=raw.from_months,
        anchor=raw.anchor,
        catch_up=raw.catch_up,
        record=raw.record,
        uncontrolled_days=raw.uncontrolled_days,
        notes=dict(raw.note) if raw.note else None,
    )


def _describe(error: ValidationError, name: str) -> list[str]:
    lines = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"])
        lines.append(f"{name}: {where}: {item['msg']}")
    return lines


def load_rules(directory: Path = RULES_DIR) -> RuleBook:
    """Every *.yaml file under the directory; RulesError lists all problems at once."""
    problems: list[str] = []
    rules: list[Rule] = []
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise RulesError(f"no rule files in {directory}")
    for path in files:
        try:
            raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
            parsed = _File.model_validate(raw)
        except yaml.YAMLError as error:
            problems.append(f"{path.name}: not valid YAML: {error}")
            continue
        except ValidationError as error:
            problems.extend(_describe(error, path.name))
            continue
        rules.extend(_compile(r) for r in parsed.rules)
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            problems.append(f"rule id {rule.id!r} is used twice")
        seen.add(rule.id)
    if problems:
        raise RulesError("\n".join(problems))
    return RuleBook(tuple(rules))


def check_rules(directory: Path = RULES_DIR) -> list[str]:
    """Problems in the rule files, for `jiayi content check` (empty = all good)."""
    try:
        book = load_rules(directory)
    except RulesError as error:
        return str(error).splitlines()
    problems = []
    for rule in book:
        for number, dose in enumerate(rule.doses, start=1):
            if rule.before_months is not None and dose.age_months >= rule.before_months:
                problems.append(
                    f"rule {rule.id}: dose {number} is due after the catch-up age limit"
                )
            for other in [a.rule for a in dose.after] + [e.rule for e in dose.early]:
                target = book.get(other)
                if target is None or target.kind is not RuleKind.SERIES or other == rule.id:
                    problems.append(
                        f"rule {rule.id}: dose {number} refers to {other!r}, not another series"
                    )
        if rule.who is Who.CHILD and rule.min_age is not None:
            problems.append(f"rule {rule.id}: a children's rule is counted in months, not min_age")
        problems.extend(f"rule {rule.id}: {p}" for p in governance_problems(rule.sources))
    return problems


@cache
def default_rules() -> RuleBook:
    """The shipped rules, loaded on first use (not at import)."""
    return load_rules()
