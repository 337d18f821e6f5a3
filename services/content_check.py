"""Checks of the content library for operators and CI (`jiayi content check`), and the
year's push calendar (`jiayi calendar`)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from content import LOCALES
from content import calendar as cal
from content.careplans import RULES_DIR, RulesError, check_rules, load_rules
from content.points import (
    DEMO_CATALOGUE,
    RULES_FILE,
    PointsDataError,
    parse_catalogue,
    parse_rules,
)
from content.render import TELEGRAM_TEXT_LIMIT, Renderer
from content.tips import Audience, Library, LibraryError, load_library
from storage.records import (
    Condition,
    ConsentBasis,
    FamilyMemberRecord,
    Relation,
    ResidentRecord,
    Sex,
)

from services.pushes import audience_matches

ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "code",
    "pre",
    "a",
    "blockquote",
    "tg-spoiler",
    "span",
}
_TAG = re.compile(r"</?([a-zA-Z][\w-]*)")
# Headroom for the buttons and for long names substituted into the text.
TIP_LENGTH_LIMIT = TELEGRAM_TEXT_LIMIT - 500


@dataclass(frozen=True)
class SampleResident:
    label: str
    resident: ResidentRecord
    family: tuple[FamilyMemberRecord, ...] = ()


def _resident(birth_year: int, *conditions: Condition, sex: Sex = Sex.FEMALE) -> ResidentRecord:
    return ResidentRecord(
        id=0,
        telegram_user_id=0,
        display_name="张桂兰",
        locale="zh-CN",
        birth_year=birth_year,
        sex=sex,
        conditions=frozenset(conditions),
        consent_version="sample",
        consented_at=datetime(2026, 1, 1, tzinfo=UTC),
        onboarded_at=None,
        reachable=True,
    )


def _child(born: date) -> FamilyMemberRecord:
    return FamilyMemberRecord(
        id=0,
        resident_id=0,
        display_name="小宝",
        relation=Relation.CHILD,
        birth_date=born,
        sex=Sex.MALE,
        conditions=frozenset(),
        consent_basis=ConsentBasis.GUARDIAN,
        consent_recorded_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def sample_residents(year: int) -> list[SampleResident]:
    """One representative resident per audience, as of the given year."""
    return [
        SampleResident("everyone", _resident(year - 40)),
        SampleResident("children", _resident(year - 38), (_child(date(year - 9, 6, 1)),)),
        SampleResident("young_children", _resident(year - 32), (_child(date(year - 2, 6, 1)),)),
        SampleResident("age_65", _resident(year - 68)),
        SampleResident("age_80", _resident(year - 84)),
        SampleResident("hypertension", _resident(year - 60, Condition.HYPERTENSION)),
        SampleResident("diabetes", _resident(year - 55, Condition.DIABETES)),
        SampleResident("hyperlipidaemia", _resident(year - 50, Condition.HYPERLIPIDAEMIA)),
        SampleResident("pregnancy", _resident(year - 29, Condition.PREGNANT)),
    ]


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    tips: int = 0
    variants: int = 0
    pushes_per_year: dict[int, dict[str, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def yearly_pushes(library: Library, year: int, zone: ZoneInfo) -> dict[str, int]:
    """Dated tips each sample resident would receive in `year` (catch-up not counted)."""
    counts: Counter[str] = Counter()
    samples = sample_residents(year)
    day = date(year, 1, 1)
    while day.year == year:
        for firing in library.due_on(day, zone):
            for sample in samples:
                if any(
                    audience_matches(v.audience, sample.resident, sample.family, day)
                    for v in firing.tip.variants
                ):
                    counts[sample.label] += 1
        day += timedelta(days=1)
    return {s.label: counts[s.label] for s in samples}


def check_content(
    renderer: Renderer,
    zone: ZoneInfo,
    today: date,
    *,
    yearly_minimum: int = 12,
    careplans_dir: Path = RULES_DIR,
) -> CheckReport:
    report = CheckReport()
    report.problems.extend(f"careplans/{line}" for line in check_rules(careplans_dir))
    _report_rule_reviews(report, careplans_dir)
    # Interface templates: both locales, same names, all render (their tests give contexts).
    names = {locale: renderer.template_names(locale) for locale in LOCALES}
    for locale in LOCALES:
        for missing in sorted(set().union(*names.values()) - names[locale]):
            report.problems.append(f"template {missing!r} is missing in {locale}")
    try:
        library = load_library(renderer.env)
    except LibraryError as error:
        report.problems.extend(f"tips/{line}" for line in str(error).splitlines())
        return report
    report.tips = len(library)
    _check_points(report)
    for tip in library:
        if tip.review_by < today:
            report.problems.append(
                f"tip {tip.id}: review was due by {tip.review_by.isoformat()} (reviewed by "
                f"{tip.reviewed_by}); review it and move review_by forward"
            )
        elif tip.review_by < today + timedelta(days=60):
            report.warnings.append(f"tip {tip.id}: review due by {tip.review_by.isoformat()}")
        for variant in tip.variants:
            report.variants += 1
            for locale in LOCALES:
                _check_body(report, library, tip.id, variant.audience, locale)
    for year in (today.year + 1, today.year + 2):
        counts = yearly_pushes(library, year, zone)
        report.pushes_per_year[year] = counts
        for label, count in counts.items():
            if count < yearly_minimum:
                report.problems.append(
                    f"{year}: audience {label} gets only {count} dated pushes "
                    f"(at least {yearly_minimum} needed)"
                )
    return report


def _report_rule_reviews(report: CheckReport, careplans_dir: Path) -> None:
    """Care-plan and points rules awaiting a clinician's sign-off, as warnings (a rule file
    that does not validate is already a problem)."""
    try:
        pending = [r.id for r in load_rules(careplans_dir) if r.review and r.review.pending]
    except RulesError:
        pending = []
    if pending:
        report.warnings.append(
            f"careplans: {len(pending)} rules pending clinical review: {', '.join(pending)}"
        )
    try:
        book = parse_rules(RULES_FILE)
    except PointsDataError:
        return
    waiting = [code.value for code, rule in book.rules.items() if rule.review.pending]
    if waiting:
        report.warnings.append(
            f"points: {len(waiting)} rules pending clinical review: {', '.join(waiting)}"
        )


def _check_points(report: CheckReport) -> None:
    """The earn rules and the shipped reward catalogue parse and validate."""
    try:
        parse_rules(RULES_FILE)
    except PointsDataError as error:
        report.problems.extend(f"points/{line}" for line in str(error).splitlines())
    try:
        parse_catalogue(DEMO_CATALOGUE)
    except PointsDataError as error:
        report.problems.extend(f"points/{line}" for line in str(error).splitlines())


def _check_body(
    report: CheckReport, library: Library, tip_id: str, audience: Audience, locale: str
) -> None:
    where = f"tip {tip_id} [{audience.value}, {locale}]"
    samples: tuple[tuple[str, int | None, str | None, list[str]], ...] = (
        ("张桂兰", 72, "王医生", ["hypertension"]),
        ("Li", None, None, []),
    )
    for name, age, doctor, conditions in samples:
        try:
            text = library.render(
                tip_id, audience, locale, name=name, age=age, doctor=doctor, conditions=conditions
            )
        except Exception as error:
            report.problems.append(f"{where}: does not render: {type(error).__name__}: {error}")
            return
        if len(text.encode("utf-16-le")) // 2 > TIP_LENGTH_LIMIT:
            report.problems.append(f"{where}: {len(text)} characters, over {TIP_LENGTH_LIMIT}")
        bad = {t.lower() for t in _TAG.findall(text)} - ALLOWED_TAGS
        if bad:
            report.problems.append(f"{where}: tags Telegram won't accept: {sorted(bad)}")
        if not text.strip():
            report.problems.append(f"{where}: renders empty")


@dataclass(frozen=True)
class CalendarEntry:
    day: date
    occasion_zh: str
    occasion_en: str
    tip_id: str
    audiences: tuple[str, ...]
    offset_days: int


def push_calendar(library: Library, year: int, zone: ZoneInfo) -> list[CalendarEntry]:
    """Every dated push of `year`: when, for which occasion, which tip, for whom."""
    entries = []
    day = date(year, 1, 1)
    while day.year == year:
        for firing in library.due_on(day, zone):
            tip = firing.tip
            assert tip.trigger.name is not None
            zh, en = cal.names(tip.trigger.kind, tip.trigger.name)
            entries.append(
                CalendarEntry(
                    day=day,
                    occasion_zh=zh,
                    occasion_en=en,
                    tip_id=tip.id,
                    audiences=tuple(v.audience.value for v in tip.variants),
                    offset_days=tip.trigger.offset_days,
                )
            )
        day += timedelta(days=1)
    return entries
