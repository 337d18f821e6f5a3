"""Operators' reward catalogue files: validated, then loaded per centre."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jiayi.content.points import (
    Catalogue,
    PointsDataError,
    parse_catalogue,
)
from jiayi.services.errors import InvalidInput, NotFound
from jiayi.storage.uow import UnitOfWork


@dataclass(frozen=True)
class CatalogueReport:
    created: list[str]
    updated: list[str]


def load_catalogue_file(path: Path) -> Catalogue:
    try:
        return parse_catalogue(path)
    except PointsDataError as error:
        raise InvalidInput("points_file_invalid", detail=str(error)) from None


async def load_catalogue(
    uow: UnitOfWork, spec: Catalogue, *, update_existing: bool = True
) -> CatalogueReport:
    """Adds the centre's new rewards and (unless told not to) updates existing ones: names,
    cost, stock, validity. Vouchers already issued keep the cost they were bought at."""
    created: list[str] = []
    updated: list[str] = []
    async with uow:
        await uow.begin_write()
        centre = await uow.centres.by_code(spec.centre)
        if centre is None:
            raise NotFound("centre_not_found", centre=spec.centre)
        for item in spec.rewards:
            existing = await uow.points.reward_by_code(centre.id, item.code)
            if existing is None:
                await uow.points.add_reward(
                    centre_id=centre.id,
                    code=item.code,
                    name_zh=item.name["zh-CN"],
                    name_en=item.name["en"],
                    cost=item.cost,
                    stock=item.stock,
                    valid_days=item.valid_days,
                )
                created.append(item.code)
            elif update_existing:
                await uow.points.update_reward(
                    existing.id,
                    active=True,
                    name_zh=item.name["zh-CN"],
                    name_en=item.name["en"],
                    cost=item.cost,
                    stock=item.stock,
                    valid_days=item.valid_days,
                )
                updated.append(item.code)
        await uow.commit()
    return CatalogueReport(created, updated)
