"""Care-plan rules: content/careplans/*.yaml, validated into frozen rules once.

The rules say who is due what and when (chronic follow-ups, check-ups, the national
immunisation programme, seasonal vaccines, refills, the contract confirmation) and which
booking services fulfil each item. services/careplans.py turns them into due items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from storage.records import Condition, ServiceKind

from content import CONTENT_DIR, LOCALES

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


class RulesError(ValueError):
    """Every problem found in the rule files, one per line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Dose(_Strict):
    age_months: int = Field(ge=0, le=216)
    min_interval_days: int = Field(default=0, ge=0)


class _Book(_Strict):
    kind: ServiceKind
    codes: tuple[str, ...] = ()


class _Rule(_Strict):
    id: str
    name: dict[str, str]
    kind: RuleKind
    who: Who = Who.ANYONE
    min_age: int | None = Field(default=None, ge=0, le=120)
    conditions: tuple[Condition, ...] = ()
    contract: bool = False
    window_days: int = Field(default=14, ge=0, le=120)
    grace_days: int = Field(default=14, ge=0, le=120)
    every_months: int | None = Field(default=None, ge=1, le=120)
    opens: str | None = None
    due: str | None = None
    closes: str | None = None
    until_months: int | None = Field(default=None, ge=0, le=216)
    doses: tuple[_Dose, ...] = ()
    book: _Book | None = None

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
            if self.until_months is None:
                problems.append("a series needs until_months (the last age for catch-up)")
            if self.who is not Who.CHILD:
                problems.append("a series is for children (who: child)")
        elif self.doses:
            problems.append("only a series has doses")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class _File(_Strict):
    rules: tuple[_Rule, ...]


@dataclass(frozen=True, slots=True)
class Dose:
    age_months: int
    min_interval_days: int


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
    until_months: int | None
    doses: tuple[Dose, ...]
    book_kind: ServiceKind | None
    book_codes: frozenset[str]

    def name(self, locale: str) -> str:
        return self.names.get(locale) or self.names["zh-CN"]

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
        until_months=raw.until_months,
        doses=tuple(Dose(d.age_months, d.min_interval_days) for d in raw.doses),
        book_kind=raw.book.kind if raw.book else None,
        book_codes=frozenset(raw.book.codes) if raw.book else frozenset(),
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
            if rule.until_months is not None and dose.age_months > rule.until_months:
                problems.append(
                    f"rule {rule.id}: dose {number} is due after the catch-up age limit"
                )
        if rule.who is Who.CHILD and rule.min_age is not None:
            problems.append(f"rule {rule.id}: a children's rule is counted in months, not min_age")
    return problems


@cache
def default_rules() -> RuleBook:
    """The shipped rules, loaded on first use (not at import)."""
    return load_rules()
