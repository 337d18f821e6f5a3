"""/mydata: a summary of what jiayi holds, the full export as a file, and the charts."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from jiayi.bot.labels import conditions_text, sex_label
from jiayi.bot.resident.privacy.overview import member_rows
from jiayi.bot.resident.readings import send_household_charts
from jiayi.content.render import Renderer
from jiayi.services import privacy
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.privacy import DataExport
from jiayi.services.settings import Settings

# --- /mydata ----------------------------------------------------------------------------

SECTION_LABELS = {
    "appointments": lambda: _("Appointments"),
    "waiting_list": lambda: _("Waiting-list places"),
    "referrals": lambda: _("Referrals"),
    "messages": lambda: _("Messages sent to you"),
    "tip_feedback": lambda: _("Tip ratings"),
    "contracts": lambda: _("Family-doctor contracts"),
    "care_records": lambda: _("Care-plan history"),
    "care_prescriptions": lambda: _("Long-term prescriptions"),
    "points_balance": lambda: _("Health points balance"),
    "points_ledger": lambda: _("Health points history"),
    "points_lots": lambda: _("Health points and when they expire"),
    "vouchers": lambda: _("Vouchers"),
    "questions": lambda: _("Questions to your doctor"),
    "doctor_access": lambda: _("Times a doctor viewed or acted on your data"),
    "care_vaccine_answers": lambda: _("Vaccinations you told us about"),
    "care_pregnancies": lambda: _("Pregnancy"),
    "home_readings": lambda: _("Home readings"),
    "reading_reminders": lambda: _("Reminders to measure"),
    "roster_record": lambda: _("The centre's contract record"),
}
# Shown in the summary's own layout rather than as a count.
SUMMARY_SECTIONS = frozenset({"profile", "family_members"})


def _summary(renderer: Renderer, locale: str, export: DataExport, zone: ZoneInfo) -> str:
    r = export.subject.resident
    doctor = None
    contracts = export.sections.get("contracts")
    if isinstance(contracts, list):
        open_ones = [c for c in contracts if c.get("ended_at") is None]
        doctor = open_ones[0].get("doctor_name") if open_ones else None
    sections = [
        {
            "label": SECTION_LABELS[name]() if name in SECTION_LABELS else name,
            "count": export.count(name),
        }
        for name in export.sections
        if name not in SUMMARY_SECTIONS
    ]
    return renderer.render(
        "mydata",
        locale,
        generated=export.generated_at.astimezone(zone),
        name=r.display_name,
        birth_year=r.birth_year,
        sex=sex_label(r.sex),
        conditions=conditions_text(r.conditions),
        consent_version=r.consent_version,
        consented_on=r.consented_at.astimezone(zone),
        withdrawn=r.consent_withdrawn_at is not None,
        doctor=doctor,
        members=member_rows(r, export.subject.members, zone),
        sections=sections,
    )


async def _send_export(
    target: Message | CallbackQuery,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    zone: ZoneInfo,
) -> None:
    user_id = target.from_user.id if target.from_user else 0
    export = await privacy.export_my_data(uow, clock, user_id)
    text = _summary(renderer, locale, export, zone)
    day = export.generated_at.astimezone(zone).date()
    document = BufferedInputFile(export.to_json(), filename=f"jiayi-mydata-{day.isoformat()}.json")
    assert target.bot is not None
    await target.bot.send_message(user_id, text)
    await target.bot.send_document(
        user_id, document, caption=_("Everything jiayi holds about you and your family.")
    )
    # Home readings are in the file; the charts show them as the resident saw them.
    await send_household_charts(target.bot, uow, clock, zone, renderer, locale, user_id)


async def cmd_mydata(
    message: Message,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    await _send_export(message, uow, clock, renderer, locale, settings.zone)


async def cb_privacy_export(
    callback: CallbackQuery,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    await _send_export(callback, uow, clock, renderer, locale, settings.zone)
