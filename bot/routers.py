"""All routers, in the order they are tried. Catch-alls come last."""

from __future__ import annotations

from aiogram import Router

from bot import errors, fallback
from bot.resident import conditions, family, menu, onboarding, profile


def get_routers() -> list[Router]:
    return [
        errors.router,
        onboarding.router,
        menu.router,
        profile.router,
        family.router,
        conditions.router,
        fallback.router,
    ]
