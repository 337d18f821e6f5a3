"""/privacy, /mydata, /forget, a family member's take-over link, and the consent gate."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import BaseMiddleware, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardRemove,
    TelegramObject,
    Update,
)
from aiogram.utils.i18n import gettext as _

from jiayi.bot import keyboards, views
from jiayi.bot.aiogram_shim import InlineKeyboardBuilder
from jiayi.bot.callbacks import (
    MenuCD,
    MenuItem,
    PrivacyAction,
    PrivacyCD,
    TakeoverConsentCD,
    TakeoverLinkCD,
)
from jiayi.bot.doctor.gate import doctor_at_work
from jiayi.bot.errors import log_refusal
from jiayi.bot.labels import conditions_text, error_text, relation_label, sex_label
from jiayi.bot.middlewares import LOCALE_KEY
from jiayi.bot.replies import drop_buttons, edit, send
from jiayi.bot.resident.menu import home_screen
from jiayi.bot.resident.readings import send_household_charts
from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.content.render import Renderer, html_format
from jiayi.services import family, privacy
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.errors import DomainError, ErrorCode, NotRegistered
from jiayi.services.family import FamilyMemberRecord
from jiayi.services.privacy import ConsentStatus, DataExport
from jiayi.services.residents import ResidentRecord
from jiayi.services.settings import Settings

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
TOKEN_KEY = "takeover_token"

# What a resident whose consent is withdrawn or outdated can still do: read and manage their
# data rights and get help. Doctors' own work (not about their data) passes through
# bot.doctor.gate.doctor_at_work.
OPEN_COMMANDS = frozenset({"privacy", "mydata", "forget", "help", "cancel"})
OPEN_CALLBACK_PREFIXES = ("priv:", "tkoyes:", "cancel")


class Takeover(StatesGroup):
    consent = State()


def _cd(action: PrivacyAction) -> PrivacyCD:
    return PrivacyCD(action=action)


def _basis_label(member: FamilyMemberRecord) -> str:
    if member.consent_basis.value == "guardian":
        return _("consent as parent or guardian")
    return _("managed at their request")


def _by_label(member: FamilyMemberRecord, resident: ResidentRecord) -> str:
    if member.consented_by_resident_id == resident.id:
        return _("you")
    return _("another account")


def _members(
    resident: ResidentRecord, members: tuple[FamilyMemberRecord, ...], zone: ZoneInfo
) -> list[dict[str, object]]:
    return [
        {
            "name": m.display_name,
            "relation": relation_label(m.relation),
            "born": m.birth_date,
            "basis": _basis_label(m),
            "by": _by_label(m, resident),
            "recorded": m.consent_recorded_at.astimezone(zone),
        }
        for m in members
    ]


def _overview_keyboard(overview: privacy.PrivacyOverview) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    if overview.status is not ConsentStatus.CURRENT:
        kb.button(text=_("Read the notice and agree"), callback_data=_cd(PrivacyAction.NOTICE))
    else:
        kb.button(text=_("Read the notice"), callback_data=_cd(PrivacyAction.NOTICE))
    kb.button(text=_("Get my data"), callback_data=_cd(PrivacyAction.EXPORT))
    for member in overview.members:
        if member.consent_basis.value != "guardian":
            kb.button(
                text=_("Let {name} use jiayi themselves").format(name=member.display_name),
                callback_data=TakeoverLinkCD(member_id=member.id),
            )
    if overview.status is not ConsentStatus.WITHDRAWN:
        kb.button(text=_("Withdraw consent"), callback_data=_cd(PrivacyAction.WITHDRAW))
    kb.button(text=_("Delete all my data"), callback_data=_cd(PrivacyAction.FORGET))
    kb.button(text=_("Main menu"), callback_data=MenuCD(item=MenuItem.MENU))
    return kb.adjust(1).as_markup()


async def _overview(
    uow: UnitOfWork, renderer: Renderer, locale: str, user_id: int, zone: ZoneInfo
) -> tuple[str, InlineKeyboardMarkup]:
    overview = await privacy.privacy_overview(uow, user_id)
    r = overview.resident
    text = renderer.render(
        "privacy",
        locale,
        status=overview.status.value,
        version=r.consent_version,
        current_version=overview.current_version,
        # Dates as the resident lives them: 07:30 in Beijing is still "yesterday" in UTC.
        consented_on=r.consented_at.astimezone(zone),
        withdrawn_on=r.consent_withdrawn_at.astimezone(zone) if r.consent_withdrawn_at else None,
        members=_members(r, overview.members, zone),
    )
    return text, _overview_keyboard(overview)


async def cmd_privacy(
    message: Message,
    state: FSMContext,
    uow: UnitOfWork,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    await state.clear()
    assert message.from_user is not None
    text, markup = await _overview(uow, renderer, locale, message.from_user.id, settings.zone)
    await message.answer(text, reply_markup=markup)


async def cb_privacy_open(
    callback: CallbackQuery,
    uow: UnitOfWork,
    renderer: Renderer,
    locale: str,
    settings: Settings,
    event_update: Update,
) -> None:
    try:
        text, markup = await _overview(uow, renderer, locale, callback.from_user.id, settings.zone)
    except DomainError as error:
        log_refusal(event_update, error)
        await edit(callback, error_text(error), None)
        return
    await edit(callback, text, markup)


async def cb_privacy_notice(
    callback: CallbackQuery, renderer: Renderer, locale: str, resident: ResidentRecord | None
) -> None:
    kb = InlineKeyboardBuilder()
    if resident is not None and privacy.consent_status(resident) is not ConsentStatus.CURRENT:
        kb.button(text=_("I agree"), callback_data=_cd(PrivacyAction.AGREE))
    kb.button(text=_("Back"), callback_data=_cd(PrivacyAction.OPEN))
    text = renderer.render("consent", locale, version=CONSENT_NOTICE_VERSION)
    await edit(callback, text, kb.adjust(1).as_markup())


async def cb_privacy_agree(
    callback: CallbackQuery,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    event_update: Update,
) -> None:
    try:
        resident = await privacy.give_consent(
            uow, clock, callback.from_user.id, CONSENT_NOTICE_VERSION
        )
    except DomainError as error:
        log_refusal(event_update, error)
        await edit(callback, error_text(error), None)
        return
    text, markup = views.main_menu(renderer, locale, resident)
    thanks = _("Thank you. Your consent to privacy notice {version} is recorded.").format(
        version=CONSENT_NOTICE_VERSION
    )
    await edit(callback, thanks + "\n\n" + text, markup)


async def cb_privacy_withdraw(callback: CallbackQuery) -> None:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Yes, withdraw my consent"), callback_data=_cd(PrivacyAction.WITHDRAW_YES))
    kb.button(text=_("Back"), callback_data=_cd(PrivacyAction.OPEN))
    await edit(
        callback,
        _(
            "Withdraw your consent?\n\n"
            "jiayi will stop sending you and your family anything at once, including "
            "appointment reminders, and will use your data for nothing new. "
            "Your appointments stay booked and your data is kept until you delete it. "
            "You can give consent again at any time."
        ),
        kb.adjust(1).as_markup(),
    )


async def cb_privacy_withdraw_yes(
    callback: CallbackQuery, uow: UnitOfWork, clock: Clock, event_update: Update
) -> None:
    try:
        await privacy.withdraw_consent(uow, clock, callback.from_user.id)
    except DomainError as error:
        log_refusal(event_update, error)
        await edit(callback, error_text(error), None)
        return
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Give consent again"), callback_data=_cd(PrivacyAction.NOTICE))
    kb.button(text=_("Delete all my data"), callback_data=_cd(PrivacyAction.FORGET))
    await edit(
        callback,
        _("Your consent is withdrawn. jiayi will send you nothing more."),
        kb.adjust(1).as_markup(),
    )


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
        members=_members(r, export.subject.members, zone),
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


# --- /forget ----------------------------------------------------------------------------


def _forget_question(*, from_privacy: bool) -> tuple[str, InlineKeyboardMarkup]:
    """`from_privacy`: asked from the privacy screen, so "No" goes back there; after /forget
    typed, "No" says nothing was deleted, with the way to the main menu."""
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Yes, delete everything"), callback_data=_cd(PrivacyAction.FORGET_YES))
    back = PrivacyAction.OPEN if from_privacy else PrivacyAction.KEEP
    kb.button(text=_("No, keep my data"), callback_data=_cd(back))
    text = _(
        "Delete all your data?\n\n"
        "Your profile, your family members, your appointments (upcoming ones are cancelled), "
        "waiting-list places and all messages will be deleted for good. "
        "The centre keeps only anonymous counts. This can't be undone.\n\n"
        "Tip: send /mydata first to keep a copy."
    )
    return text, kb.adjust(1).as_markup()


async def cmd_forget(message: Message, state: FSMContext, resident: ResidentRecord | None) -> None:
    await state.clear()
    if resident is None:
        raise NotRegistered()
    text, markup = _forget_question(from_privacy=False)
    await message.answer(text, reply_markup=markup)


async def cb_privacy_forget(callback: CallbackQuery) -> None:
    text, markup = _forget_question(from_privacy=True)
    await edit(callback, text, markup)


async def cb_privacy_keep(callback: CallbackQuery) -> None:
    await edit(callback, _("Nothing was deleted. Your data is kept."), keyboards.back_to_menu())


async def cb_privacy_forget_yes(
    callback: CallbackQuery, state: FSMContext, uow: UnitOfWork, clock: Clock, event_update: Update
) -> None:
    try:
        await privacy.erase_my_data(uow, clock, callback.from_user.id)
    except DomainError as error:
        log_refusal(event_update, error)
        await edit(callback, error_text(error), None)
        return
    await state.clear()
    await drop_buttons(callback)
    # A new message, not an edit: only a sent message can take the reply keyboard away.
    assert callback.bot is not None
    await callback.bot.send_message(
        callback.from_user.id,
        _(
            "All your data and your family members' data has been deleted. "
            "Goodbye — if you ever want to come back, send /start."
        ),
        reply_markup=ReplyKeyboardRemove(),
    )


# --- a family member takes over their own account ----------------------------------------


async def cb_takeover_link(
    callback: CallbackQuery, callback_data: TakeoverLinkCD, uow: UnitOfWork, clock: Clock
) -> None:
    member = await family.get_member(uow, callback.from_user.id, callback_data.member_id)
    token = await privacy.create_takeover(
        uow, clock, callback.from_user.id, callback_data.member_id
    )
    assert callback.bot is not None
    me = await callback.bot.me()
    link = f"https://t.me/{me.username}?start={privacy.TAKEOVER_PREFIX}{token}"
    await send(
        callback,
        html_format(
            _(
                "Send this link to {name}. When they open it in their own Telegram and agree to "
                "the privacy notice, they get their own account with their appointments, and "
                "leave your family list. The link works once, for {days} days:\n{link}"
            ),
            name=member.display_name,
            days=privacy.TAKEOVER_TTL.days,
            link=link,
        ),
    )


async def cmd_start_takeover(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    resident: ResidentRecord | None,
) -> None:
    await state.clear()
    token = (command.args or "").removeprefix(privacy.TAKEOVER_PREFIX)
    if resident is not None:
        raise DomainError(ErrorCode.TAKEOVER_ALREADY_RESIDENT)
    member = await privacy.takeover_member(uow, clock, token)
    await state.set_state(Takeover.consent)
    await state.update_data({TOKEN_KEY: token, LOCALE_KEY: locale})
    kb = InlineKeyboardBuilder()
    kb.button(text=_("I agree"), callback_data=TakeoverConsentCD(agree=True))
    kb.button(text=_("I don't agree"), callback_data=TakeoverConsentCD(agree=False))
    greeting = html_format(
        _(
            "Hello {name}! A family member has been managing your health reminders in jiayi. "
            "You can now have your own account."
        ),
        name=member.display_name,
    )
    notice = renderer.render("consent", locale, version=CONSENT_NOTICE_VERSION)
    await message.answer(greeting + "\n\n" + notice, reply_markup=kb.adjust(1).as_markup())


async def cb_takeover_consent(
    callback: CallbackQuery,
    callback_data: TakeoverConsentCD,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
    renderer: Renderer,
    locale: str,
) -> None:
    data = await state.get_data()
    await state.clear()
    await drop_buttons(callback)
    if not callback_data.agree:
        await send(callback, _("Nothing has changed. Your family member still manages your care."))
        return
    resident = await privacy.accept_takeover(
        uow,
        clock,
        token=str(data.get(TOKEN_KEY, "")),
        telegram_user_id=callback.from_user.id,
        locale=locale,
        notice_version=CONSENT_NOTICE_VERSION,
    )
    text, markup = await home_screen(
        uow, settings, renderer, locale, resident, callback.from_user.id
    )
    welcome = _("Welcome! This is now your own account, with your appointments.")
    assert callback.bot is not None
    await callback.bot.send_message(
        callback.from_user.id, welcome + "\n\n" + text, reply_markup=markup
    )


# --- the consent gate ---------------------------------------------------------------------


def _is_open(event: TelegramObject) -> bool:
    if isinstance(event, Message):
        text = (event.text or "").strip()
        if not text.startswith("/"):
            return False
        command = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower()
        if command == "start":
            # Only the takeover deep link: `/start tko_<token>`, the prefix opening the payload.
            parts = text.split(maxsplit=1)
            return len(parts) == 2 and parts[1].startswith(privacy.TAKEOVER_PREFIX)
        return command in OPEN_COMMANDS
    if isinstance(event, CallbackQuery):
        return (event.data or "").startswith(OPEN_CALLBACK_PREFIXES)
    return True


class ConsentGate(BaseMiddleware):
    """A signed-up resident whose consent is withdrawn or older than the notice in force is
    asked for consent before any feature uses their data; data-rights commands stay open."""

    def __init__(self, renderer: Renderer) -> None:
        self._renderer = renderer

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        resident: ResidentRecord | None = data.get("resident")
        if resident is None or resident.onboarded_at is None or _is_open(event):
            return await handler(event, data)
        status = privacy.consent_status(resident)
        if status is ConsentStatus.CURRENT or await doctor_at_work(event, data):
            return await handler(event, data)
        locale = str(data.get(LOCALE_KEY) or resident.locale)
        if status is ConsentStatus.WITHDRAWN:
            intro = _(
                "You have withdrawn your consent, so jiayi can't use your data for this. "
                "To continue, please agree to the privacy notice again."
            )
        else:
            intro = _("Our privacy notice has changed. Please read it and agree to continue.")
        notice = self._renderer.render("consent", locale, version=CONSENT_NOTICE_VERSION)
        kb = InlineKeyboardBuilder()
        kb.button(text=_("I agree"), callback_data=_cd(PrivacyAction.AGREE))
        kb.button(text=_("Privacy settings"), callback_data=_cd(PrivacyAction.OPEN))
        markup = kb.adjust(1).as_markup()
        if isinstance(event, CallbackQuery):
            await event.answer()
            await send(event, intro + "\n\n" + notice, markup)
        elif isinstance(event, Message):
            await event.answer(intro + "\n\n" + notice, reply_markup=markup)
        return None


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(
        cmd_start_takeover,
        CommandStart(deep_link=True, magic=F.args.startswith(privacy.TAKEOVER_PREFIX)),
    )
    router.message.register(cmd_privacy, Command("privacy"))
    router.message.register(cmd_mydata, Command("mydata"))
    router.message.register(cmd_forget, Command("forget"))
    on = PrivacyCD.filter
    router.callback_query.register(cb_privacy_open, on(F.action == PrivacyAction.OPEN))
    router.callback_query.register(cb_privacy_notice, on(F.action == PrivacyAction.NOTICE))
    router.callback_query.register(cb_privacy_agree, on(F.action == PrivacyAction.AGREE))
    router.callback_query.register(cb_privacy_withdraw, on(F.action == PrivacyAction.WITHDRAW))
    router.callback_query.register(
        cb_privacy_withdraw_yes, on(F.action == PrivacyAction.WITHDRAW_YES)
    )
    router.callback_query.register(cb_privacy_export, on(F.action == PrivacyAction.EXPORT))
    router.callback_query.register(cb_privacy_forget, on(F.action == PrivacyAction.FORGET))
    router.callback_query.register(cb_privacy_forget_yes, on(F.action == PrivacyAction.FORGET_YES))
    router.callback_query.register(cb_privacy_keep, on(F.action == PrivacyAction.KEEP))
    router.callback_query.register(cb_takeover_link, TakeoverLinkCD.filter())
    router.callback_query.register(
        cb_takeover_consent, Takeover.consent, TakeoverConsentCD.filter()
    )
    return router
