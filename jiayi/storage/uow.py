"""The unit of work: one transaction, explicit commit, rollback on anything else."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jiayi.storage.booking import BookingRepository
from jiayi.storage.careplans import CarePlanRepository
from jiayi.storage.console import ConsoleRepository
from jiayi.storage.content_review import ContentReviewRepository
from jiayi.storage.dashboard import DashboardRepository
from jiayi.storage.outbox import OutboxRepository, PushRepository
from jiayi.storage.points import PointsRepository
from jiayi.storage.privacy import PrivacyRepository
from jiayi.storage.readings import ReadingRepository
from jiayi.storage.records import ResidentRecord
from jiayi.storage.repositories import (
    CentreRepository,
    ConsentRepository,
    ContractRepository,
    DoctorRepository,
    FamilyRepository,
    ResidentRepository,
)
from jiayi.storage.rewards import RewardsAdminRepository
from jiayi.storage.roster import RosterRepository
from jiayi.storage.schedules import ScheduleRepository
from jiayi.storage.webconsole import WebConsoleRepository


class UnitOfWork:
    """`async with uow:` opens a transaction; leaving without `commit()` rolls it back.

    Entry points (a middleware per update, a job per run) create the object; services enter it,
    do their work through the repositories and end with an explicit `commit()`. A unit of work
    can be entered again after it is left, each time with a fresh session.
    """

    centres: CentreRepository
    doctors: DoctorRepository
    residents: ResidentRepository
    family: FamilyRepository
    contracts: ContractRepository
    consents: ConsentRepository
    outbox: OutboxRepository
    pushes: PushRepository
    booking: BookingRepository
    careplans: CarePlanRepository
    privacy: PrivacyRepository
    points: PointsRepository
    console: ConsoleRepository
    readings: ReadingRepository
    dashboard: DashboardRepository
    schedules: ScheduleRepository
    reviews: ContentReviewRepository
    roster: RosterRepository
    rewards: RewardsAdminRepository
    webconsole: WebConsoleRepository

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        write_lock: asyncio.Lock | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._session: AsyncSession | None = None
        self._write_lock = write_lock
        self._holds_lock = False
        # Residents read once for the whole update (`remember_resident`), by Telegram id.
        self._known_residents: dict[int, ResidentRecord] = {}

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("unit of work is already open")
        self._session = session = self._sessionmaker()
        self.centres = CentreRepository(session)
        self.doctors = DoctorRepository(session)
        self.residents = ResidentRepository(session, self._known_residents)
        self.family = FamilyRepository(session)
        self.contracts = ContractRepository(session)
        self.consents = ConsentRepository(session)
        self.outbox = OutboxRepository(session)
        self.pushes = PushRepository(session)
        self.booking = BookingRepository(session)
        self.careplans = CarePlanRepository(session)
        self.privacy = PrivacyRepository(session)
        self.points = PointsRepository(session)
        self.console = ConsoleRepository(session)
        self.readings = ReadingRepository(session)
        self.dashboard = DashboardRepository(session)
        self.schedules = ScheduleRepository(session)
        self.reviews = ContentReviewRepository(session)
        self.roster = RosterRepository(session)
        self.rewards = RewardsAdminRepository(session)
        self.webconsole = WebConsoleRepository(session)
        return self

    async def begin_write(self) -> None:
        """Start the transaction holding the write lock (SQLite: BEGIN IMMEDIATE).

        Call first in a service that reads and then writes on the strength of what it read.
        On PostgreSQL this is an ordinary BEGIN; row locks or conditional updates do the rest.
        On SQLite, writers of this process also queue on an asyncio lock first: SQLite's own
        busy wait polls on a coarse timer, so a crowd of writers would idle and time out.
        """
        self._known_residents.clear()
        if self._write_lock is not None and not self._holds_lock:
            await self._write_lock.acquire()
            self._holds_lock = True
        await self.session.connection(execution_options={"sqlite_immediate": True})

    def remember_resident(self, resident: ResidentRecord) -> None:
        """Lets this unit of work answer `residents.by_telegram_user` for `resident` without
        reading again, until it writes: `begin_write()` or `commit()` forgets it, so a writer
        always reads the row in its own transaction. For the resident an update came from,
        read by the update's middleware moments earlier (issue #14: the handler read the
        same row again in every update)."""
        self._known_residents[resident.telegram_user_id] = resident

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("unit of work is not open")
        return self._session

    async def commit(self) -> None:
        self._known_residents.clear()
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self.session, None
        try:
            await session.rollback()
        finally:
            try:
                await session.close()
            finally:
                if self._holds_lock:
                    self._holds_lock = False
                    assert self._write_lock is not None
                    self._write_lock.release()


class UnitOfWorkFactory:
    """What entry points hold: makes a fresh unit of work per update or job run."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        bind = sessionmaker.kw.get("bind")
        dialect = bind.dialect.name if bind is not None else ""
        # One writer at a time per process on SQLite (see UnitOfWork.begin_write).
        self._write_lock = asyncio.Lock() if dialect == "sqlite" else None

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self._sessionmaker, self._write_lock)
