"""N residents pressing "book" on the same slot at the same moment, on SQLite and PostgreSQL.

    python -m benchmarks.booking_race [--residents 1000] [--seats 100]
                                      [--backend sqlite|postgresql|both]

On a fresh scratch database: bulk-seeds N onboarded residents (and the benchmark centre), adds
one bookable service and ONE slot with capacity = seats, tomorrow morning (well past the
service's minimum notice; the clock is a ManualClock set to 2026-11-23 10:00 Shanghai), then
launches N concurrent `services.booking.book` calls with asyncio.gather, each through its own
unit of work from `Database.uow_factory()` (the same engine and pool settings as the bot).

Each call's latency (perf_counter, from the moment the call starts to its answer) and outcome
are recorded. The table shows how many were booked (it must equal the seats: a loud OVERBOOKED
or UNDERBOOKED line is printed if it does not, or if the slot's seat count or the appointments
in the database disagree), how many got the clean `slot_full` answer, any other errors, the
wall time of the whole crowd, booking attempts answered per second and latency percentiles.

There is no target: the point is that the seats are exactly filled and everyone else gets an
answer, and how long the crowd takes. The script never fails on timing.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from benchmarks._common import (
    DEFAULT_PG_ADMIN_DSN,
    SHANGHAI,
    TELEGRAM_ID_BASE,
    local,
    machine_note,
    print_table,
    scratch_database,
    seed,
)
from jiayi.services import booking
from jiayi.services.booking import ServiceKind
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory, open_database
from jiayi.services.errors import DomainError
from jiayi.storage import models as m

BENCH_DAY = date(2026, 11, 23)  # a Monday; the crowd presses "book" at 10:00 local
SLOT_DAY = BENCH_DAY + timedelta(days=1)
CENTRE_ID = 1  # the centre `seed` creates
RACE_TIMEOUT_SECONDS = 600.0  # the whole crowd is cancelled (and counted as failed) after this
FIRST_ERROR_WIDTH = 60


@dataclass(frozen=True)
class Outcome:
    kind: str  # "booked", "slot_full" or "other"
    seconds: float
    error: str | None = None


@dataclass(frozen=True)
class Result:
    backend: str
    residents: int
    seats: int
    outcomes: list[Outcome]
    seconds: float  # wall time of the whole gather
    slot_booked: int  # the slot's seat count in the database afterwards
    appointments: int  # booked appointments in the database afterwards

    @property
    def counts(self) -> Counter[str]:
        return Counter(o.kind for o in self.outcomes)

    @property
    def first_error(self) -> str | None:
        return next((o.error for o in self.outcomes if o.kind == "other"), None)

    @property
    def expected(self) -> int:
        return min(self.seats, self.residents)

    def cells(self) -> list[object]:
        counts = self.counts
        latencies = sorted(o.seconds for o in self.outcomes)
        rate = len(self.outcomes) / self.seconds if self.seconds > 0 else 0.0
        first = self.first_error or "-"
        if len(first) > FIRST_ERROR_WIDTH:
            first = first[: FIRST_ERROR_WIDTH - 1] + "…"
        return [
            self.backend,
            self.residents,
            self.seats,
            counts["booked"],
            counts["slot_full"],
            counts["other"],
            first,
            round(self.seconds, 3),
            round(rate),
            *(_ms(percentile(latencies, p)) for p in (50, 95, 99)),
            _ms(latencies[-1] if latencies else 0.0),
        ]

    def verdicts(self) -> list[str]:
        """Loud lines for anything but exactly `expected` seats taken; empty if all is well."""
        lines = []
        for what, value in (
            ("successful book() calls", self.counts["booked"]),
            ("the slot's booked count", self.slot_booked),
            ("booked appointments in the database", self.appointments),
        ):
            if value > self.expected:
                lines.append(f"!!! OVERBOOKED: {what} = {value:,}, seats = {self.expected:,}")
            elif value < self.expected:
                lines.append(f"!!! UNDERBOOKED: {what} = {value:,}, seats = {self.expected:,}")
        return lines


HEADERS = [
    "backend",
    "residents",
    "seats",
    "booked",
    "slot_full",
    "other errors",
    "first other error",
    "seconds",
    "attempts/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "max ms",
]


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values (0.0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


async def _add_service_and_slot(uow_factory: UnitOfWorkFactory, seats: int) -> int:
    """One bookable service of the benchmark centre and one slot of it; returns the slot id."""
    starts_at = local(SLOT_DAY, 9)
    async with uow_factory() as uow:
        await uow.begin_write()
        service = await uow.booking.add_service(
            centre_id=CENTRE_ID,
            code="flu_vaccine",
            kind=ServiceKind.VACCINATION,
            name_zh="流感疫苗接种",
            name_en="Flu vaccination",
        )
        await uow.booking.add_slot(
            service_id=service.id,
            doctor_id=None,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=30),
            capacity=seats,
        )
        await uow.commit()
        slots = await uow.booking.open_slots(
            service.id, starts_at, starts_at + timedelta(seconds=1)
        )
    if len(slots) != 1:
        raise RuntimeError(f"expected one slot, found {len(slots)}")
    return slots[0].id


async def _press_book(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, user: int, slot_id: int
) -> Outcome:
    began = time.perf_counter()
    try:
        await booking.book(uow_factory(), clock, user, slot_id, None, SHANGHAI)
    except DomainError as error:
        seconds = time.perf_counter() - began
        if error.code == "slot_full":
            return Outcome("slot_full", seconds)
        return Outcome("other", seconds, f"DomainError({error.code!r})")
    except Exception as error:  # every failure is counted and shown, not raised
        return Outcome("other", time.perf_counter() - began, f"{type(error).__name__}: {error}")
    return Outcome("booked", time.perf_counter() - began)


async def _in_database(uow_factory: UnitOfWorkFactory, slot_id: int) -> tuple[int, int]:
    """(the slot's booked count, booked appointments) as the database has them now."""
    async with uow_factory() as uow:
        slot = await uow.booking.slot(slot_id)
        appointments = await uow.session.scalar(
            select(func.count())
            .select_from(m.Appointment)
            .where(m.Appointment.status == booking.AppointmentStatus.BOOKED.value)
        )
    return (slot.booked if slot else 0), int(appointments or 0)


async def bench_backend(backend: str, residents: int, seats: int, pg_admin_dsn: str) -> Result:
    async with scratch_database(backend, pg_admin_dsn=pg_admin_dsn, tag="race") as url:
        report = await seed(url, residents)
        print(
            f"[{backend}] seeded {report.residents:,} residents in {report.seconds:.1f} s "
            f"(+ ANALYZE and checkpoint {report.settle_seconds:.1f} s)",
            flush=True,
        )
        clock = ManualClock(local(BENCH_DAY, 10))
        database = open_database(url)
        try:
            uow_factory = database.uow_factory
            slot_id = await _add_service_and_slot(uow_factory, seats)
            # Warm the connection pool (PostgreSQL keeps 5 connections; SQLite opens one per
            # unit of work), as a running bot's would be, with reads that change nothing.
            await asyncio.gather(*(booking.get_slot(uow_factory(), slot_id) for _ in range(5)))
            users = [TELEGRAM_ID_BASE + i for i in range(1, residents + 1)]
            print(f"[{backend}] {residents:,} residents press book on {seats:,} seats", flush=True)
            began = time.perf_counter()
            async with asyncio.timeout(RACE_TIMEOUT_SECONDS):
                outcomes = await asyncio.gather(
                    *(_press_book(uow_factory, clock, user, slot_id) for user in users)
                )
            seconds = time.perf_counter() - began
            slot_booked, appointments = await _in_database(uow_factory, slot_id)
        finally:
            await database.dispose()
    return Result(backend, residents, seats, list(outcomes), seconds, slot_booked, appointments)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--residents", type=int, default=1_000)
    parser.add_argument("--seats", type=int, default=100)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--pg-admin-dsn",
        default=DEFAULT_PG_ADMIN_DSN,
        help="maintenance database used to create and drop the scratch database",
    )
    args = parser.parse_args()
    if args.residents < 1:
        parser.error("--residents must be at least 1")
    if args.seats < 1:
        parser.error("--seats must be at least 1")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    print(f"machine: {machine_note()} at start", flush=True)
    if args.seats > args.residents:
        print(f"note: only {args.residents:,} residents for {args.seats:,} seats", flush=True)
    for backend in backends:
        result = await bench_backend(backend, args.residents, args.seats, args.pg_admin_dsn)
        print()
        print_table(HEADERS, [result.cells()])
        print(
            f"database afterwards: slot booked = {result.slot_booked:,}, "
            f"booked appointments = {result.appointments:,}"
        )
        if result.first_error and len(result.first_error) > FIRST_ERROR_WIDTH:
            print(f"first other error: {result.first_error}")
        for line in result.verdicts():
            print(line)
        print(flush=True)
    print(f"machine: {machine_note()} at the end")


if __name__ == "__main__":
    asyncio.run(main())
