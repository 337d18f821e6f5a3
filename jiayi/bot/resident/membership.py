"""Telegram's own notice that a user blocked or unblocked the bot (my_chat_member)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import KICKED, MEMBER, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated

from jiayi.services import residents
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork


async def on_blocked(event: ChatMemberUpdated, uow: UnitOfWork, clock: Clock) -> None:
    # No reply: a blocked user can't receive one. Pushes stop until they come back.
    await residents.set_reachable(uow, clock, event.from_user.id, reachable=False)


async def on_unblocked(event: ChatMemberUpdated, uow: UnitOfWork, clock: Clock) -> None:
    await residents.set_reachable(uow, clock, event.from_user.id, reachable=True)


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.my_chat_member.register(
        on_blocked, ChatMemberUpdatedFilter(member_status_changed=KICKED)
    )
    router.my_chat_member.register(
        on_unblocked, ChatMemberUpdatedFilter(member_status_changed=MEMBER)
    )
    return router
