"""What the booking screens share: dates in the centre's zone and the appointment card."""

from __future__ import annotations

from datetime import date, datetime

from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from jiayi.bot import booking_keyboards as kb
from jiayi.bot import keyboards
from jiayi.bot.replies import drop_buttons, send
from jiayi.content.localized import localized
from jiayi.content.render import Renderer
from jiayi.services import readings
from jiayi.services.booking import AppointmentRecord
from jiayi.services.clock import Clock
from jiayi.services.settings import Settings


def _member(member_id: int) -> int | None:
    return member_id or None


def _local(instant: datetime, settings: Settings) -> datetime:
    return instant.astimezone(settings.zone)


def _today(clock: Clock, settings: Settings) -> date:
    return clock.now().astimezone(settings.zone).date()


def _card(
    renderer: Renderer, locale: str, settings: Settings, appt: AppointmentRecord, template: str
) -> str:
    return renderer.render(
        template,
        locale,
        service=kb.service_name(appt, locale),
        person=appt.person_name,
        starts_at=_local(appt.starts_at, settings),
        centre=localized(appt, "centre_name", locale),
        doctor=appt.doctor_name,
        code=appt.check_in_code,
        status=appt.status.value,
        phone=appt.centre_phone,
        address=appt.centre_address,
    )


async def _send_booked(
    callback: CallbackQuery,
    renderer: Renderer,
    locale: str,
    settings: Settings,
    appt: AppointmentRecord,
) -> None:
    """The answered question loses its buttons; the new appointment's card follows."""
    await drop_buttons(callback)
    await send(
        callback,
        _card(renderer, locale, settings, appt, "booked"),
        kb.appointment(appt.id, appt.status),
    )
    if appt.family_member_id is None and readings.offers_reminder(appt.service_code):
        # A week of home readings before a chronic follow-up is what the doctor will look at.
        await send(
            callback,
            _(
                "Would you like reminders to measure your blood pressure or glucose at home "
                "before the visit?"
            ),
            keyboards.reading_reminder_offer(),
        )
