"""The centre's rewards catalogue and its vouchers, for the operator's console page.

Editing a reward goes through the catalogue loader `jiayi points load` uses
(`services.points.load_catalogue`), so a reward edited on the web obeys the same rules as one
loaded from YAML (names in both languages, cost, stock and validity bounds)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from jiayi.content.points import Catalogue, RewardSpec
from jiayi.services import points
from jiayi.services.console import Actor
from jiayi.services.errors import InvalidInput, NotAllowed, NotFound
from jiayi.storage.records import RewardRecord, VoucherRecord, VoucherStatus
from jiayi.storage.rewards import VoucherFilter
from jiayi.storage.uow import UnitOfWork

__all__ = [
    "RewardLine",
    "VoucherPage",
    "VoucherQuery",
    "catalogue",
    "edit_reward",
    "set_offered",
    "vouchers",
]

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class RewardLine:
    reward: RewardRecord
    issued: int  # vouchers ever issued (any status)
    active: int
    redeemed: int


@dataclass(frozen=True, slots=True)
class VoucherQuery:
    status: VoucherStatus | None = None
    reward_id: int | None = None
    issued_from: date | None = None  # local dates, inclusive
    issued_to: date | None = None


@dataclass(frozen=True, slots=True)
class VoucherPage:
    vouchers: tuple[VoucherRecord, ...]
    total: int
    page: int
    pages: int


async def _centre(uow: UnitOfWork, actor: Actor) -> int:
    if not actor.is_admin:
        raise NotAllowed("operators_only")
    centres = await uow.centres.list()
    if not centres:
        raise NotFound("centre_not_found")
    if actor.doctor_id is not None:
        doctor = await uow.doctors.get(actor.doctor_id)
        if doctor is not None:
            return doctor.centre_id
    return centres[0].id


async def catalogue(uow: UnitOfWork, actor: Actor) -> list[RewardLine]:
    """Every reward of the operator's centre (offered or not) with its voucher counts."""
    async with uow:
        centre = await _centre(uow, actor)
        counts = await uow.rewards.voucher_counts(centre)
        lines = []
        for reward in await uow.rewards.rewards(centre):
            mine = {s: counts.get((reward.id, s), 0) for s in VoucherStatus}
            lines.append(
                RewardLine(
                    reward=reward,
                    issued=sum(mine.values()),
                    active=mine[VoucherStatus.ACTIVE],
                    redeemed=mine[VoucherStatus.REDEEMED],
                )
            )
        return lines


async def edit_reward(
    uow: UnitOfWork,
    actor: Actor,
    reward_id: int,
    *,
    name_zh: str,
    name_en: str,
    cost: int,
    stock: int,
    valid_days: int,
) -> None:
    """Changes a reward's names, cost, stock and validity (and offers it again). Vouchers
    already issued keep the cost they were bought at."""
    async with uow:
        centre_id = await _centre(uow, actor)
        reward = await uow.points.reward(reward_id)
        if reward is None or reward.centre_id != centre_id:
            raise NotFound("reward_not_found")
        centre = next(c for c in await uow.centres.list() if c.id == centre_id)
    try:
        spec = Catalogue(
            centre=centre.code,
            rewards=(
                RewardSpec(
                    code=reward.code,
                    name={"zh-CN": " ".join(name_zh.split()), "en": " ".join(name_en.split())},
                    cost=cost,
                    stock=stock,
                    valid_days=valid_days,
                ),
            ),
        )
    except ValidationError as error:
        fields = sorted({str(e["loc"][-1]) for e in error.errors() if e["loc"]})
        raise InvalidInput("reward_invalid", fields=", ".join(fields)) from None
    await points.load_catalogue(uow, spec)


async def set_offered(uow: UnitOfWork, actor: Actor, reward_id: int, offered: bool) -> None:
    """Takes a reward out of the catalogue residents see (or puts it back); its vouchers stay."""
    async with uow:
        await uow.begin_write()
        centre_id = await _centre(uow, actor)
        reward = await uow.points.reward(reward_id)
        if reward is None or reward.centre_id != centre_id:
            raise NotFound("reward_not_found")
        await uow.points.update_reward(reward_id, active=offered)
        await uow.commit()


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone)


async def vouchers(
    uow: UnitOfWork, actor: Actor, query: VoucherQuery, zone: ZoneInfo, page: int = 0
) -> VoucherPage:
    """The centre's vouchers, newest first, filtered by status, reward and issue dates."""
    wanted = VoucherFilter(
        status=query.status,
        reward_id=query.reward_id,
        issued_from=_start_of(query.issued_from, zone) if query.issued_from else None,
        issued_before=(
            _start_of(query.issued_to + timedelta(days=1), zone) if query.issued_to else None
        ),
    )
    async with uow:
        centre = await _centre(uow, actor)
        found, total = await uow.rewards.vouchers(
            centre, wanted, limit=PAGE_SIZE, offset=max(page, 0) * PAGE_SIZE
        )
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return VoucherPage(vouchers=tuple(found), total=total, page=max(page, 0), pages=pages)
