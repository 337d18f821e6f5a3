"""Coverage: the ">= 12 a year" promise, measured per doctor and centre."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from jiayi.services.clock import Clock
from jiayi.services.pushes.planning import PushSchedule, yearly_target_by
from jiayi.storage.uow import UnitOfWork


@dataclass(frozen=True)
class DoctorCoverage:
    doctor_id: int | None
    doctor_name: str | None
    residents: int
    on_track: int
    behind: int


@dataclass(frozen=True)
class CoverageReport:
    year: int
    as_of: date
    target: int
    doctors: list[DoctorCoverage]
    rows: list[tuple[int, int | None, str | None, int, bool, bool, bool]]


async def coverage(
    uow: UnitOfWork, schedule: PushSchedule, clock: Clock, year: int | None = None
) -> CoverageReport:
    """Delivered (not merely planned) tips per resident this year, grouped by family doctor."""
    today = schedule.local_today(clock)
    year = year or today.year
    as_of = today if year == today.year else date(year, 12, 31)
    target = yearly_target_by(as_of)
    start, end = schedule.year_bounds(year)
    async with uow:
        rows = await uow.outbox.coverage(start, end)
    groups: dict[int | None, list[tuple[str | None, bool]]] = {}
    csv_rows = []
    for row in rows:
        on_track = row.delivered >= target
        groups.setdefault(row.doctor_id, []).append((row.doctor_name, on_track))
        csv_rows.append(
            (
                row.resident_id,
                row.doctor_id,
                row.doctor_name,
                row.delivered,
                on_track,
                row.reachable,
                row.paused,
            )
        )
    doctors = [
        DoctorCoverage(
            doctor_id=doctor_id,
            doctor_name=items[0][0],
            residents=len(items),
            on_track=sum(1 for _, ok in items if ok),
            behind=sum(1 for _, ok in items if not ok),
        )
        for doctor_id, items in groups.items()
    ]
    return CoverageReport(year=year, as_of=as_of, target=target, doctors=doctors, rows=csv_rows)
