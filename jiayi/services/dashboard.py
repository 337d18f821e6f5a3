"""The console's dashboard: the centre's figures over a period, for the whole centre or one
doctor's residents.

Each figure is a typed table (columns and rows): the page shows it, the chart is drawn from
it and the CSV/XLSX exports write it, so the three can never disagree. Column labels and
titles are English msgids; whoever shows them translates them (`_` below only marks them for
extraction).

Scope: a doctor sees their own residents' figures, whatever they ask for; an operator sees
the centre's, or one doctor's when they pick one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from jiayi.content.careplans import RuleBook
from jiayi.services import careplans, pushes
from jiayi.services.clock import Clock
from jiayi.services.console import Actor, audit
from jiayi.services.errors import InvalidInput, NotAllowed
from jiayi.storage.records import OutboxStatus
from jiayi.storage.uow import UnitOfWork

AUDIT_DASHBOARD = "console_dashboard"  # the resident was listed on the console's dashboard
MAX_PERIOD_DAYS = 366 * 2

Cell = str | int | float | date | None


def _(msgid: str) -> str:
    """Marks a msgid for extraction; the page or export translates it."""
    return msgid


class ColumnKind(StrEnum):
    TEXT = "text"
    INT = "int"
    PERCENT = "percent"  # a float 0..100
    DATE = "date"
    LABEL = "label"  # a msgid, translated where shown


class ChartKind(StrEnum):
    BARS = "bars"  # one group of bars per row, one bar per numeric column
    LINES = "lines"  # x = first column, one line per numeric column


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # msgid
    kind: ColumnKind = ColumnKind.INT


@dataclass(frozen=True)
class Figure:
    """One table of the dashboard. `chart` says how to draw it (None: table only)."""

    key: str
    title: str  # msgid
    short: str  # msgid: a sheet name (at most 31 characters)
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    chart: ChartKind | None = None
    # Columns drawn in the chart (default: every numeric column).
    chart_columns: tuple[str, ...] = ()

    def column(self, key: str) -> list[Cell]:
        index = [c.key for c in self.columns].index(key)
        return [row[index] for row in self.rows]

    def total(self, key: str) -> int:
        return sum(int(v) for v in self.column(key) if isinstance(v, int | float))


@dataclass(frozen=True)
class Period:
    """Local days `start` … `end`, both included."""

    start: date
    end: date

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        first = datetime.combine(self.start, time(), zone).astimezone(UTC)
        last = datetime.combine(self.end + timedelta(days=1), time(), zone).astimezone(UTC)
        return first, last

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class PeriodPreset(StrEnum):
    LAST_4_WEEKS = "4w"
    LAST_12_WEEKS = "12w"
    THIS_YEAR = "year"
    LAST_YEAR = "last_year"


def preset_period(preset: PeriodPreset, today: date) -> Period:
    match preset:
        case PeriodPreset.LAST_4_WEEKS:
            return Period(today - timedelta(days=27), today)
        case PeriodPreset.LAST_12_WEEKS:
            return Period(today - timedelta(days=83), today)
        case PeriodPreset.THIS_YEAR:
            return Period(date(today.year, 1, 1), today)
        case PeriodPreset.LAST_YEAR:
            return Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))


def parse_period(preset: str | None, start: str | None, end: str | None, today: date) -> Period:
    """The period a form asked for: explicit dates win over a preset; default 12 weeks."""
    if start or end:
        try:
            first = date.fromisoformat((start or "").strip())
            last = date.fromisoformat((end or "").strip())
        except ValueError:
            raise InvalidInput("period_invalid") from None
        if last < first or (last - first).days >= MAX_PERIOD_DAYS:
            raise InvalidInput("period_invalid")
        return Period(first, last)
    try:
        chosen = PeriodPreset(preset) if preset else PeriodPreset.LAST_12_WEEKS
    except ValueError:
        raise InvalidInput("period_invalid") from None
    return preset_period(chosen, today)


@dataclass(frozen=True)
class Dashboard:
    period: Period
    doctor_id: int | None  # the scope shown; None = the whole centre
    doctor_name: str | None
    doctors: tuple[tuple[int, str], ...]  # an operator's choices (empty for a doctor)
    target: int  # pushes expected by the period's end (the yearly 12, pro rata)
    figures: tuple[Figure, ...]
    summary: Figure
    generated_at: datetime
    by_key: dict[str, Figure] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self.by_key.update({f.key: f for f in (self.summary, *self.figures)})

    def figure(self, key: str) -> Figure:
        return self.by_key[key]


def _scope(actor: Actor, requested: int | None) -> int | None:
    if actor.scope is not None:  # a doctor: their own residents, whatever they asked
        if requested is not None and requested != actor.scope:
            raise NotAllowed("resident_not_yours")
        return actor.scope
    return requested


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _weeks(period: Period) -> list[date]:
    first, weeks = _week_start(period.start), []
    while first <= period.end:
        weeks.append(first)
        first += timedelta(days=7)
    return weeks


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


async def build_dashboard(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    zone: ZoneInfo,
    period: Period,
    *,
    doctor_id: int | None = None,
    centre_id: int | None = None,
    rules: RuleBook | None = None,
    audit_residents: bool = True,
) -> Dashboard:
    """Every figure for the actor's scope over `period`. Listing residents is audited (one
    row per resident shown), like the bot's resident list."""
    scope = _scope(actor, doctor_id)
    now = clock.now()
    start, end = period.bounds(zone)
    schedule = pushes.PushSchedule(zone=zone)
    today = schedule.local_today(clock)
    year = period.end.year
    report = await pushes.coverage(uow, schedule, _AsOf(clock, period.end, zone), year)
    async with uow:  # reads only: the audit rows are written after, in a short write
        doctors = tuple(await uow.dashboard.doctor_ids(centre_id))
        names = dict(doctors)
        if scope is not None and scope not in names:
            doctor = await uow.doctors.get(scope)
            if doctor is None:
                raise NotAllowed("doctor_not_found")
            names[scope] = doctor.display_name
        coverage_rows = [row for row in report.rows if scope is None or row[1] == scope]
        resident_names = await uow.dashboard.resident_names(r[0] for r in coverage_rows)
        signed_up, contracted = await uow.dashboard.headcounts(scope)
        deliveries = await uow.dashboard.tip_deliveries(start, end, scope)
        ratings = await uow.dashboard.tip_ratings(start, end, scope)
        bookings = await uow.dashboard.bookings(centre_id, start, end, scope)
        waiting = await uow.dashboard.waiting(centre_id, now, scope)
        points = await uow.dashboard.points(start, end, scope)
        broadcasts = await uow.dashboard.broadcasts(start, end, scope)
        broadcast_counts = [await uow.console.broadcast_counts(b.id) for b in broadcasts]
        overdue_doctors = [scope] if scope is not None else [d for d, _n in doctors]
        overdue: dict[str, tuple[str, str, set[int]]] = {}
        for did in overdue_doctors:
            for resident in await careplans.overdue_residents(uow, did, today, zone, rules):
                for item in resident.items:
                    entry = overdue.setdefault(item.rule_id, (item.name_zh, item.name_en, set()))
                    entry[2].add(resident.resident_id)
    if audit_residents and resident_names:
        async with uow:
            await uow.begin_write()
            await audit(uow, actor, list(resident_names), AUDIT_DASHBOARD, now)
            await uow.commit()

    target = report.target
    figures: list[Figure] = []
    # Coverage per doctor, then per resident.
    per_doctor: dict[int | None, list[int]] = {}
    for row in coverage_rows:
        counts = per_doctor.setdefault(row[1], [0, 0])
        counts[0] += 1
        counts[1] += 1 if row[4] else 0
    figures.append(
        Figure(
            key="coverage",
            title=_("Residents on track for 12 delivered pushes a year"),
            short=_("Coverage"),
            columns=(
                Column("doctor", _("Family doctor"), ColumnKind.TEXT),
                Column("residents", _("Residents")),
                Column("on_track", _("On track")),
                Column("behind", _("Behind")),
                Column("share", _("On track (%)"), ColumnKind.PERCENT),
            ),
            rows=tuple(
                (
                    names.get(did, row_name(report, did)) if did is not None else None,
                    n,
                    ok,
                    n - ok,
                    _pct(ok, n),
                )
                for did, (n, ok) in sorted(
                    per_doctor.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)
                )
            ),
            chart=ChartKind.BARS,
            chart_columns=("on_track", "behind"),
        )
    )
    figures.append(
        Figure(
            key="residents",
            title=_("Residents and their delivered pushes"),
            short=_("Residents"),
            columns=(
                Column("resident", _("Resident"), ColumnKind.TEXT),
                Column("doctor", _("Family doctor"), ColumnKind.TEXT),
                Column("delivered", _("Pushes delivered this year")),
                Column("on_track", _("On track"), ColumnKind.LABEL),
            ),
            rows=tuple(
                (
                    resident_names.get(row[0], ""),
                    row[2],
                    row[3],
                    _("yes") if row[4] else _("no"),
                )
                for row in sorted(coverage_rows, key=lambda r: (r[3], r[0]))
            ),
        )
    )
    weeks = _weeks(period)
    per_week = {w: [0, 0] for w in weeks}
    for event in deliveries:
        week = _week_start(event.at.astimezone(zone).date())
        if week in per_week:
            per_week[week][0 if event.delivered else 1] += 1
    figures.append(
        Figure(
            key="deliveries",
            title=_("Pushes delivered and failed per week"),
            short=_("Deliveries"),
            columns=(
                Column("week", _("Week of"), ColumnKind.DATE),
                Column("delivered", _("Delivered")),
                Column("failed", _("Failed")),
            ),
            rows=tuple((w, d, f) for w, (d, f) in per_week.items()),
            chart=ChartKind.LINES,
        )
    )
    figures.append(
        Figure(
            key="ratings",
            title=_("Tip ratings"),
            short=_("Tip ratings"),
            columns=(
                Column("tip", _("Tip"), ColumnKind.TEXT),
                Column("helpful", _("Helpful")),
                Column("unhelpful", _("Not helpful")),
                Column("share", _("Helpful (%)"), ColumnKind.PERCENT),
            ),
            rows=tuple(
                (r.tip_id, r.helpful, r.unhelpful, _pct(r.helpful, r.helpful + r.unhelpful))
                for r in ratings
            ),
            chart=ChartKind.BARS,
            chart_columns=("helpful", "unhelpful"),
        )
    )
    figures.append(
        Figure(
            key="bookings",
            title=_("Bookings, attendance and no-shows per service"),
            short=_("Bookings"),
            columns=(
                Column("service", _("Service"), ColumnKind.TEXT),
                Column("booked", _("Booked")),
                Column("attended", _("Attended")),
                Column("no_show", _("No-show")),
                Column("cancelled", _("Cancelled")),
            ),
            rows=tuple(
                (f"{b.name_zh} / {b.name_en}", b.booked, b.attended, b.no_show, b.cancelled)
                for b in bookings
            ),
            chart=ChartKind.BARS,
            chart_columns=("booked", "attended", "no_show"),
        )
    )
    figures.append(
        Figure(
            key="waiting",
            title=_("Waiting lists"),
            short=_("Waiting lists"),
            columns=(
                Column("service", _("Service"), ColumnKind.TEXT),
                Column("waiting", _("Waiting")),
                Column("offered", _("Offered a seat")),
            ),
            rows=tuple((f"{w.name_zh} / {w.name_en}", w.waiting, w.offered) for w in waiting),
            chart=ChartKind.BARS,
        )
    )
    figures.append(
        Figure(
            key="overdue",
            title=_("Overdue care items by rule"),
            short=_("Overdue care"),
            columns=(
                Column("rule", _("Care item"), ColumnKind.TEXT),
                Column("residents", _("Residents overdue")),
            ),
            rows=tuple(
                (f"{zh} / {en}", len(ids))
                for _rule, (zh, en, ids) in sorted(overdue.items(), key=lambda kv: kv[0])
            ),
            chart=ChartKind.BARS,
        )
    )
    figures.append(
        Figure(
            key="points",
            title=_("Points earned and redeemed"),
            short=_("Points"),
            columns=(
                Column("reason", _("Rule or reward"), ColumnKind.TEXT),
                Column("earned", _("Earned")),
                Column("redeemed", _("Redeemed")),
            ),
            rows=tuple((p.reason, p.earned, p.redeemed) for p in points),
            chart=ChartKind.BARS,
        )
    )
    s = OutboxStatus
    figures.append(
        Figure(
            key="broadcasts",
            title=_("Broadcasts and their reports"),
            short=_("Broadcasts"),
            columns=(
                Column("id", _("Broadcast"), ColumnKind.INT),
                Column("doctor", _("Family doctor"), ColumnKind.TEXT),
                Column("created", _("Created"), ColumnKind.DATE),
                Column("audience", _("Audience")),
                Column("delivered", _("Delivered")),
                Column("failed", _("Failed")),
                Column("blocked", _("Blocked")),
                Column("waiting", _("Waiting")),
            ),
            rows=tuple(
                (
                    b.id,
                    b.doctor_name,
                    b.created_at.astimezone(zone).date(),
                    b.audience_size,
                    c.get(s.SENT.value, 0),
                    c.get(s.FAILED.value, 0),
                    c.get(s.BLOCKED.value, 0),
                    c.get(s.PENDING.value, 0) + c.get(s.CLAIMED.value, 0),
                )
                for b, c in zip(broadcasts, broadcast_counts, strict=True)
            ),
        )
    )
    by = {f.key: f for f in figures}
    on_track = by["coverage"].total("on_track")
    in_coverage = by["coverage"].total("residents")
    summary = Figure(
        key="summary",
        title=_("Summary"),
        short=_("Summary"),
        columns=(
            Column("measure", _("Measure"), ColumnKind.LABEL),
            Column("value", _("Value"), ColumnKind.TEXT),
        ),
        rows=(
            (_("Period from"), period.start),
            (_("Period to"), period.end),
            (_("Residents signed up"), signed_up),
            (_("Residents with a family doctor contract"), contracted),
            (_("Pushes expected per resident by the period's end"), target),
            (_("Residents on track for 12 pushes a year"), on_track),
            (_("Residents on track (%)"), _pct(on_track, in_coverage)),
            (_("Pushes delivered"), by["deliveries"].total("delivered")),
            (_("Pushes failed"), by["deliveries"].total("failed")),
            (_("Tip ratings: helpful"), by["ratings"].total("helpful")),
            (_("Tip ratings: not helpful"), by["ratings"].total("unhelpful")),
            (_("Appointments booked"), by["bookings"].total("booked")),
            (_("Appointments attended"), by["bookings"].total("attended")),
            (_("No-shows"), by["bookings"].total("no_show")),
            (_("Waiting for a seat"), by["waiting"].total("waiting")),
            (_("Overdue care items"), by["overdue"].total("residents")),
            (_("Points earned"), by["points"].total("earned")),
            (_("Points redeemed"), by["points"].total("redeemed")),
            (_("Broadcasts"), len(broadcasts)),
        ),
    )
    return Dashboard(
        period=period,
        doctor_id=scope,
        doctor_name=names.get(scope) if scope is not None else None,
        doctors=doctors if actor.scope is None else (),
        target=target,
        figures=tuple(figures),
        summary=summary,
        generated_at=now,
    )


def row_name(report: pushes.CoverageReport, doctor_id: int | None) -> str | None:
    for doctor in report.doctors:
        if doctor.doctor_id == doctor_id:
            return doctor.doctor_name
    return None


class _AsOf:
    """The clock `pushes.coverage` reads "today" from: the period's last day when it is in
    the past, so a past period is measured against its own target."""

    def __init__(self, clock: Clock, last: date, zone: ZoneInfo) -> None:
        self._clock, self._last, self._zone = clock, last, zone

    def now(self) -> datetime:
        now = self._clock.now()
        if now.astimezone(self._zone).date() <= self._last:
            return now
        return datetime.combine(self._last, time(12), self._zone).astimezone(UTC)
