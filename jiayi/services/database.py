"""Opening the database for an entry point: engine, unit-of-work factory, migrations."""

from __future__ import annotations

from dataclasses import dataclass

from jiayi.storage import migrate as _migrate
from jiayi.storage.engine import make_engine, make_sessionmaker
from jiayi.storage.uow import UnitOfWork, UnitOfWorkFactory

__all__ = ["Database", "UnitOfWork", "UnitOfWorkFactory", "migrate", "open_database"]


@dataclass
class Database:
    uow_factory: UnitOfWorkFactory
    _engine: object

    async def dispose(self) -> None:
        await self._engine.dispose()  # type: ignore[attr-defined]


def open_database(url: str) -> Database:
    # hide_parameters: SQL errors must not carry names or birth dates into the logs.
    engine = make_engine(url, hide_parameters=True)
    return Database(uow_factory=UnitOfWorkFactory(make_sessionmaker(engine)), _engine=engine)


async def migrate(url: str) -> None:
    """Applies every pending migration."""
    await _migrate.upgrade(url)
