"""Checks of the content library for operators and CI (`jiayi content check`), and the
year's push calendar (`jiayi calendar`)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from jiayi.content import LOCALES
from jiayi.content import calendar as cal
from jiayi.content.careplans import RULES_DIR, RulesError, check_rules, load_rules
from jiayi.content.points import (
    DEMO_CATALOGUE,
    RULES_FILE,
    PointsDataError,
    parse_catalogue,
    parse_rules,
)
from jiayi.content.readings import (
    THRESHOLDS_FILE,
    ReviewState,
    ThresholdsError,
    parse_thresholds,
)
from jiayi.content.render import TELEGRAM_TEXT_LIMIT, Renderer
from jiayi.content.safety import check_red_flags
from jiayi.content.tips import (
    SUMMARY_LIMIT_ZH,
    TIPS_DIR,
    Audience,
    Library,
    LibraryError,
    load_library,
)
from jiayi.services.pushes import audience_matches
from jiayi.services.tip_parts import TipParts, render_tip
from jiayi.storage.records import (
    Condition,
    ConsentBasis,
    FamilyMemberRecord,
    Relation,
    ResidentRecord,
    Sex,
)

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


def _resident(
    birth_year: int, *conditions: Condition, sex: Sex = Sex.FEMALE, due: date | None = None
) -> ResidentRecord:
    return ResidentRecord(
        pregnancy_due=due,
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


def _parent(born: date) -> FamilyMemberRecord:
    return FamilyMemberRecord(
        id=0,
        resident_id=0,
        display_name="老母亲",
        relation=Relation.PARENT,
        birth_date=born,
        sex=Sex.FEMALE,
        conditions=frozenset(),
        consent_basis=ConsentBasis.AUTHORISED,
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
        SampleResident(
            "pregnancy", _resident(year - 29, Condition.PREGNANT, due=date(year + 1, 1, 1))
        ),
        SampleResident("postpartum", _resident(year - 29, due=date(year - 1, 12, 31))),
        SampleResident("carer_80", _resident(year - 55), (_parent(date(year - 85, 3, 1)),)),
    ]


# How long before a tip's review_by the check starts warning: half a year leaves the centre
# time to get the clinical review done before the date turns the warning into an error.
REVIEW_WARNING = timedelta(days=180)


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    tips: int = 0
    variants: int = 0
    pushes_per_year: dict[int, dict[str, int]] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)  # tips awaiting clinical sign-off

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
                    for v in firing.variants
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
    tips_dir: Path = TIPS_DIR,
    overdue_reviews_fail: bool = True,
) -> CheckReport:
    report = CheckReport()
    report.problems.extend(f"careplans/{line}" for line in check_rules(careplans_dir))
    report.problems.extend(f"safety/{line}" for line in check_red_flags())
    _report_rule_reviews(report, careplans_dir)
    # Interface templates: both locales, same names, all render (their tests give contexts).
    names = {
        locale: renderer.template_names(locale) | renderer.template_names(locale, partials=True)
        for locale in LOCALES
    }
    for locale in LOCALES:
        for missing in sorted(set().union(*names.values()) - names[locale]):
            report.problems.append(f"template {missing!r} is missing in {locale}")
    try:
        library = load_library(renderer.env, tips_dir)
    except LibraryError as error:
        report.problems.extend(f"tips/{line}" for line in str(error).splitlines())
        return report
    report.tips = len(library)
    _check_points(report)
    _check_readings(report)
    report.problems.extend(check_tip_safety(library))
    report.problems.extend(check_combined_length(library))
    report.warnings.extend(check_tip_readability(library))
    for tip in library:
        if tip.review.pending:
            report.pending.append(tip.id)
        if tip.review_by < today:
            # The operator's check fails; the build's check (make test) only warns, so a date
            # passing never turns CI red for code that did not change.
            (report.problems if overdue_reviews_fail else report.warnings).append(
                f"tip {tip.id}: review was due by {tip.review_by.isoformat()} (review "
                f"{tip.review.state.value}); review it and move review_by forward"
            )
        elif tip.review_by < today + REVIEW_WARNING:
            report.warnings.append(f"tip {tip.id}: review due by {tip.review_by.isoformat()}")
        for variant in tip.variants:
            report.variants += 1
            for locale in LOCALES:
                _check_body(report, library, tip.id, variant.audience, locale)
    for year in (today.year + 1, today.year + 2):
        for label, count in audience_coverage(library, year, zone).items():
            if count < yearly_minimum:
                report.problems.append(
                    f"{year}: only {count} distinct pushes written for {label} "
                    f"(at least {yearly_minimum} needed)"
                )
        counts = yearly_pushes(library, year, zone)
        report.pushes_per_year[year] = counts
        for label, count in counts.items():
            if count < yearly_minimum:
                report.problems.append(
                    f"{year}: audience {label} gets only {count} dated pushes "
                    f"(at least {yearly_minimum} needed)"
                )
    return report


# Advice that puts heat on skin. Diabetic neuropathy dulls the feet: such advice is unsafe
# for a diabetic unless a diabetes variant carries the caveat (中国糖尿病足防治指南 2019:
# water below 37 °C, tested with the elbow or a thermometer, never the feet).
HEAT_ON_SKIN = re.compile(
    r"泡脚|泡泡脚|热水袋|暖水袋|暖宝宝|暖脚宝|电热毯|热敷|取暖器|艾灸|汗蒸|桑拿|"
    r"foot[- ]soak|soak your feet|hot[- ]water bottle|heating pad|heat pad|electric blanket|"
    r"hand warmer|warm compress|sauna",
    re.IGNORECASE,
)
DIABETIC_CAVEAT = {
    "zh-CN": re.compile(
        r"37\s*(℃|°C).*?(手肘|肘部|温度计)|(手肘|肘部|温度计).*?37\s*(℃|°C)", re.S
    ),
    "en": re.compile(r"37\s*°C.*?(elbow|thermometer)|(elbow|thermometer).*?37\s*°C", re.S),
}


def check_tip_safety(library: Library) -> list[str]:
    """Problems that make a tip unsafe to send: heat on skin without the diabetic caveat."""
    problems = []
    for tip in library:
        heat = sorted(
            {
                m.group(0)
                for v in tip.variants
                for body in v.body.values()
                for m in HEAT_ON_SKIN.finditer(body)
            }
        )
        if not heat:
            continue
        diabetic = next((v for v in tip.variants if v.audience is Audience.DIABETES), None)
        if diabetic is None:
            problems.append(
                f"tip {tip.id}: advises heat on skin ({', '.join(heat)}) but has no diabetes "
                "variant with the caveat (below 37 °C, tested with the elbow or a thermometer)"
            )
            continue
        for locale, caveat in DIABETIC_CAVEAT.items():
            if not caveat.search(diabetic.body[locale]):
                problems.append(
                    f"tip {tip.id} [diabetes, {locale}]: advises heat on skin "
                    f"({', '.join(heat)}) without the caveat: below 37 °C, tested with the "
                    "elbow or a thermometer"
                )
    return problems


def check_combined_length(library: Library) -> list[str]:
    """A resident's own part and a household part travel in one message: together they must
    still fit (first message and the "More" message alike)."""
    problems = []
    context = {"name": "张桂兰", "age": 72, "doctor": "王医生", "conditions": ["hypertension"]}
    for tip in library:
        for own in tip.own_variants:
            for household in tip.household_variants:
                parts = TipParts(tip.id, own.audience, household.audience)
                for locale in LOCALES:
                    for full in (False, True):
                        text, _ = render_tip(library, parts, locale, full=full, **context)
                        if len(text.encode("utf-16-le")) // 2 > TIP_LENGTH_LIMIT:
                            problems.append(
                                f"tip {tip.id} [{own.audience.value} + "
                                f"{household.audience.value}, {locale}]: {len(text)} "
                                f"characters together, over {TIP_LENGTH_LIMIT}"
                            )
    return problems


def check_tip_readability(library: Library) -> list[str]:
    """Warnings: variants for older residents longer than one screen without a `summary`."""
    return [
        f"tip {tip.id} [{v.audience.value}]: no summary (first screen) for older readers"
        for tip in library
        for v in tip.variants
        if v.summary is None
        and v.audience in (Audience.AGE_65, Audience.AGE_80)
        and len(v.body["zh-CN"]) > SUMMARY_LIMIT_ZH
    ]


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


def _check_readings(report: CheckReport) -> None:
    """The home-reading thresholds parse, are consistent and cite editioned sources; a
    pending clinical review is reported (the figures still apply)."""
    try:
        thresholds = parse_thresholds(yaml.safe_load(THRESHOLDS_FILE.read_text(encoding="utf-8")))
    except (ThresholdsError, OSError, yaml.YAMLError) as error:
        report.problems.extend(f"readings/{line}" for line in str(error).splitlines())
        return
    if thresholds.review.state is ReviewState.PENDING:
        report.warnings.append("readings/thresholds.yaml: clinical review pending")


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


# Who the product writes for, and which variants count as written for them. An 80+ resident
# also reads the 65+ variants (written to older residents themselves); a parent of a child
# under 6 also reads the variants for parents of children under 14.
COVERAGE_GROUPS: tuple[tuple[str, frozenset[Audience]], ...] = (
    ("everyone (healthy adult)", frozenset({Audience.EVERYONE})),
    ("hypertension", frozenset({Audience.HYPERTENSION})),
    ("diabetes", frozenset({Audience.DIABETES})),
    ("hyperlipidaemia", frozenset({Audience.HYPERLIPIDAEMIA})),
    ("65 and over", frozenset({Audience.AGE_65})),
    ("80 and over", frozenset({Audience.AGE_80, Audience.AGE_65})),
    ("carers of someone 80 and over", frozenset({Audience.CARER_80})),
    ("parents of children under 6", frozenset({Audience.YOUNG_CHILDREN, Audience.CHILDREN})),
    ("parents of school-age children", frozenset({Audience.CHILDREN})),
    ("pregnant women", frozenset({Audience.PREGNANCY})),
    ("postpartum women", frozenset({Audience.POSTPARTUM})),
)


def audience_coverage(library: Library, year: int, zone: ZoneInfo) -> dict[str, int]:
    """Distinct pushes in `year` (dated tips and planned evergreen slots) with a variant written
    for each audience group. A tip planned twice in the year counts once."""
    tips_by_group: dict[str, set[str]] = {label: set() for label, _ in COVERAGE_GROUPS}
    day = date(year, 1, 1)
    while day.year == year:
        for firing in library.due_on(day, zone):
            audiences = {v.audience for v in firing.variants}
            for label, group in COVERAGE_GROUPS:
                if audiences & group:
                    tips_by_group[label].add(firing.tip.id)
        day += timedelta(days=1)
    return {label: len(tips) for label, tips in tips_by_group.items()}


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
            if tip.trigger.name is None:  # an evergreen tip's planned slot
                zh, en = "计划推送", "Planned"
            else:
                zh, en = cal.names(tip.trigger.kind, tip.trigger.name)
            entries.append(
                CalendarEntry(
                    day=day,
                    occasion_zh=zh,
                    occasion_en=en,
                    tip_id=tip.id,
                    audiences=tuple(v.audience.value for v in firing.variants),
                    offset_days=tip.trigger.offset_days,
                )
            )
        day += timedelta(days=1)
    return entries
