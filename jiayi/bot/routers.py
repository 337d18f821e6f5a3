"""All routers, in the order they are tried. Catch-alls come last."""

from __future__ import annotations

from aiogram import Router

from jiayi.bot import errors, fallback, safety
from jiayi.bot.doctor import appointments as doctor_appointments
from jiayi.bot.doctor import broadcast as doctor_broadcast
from jiayi.bot.doctor import careplan as doctor_careplan
from jiayi.bot.doctor import composing as doctor_composing
from jiayi.bot.doctor import home as doctor_home
from jiayi.bot.doctor import points as doctor_points
from jiayi.bot.doctor import questions as doctor_questions
from jiayi.bot.doctor import readings as doctor_readings
from jiayi.bot.doctor import residents as doctor_residents
from jiayi.bot.doctor import webconsole as doctor_webconsole
from jiayi.bot.resident import (
    booking,
    conditions,
    family,
    membership,
    menu,
    onboarding,
    plan,
    profile,
    questions,
    readings,
    tips,
    vaccine_record,
)
from jiayi.bot.resident import points as resident_points
from jiayi.bot.resident import privacy as privacy_rights


def get_routers() -> list[Router]:
    return [
        errors.build_router(),
        # Before everything else: a red flag typed anywhere is answered first (bot/safety.py).
        safety.build_router(),
        membership.build_router(),
        # Before every command: a command typed while writing to residents is not sent.
        doctor_composing.build_router(),
        # Before onboarding: its /start takes every deep link not claimed earlier.
        privacy_rights.build_router(),
        onboarding.build_router(),
        menu.build_router(),
        profile.build_router(),
        family.build_router(),
        vaccine_record.build_router(),
        tips.build_router(),
        booking.build_router(),
        doctor_appointments.build_router(),
        doctor_home.build_router(),
        plan.build_router(),
        readings.build_router(),
        doctor_careplan.build_router(),
        doctor_readings.build_router(),
        resident_points.build_router(),
        doctor_points.build_router(),
        doctor_broadcast.build_router(),
        doctor_residents.build_router(),
        doctor_questions.build_router(),
        doctor_webconsole.build_router(),
        questions.build_router(),
        conditions.build_router(),
        fallback.build_router(),
    ]
