"""The broadcast being written: one frozen value, kept in the FSM data between steps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from jiayi.bot.replies import send
from jiayi.services import console
from jiayi.services.broadcasts import Draft
from jiayi.services.console import Actor
from jiayi.services.database import UnitOfWork
from jiayi.services.settings import Settings

DRAFT = "broadcast"
MAX_SPREAD_HOURS = 24


@dataclass(frozen=True, slots=True)
class BroadcastDraft:
    """What the doctor has chosen so far. FSM storage may be Redis, so it is stored as a plain
    dict (`to_dict`); the keys are those drafts had before this class, so a draft being
    written across a deploy survives it."""

    texts: Mapping[str, str]  # locale → body; one or both languages
    photo: str | None = None  # Telegram file id
    segments: tuple[str, ...] = ()
    spread_hours: int = 0
    starts_at: datetime | None = None  # None: send now

    def to_dict(self) -> dict[str, Any]:
        return {
            "texts": dict(self.texts),
            "photo": self.photo,
            "segments": list(self.segments),
            "spread": self.spread_hours,
            "starts_at": self.starts_at.isoformat() if self.starts_at else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BroadcastDraft:
        starts = data.get("starts_at")
        return cls(
            texts={str(k): str(v) for k, v in dict(data["texts"]).items()},
            photo=data.get("photo"),
            segments=tuple(data.get("segments") or ()),
            spread_hours=int(data.get("spread") or 0),
            starts_at=datetime.fromisoformat(starts) if starts else None,
        )

    def with_text(self, locale: str, body: str) -> BroadcastDraft:
        return replace(self, texts={**self.texts, locale: body})

    def toggled(self, segment: str) -> BroadcastDraft:
        """The segment chosen, or no longer chosen; the order of choosing is kept."""
        if segment in self.segments:
            return replace(self, segments=tuple(s for s in self.segments if s != segment))
        return replace(self, segments=(*self.segments, segment))

    def spread_over(self, hours: int) -> BroadcastDraft:
        return replace(self, spread_hours=max(0, min(hours, MAX_SPREAD_HOURS)))

    def starting(self, at: datetime) -> BroadcastDraft:
        return replace(self, starts_at=at)

    @property
    def spread(self) -> timedelta:
        return timedelta(hours=self.spread_hours)

    def for_service(self) -> Draft:
        return Draft(
            texts=dict(self.texts),
            segments=self.segments,
            photo_file_id=self.photo,
            spread=self.spread,
        )


async def load(state: FSMContext) -> BroadcastDraft | None:
    data = (await state.get_data()).get(DRAFT)
    return BroadcastDraft.from_dict(data) if isinstance(data, dict) else None


async def save(state: FSMContext, draft: BroadcastDraft) -> None:
    await state.update_data({DRAFT: draft.to_dict()})


def stale() -> str:
    return _("That button is no longer active.")


async def drafting(
    callback: CallbackQuery, state: FSMContext, uow: UnitOfWork, settings: Settings
) -> tuple[Actor, BroadcastDraft] | None:
    """The guard every button of the draft goes through: the doctor role first (a forged
    button from a resident is refused before the conversation's data is read), then the
    draft. A button left from a finished or abandoned draft is answered as stale (None)."""
    actor = await console.actor(uow, settings, callback.from_user.id)
    draft = await load(state)
    if draft is None:
        await send(callback, stale())
        return None
    return actor, draft
