"""Sign-up: /start → language → consent → birth year → sex → conditions → family doctor → menu."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import BotCommandScopeChat, CallbackQuery, Message, ReplyKeyboardRemove, Update
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from jiayi.bot import keyboards, labels, views
from jiayi.bot.callbacks import (
    ConditionsDoneCD,
    ConsentCD,
    DoctorLaterCD,
    DoctorPickCD,
    LangPickCD,
    RosterMatchCD,
    SexPickCD,
)
from jiayi.bot.commands import doctor_commands
from jiayi.bot.errors import log_refusal
from jiayi.bot.labels import error_text
from jiayi.bot.middlewares import LOCALE_KEY
from jiayi.bot.replies import drop_buttons, edit, send
from jiayi.bot.resident.menu import home_screen
from jiayi.bot.states import Onboarding, ProfileEdit
from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.content.render import Renderer, html_format
from jiayi.services import console, doctors, residents, roster
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.errors import DomainError
from jiayi.services.residents import Condition, ResidentRecord
from jiayi.services.settings import Settings

LINKED_DOCTOR = "linked_doctor_id"
CONDITIONS = "conditions"
# The roster entry offered after the resident shared their own phone number (kept in the
# conversation state, never in a button's data, so a forged button can't claim another).
ROSTER_ENTRY = "roster_entry_id"
PHONE_OFFERED = "phone_offered"


async def cmd_start_invite(
    message: Message,
    command: CommandObject,
    uow: UnitOfWork,
    clock: Clock,
    state: FSMContext,
    locale: str,
) -> None:
    await state.clear()
    payload = doctors.parse_start_payload(command.args)
    assert message.from_user is not None
    doctor = await doctors.accept_invite(
        uow, clock, token=payload.value, telegram_user_id=message.from_user.id, locale=locale
    )
    if message.bot is not None:
        # Doctors get their own commands in Telegram's menu, in this chat only.
        await message.bot.set_my_commands(
            doctor_commands(), scope=BotCommandScopeChat(chat_id=message.chat.id)
        )
    me = await message.bot.me() if message.bot else None
    link = (
        f"https://t.me/{me.username}?start={doctors.LINK_PREFIX}{doctor.link_code}" if me else ""
    )
    await message.answer(
        html_format(
            _(
                "Welcome, {name}. You are now registered as a family doctor.\n"
                "Residents who open this link are offered you as their family doctor:\n{link}"
            ),
            name=doctor.display_name,
            link=link,
        )
    )


async def cmd_start(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    uow: UnitOfWork,
    settings: Settings,
    renderer: Renderer,
    locale: str,
    resident: ResidentRecord | None,
) -> None:
    payload = doctors.parse_start_payload(command.args)
    linked = None
    if payload.kind == "doctor":
        linked = await doctors.doctor_by_link(uow, payload.value)
        if linked is None:
            await message.answer(
                _(
                    "That doctor link isn't valid any more. "
                    "You can choose your family doctor later."
                )
            )
    await state.clear()
    if resident is not None and resident.onboarded_at is not None:
        await _welcome_back(message, state, uow, settings, renderer, locale, resident, linked)
        return
    await state.update_data({LOCALE_KEY: locale, LINKED_DOCTOR: linked.id if linked else None})
    if resident is not None:
        # Consent given earlier but sign-up unfinished: carry on with the profile.
        await message.answer(
            _(
                "Welcome back! Let's finish your profile.\n"
                "What year were you born? For example: 1960"
            ),
            reply_markup=keyboards.cancel(),
        )
        await state.set_state(Onboarding.birth_year)
        return
    await message.answer(renderer.render("welcome", locale), reply_markup=keyboards.languages())
    await state.set_state(Onboarding.language)


async def _welcome_back(
    message: Message,
    state: FSMContext,
    uow: UnitOfWork,
    settings: Settings,
    renderer: Renderer,
    locale: str,
    resident: ResidentRecord,
    linked: doctors.DoctorRecord | None,
) -> None:
    if linked is not None:
        profile = await residents.get_profile(uow, resident.telegram_user_id)
        if profile.doctor is None or profile.doctor.id != linked.id:
            await message.answer(
                html_format(
                    _("Make {doctor} your family doctor?"),
                    doctor=views.doctor_name(linked, locale),
                ),
                reply_markup=keyboards.switch_doctor(linked.id),
            )
            await state.set_state(ProfileEdit.doctor)
            return
        await message.answer(
            html_format(
                _("{doctor} is already your family doctor."),
                doctor=views.doctor_name(linked, locale),
            )
        )
    assert message.from_user is not None
    text, markup = await home_screen(
        uow, settings, renderer, locale, resident, message.from_user.id
    )
    await message.answer(_("Welcome back!") + "\n\n" + text, reply_markup=markup)


async def cb_language_pick(
    callback: CallbackQuery,
    callback_data: LangPickCD,
    state: FSMContext,
    renderer: Renderer,
    i18n: I18n,
) -> None:
    locale = callback_data.lang.value
    await state.update_data({LOCALE_KEY: locale})
    await state.set_state(Onboarding.consent)
    with i18n.use_locale(locale):
        text = renderer.render("consent", locale, version=CONSENT_NOTICE_VERSION)
        await edit(callback, text, keyboards.consent())


async def cb_consent_agree(
    callback: CallbackQuery,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    locale: str,
) -> None:
    user = callback.from_user
    name = " ".join(filter(None, [user.first_name, user.last_name]))
    await residents.register(
        uow,
        clock,
        telegram_user_id=user.id,
        display_name=name,
        locale=locale,
        notice_version=CONSENT_NOTICE_VERSION,
    )
    await state.set_state(Onboarding.birth_year)
    await state.update_data({PHONE_OFFERED: True})
    await drop_buttons(callback)
    assert callback.bot is not None
    # Optional: a resident the centre already lists (its contract system's roster) is found
    # by the number Telegram vouches for; typing the year skips it.
    await callback.bot.send_message(
        user.id,
        _(
            "If you have signed a family-doctor contract with the centre, share your phone "
            "number and we will look up your record. This is optional."
        ),
        reply_markup=keyboards.share_phone(),
    )
    await send(
        callback,
        _("Thank you. What year were you born? For example: 1960"),
        keyboards.cancel(),
    )


async def _drop_phone_keyboard(message: Message, state: FSMContext, text: str) -> None:
    """Takes the share-phone keyboard away (a reply keyboard stays until a message removes
    it) with a short message of its own."""
    if (await state.get_data()).get(PHONE_OFFERED):
        await state.update_data({PHONE_OFFERED: False})
        await message.answer(text, reply_markup=ReplyKeyboardRemove())


async def on_phone_skip(message: Message, state: FSMContext) -> None:
    await _drop_phone_keyboard(message, state, _("OK, no phone number."))
    await message.answer(_("What year were you born? For example: 1960"))


async def on_contact(
    message: Message, state: FSMContext, uow: UnitOfWork, event_update: Update
) -> None:
    assert message.from_user is not None
    assert message.contact is not None
    try:
        match = await roster.offer_for_contact(
            uow,
            message.from_user.id,
            contact_user_id=message.contact.user_id,
            phone=message.contact.phone_number,
        )
    except DomainError as error:
        log_refusal(event_update, error)
        await message.answer(error_text(error), reply_markup=keyboards.share_phone())
        return
    await _drop_phone_keyboard(message, state, _("Thank you."))
    if match is None:
        await message.answer(
            _(
                "We found no record of the centre with this number; that's fine. "
                "What year were you born? For example: 1960"
            )
        )
        return
    await state.update_data({ROSTER_ENTRY: match.entry_id})
    record = labels.conditions_text(match.conditions)
    if match.doctor_name is not None:
        text = html_format(
            _("Your family doctor is {doctor}; our record lists {conditions} — is that right?"),
            doctor=match.doctor_name,
            conditions=record,
        )
    else:
        text = html_format(
            _("The centre's record for this number lists {conditions} — is that right?"),
            conditions=record,
        )
    await message.answer(text, reply_markup=keyboards.roster_match())


async def cb_roster_match(
    callback: CallbackQuery,
    callback_data: RosterMatchCD,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
    event_update: Update,
) -> None:
    entry_id = (await state.get_data()).get(ROSTER_ENTRY)
    await state.update_data({ROSTER_ENTRY: None})
    await drop_buttons(callback)
    if not callback_data.yes or entry_id is None:
        await send(
            callback,
            _("Nothing was linked. What year were you born? For example: 1960"),
            keyboards.cancel(),
        )
        return
    try:
        match = await roster.confirm_match(
            uow, clock, settings.zone, callback.from_user.id, int(entry_id)
        )
    except DomainError as error:
        log_refusal(event_update, error)
        await send(callback, error_text(error))
        await send(callback, _("What year were you born? For example: 1960"))
        return
    doctor = None
    profile = await residents.get_profile(uow, callback.from_user.id)
    if match.doctor_name is not None:
        doctor = profile.doctor
    await _finish(callback, state, uow, clock, settings, renderer, locale, doctor)


async def cb_consent_decline(
    callback: CallbackQuery,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
) -> None:
    await residents.record_refusal(
        uow, clock, notice_version=CONSENT_NOTICE_VERSION, locale=locale
    )
    await state.clear()
    await drop_buttons(callback)
    await send(callback, renderer.render("declined", locale))


async def on_birth_year(
    message: Message, state: FSMContext, uow: UnitOfWork, clock: Clock
) -> None:
    assert message.from_user is not None
    assert message.text is not None
    await residents.set_birth_year(uow, clock, message.from_user.id, message.text)
    await _drop_phone_keyboard(message, state, _("Thank you."))
    await message.answer(_("What is your sex?"), reply_markup=keyboards.sexes(cancel=True))
    await state.set_state(Onboarding.sex)


async def cb_sex_pick(
    callback: CallbackQuery,
    callback_data: SexPickCD,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
) -> None:
    await residents.set_sex(uow, clock, callback.from_user.id, callback_data.sex)
    await state.set_state(Onboarding.conditions)
    await state.update_data({CONDITIONS: []})
    await edit(callback, conditions_prompt(), keyboards.conditions((), cancel=True))


def conditions_prompt() -> str:
    return _(
        "Do any of these apply to you? Tap all that apply, then “Done”.\n"
        "This helps your doctor send advice that fits you."
    )


async def cb_conditions_done(
    callback: CallbackQuery,
    callback_data: ConditionsDoneCD,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
    event_update: Update,
) -> None:
    chosen = await chosen_conditions(state, callback_data)
    await residents.set_conditions(uow, clock, callback.from_user.id, chosen)
    await drop_buttons(callback)
    linked_id = (await state.get_data()).get(LINKED_DOCTOR)
    if linked_id is not None:
        try:
            doctor = await residents.choose_doctor(
                uow, clock, callback.from_user.id, linked_id, settings.zone
            )
        except DomainError as error:
            log_refusal(event_update, error)
            await send(callback, error_text(error))
        else:
            await _finish(callback, state, uow, clock, settings, renderer, locale, doctor)
            return
    await state.set_state(Onboarding.doctor)
    page = await doctors.list_doctors(uow)
    text, markup = views.doctor_list(renderer, locale, page, onboarding=True)
    await send(callback, text, markup)


async def chosen_conditions(state: FSMContext, done: ConditionsDoneCD) -> list[Condition]:
    if done.none:
        return []
    return [Condition(c) for c in (await state.get_data()).get(CONDITIONS, [])]


async def cb_doctor_pick(
    callback: CallbackQuery,
    callback_data: DoctorPickCD,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    doctor = await residents.choose_doctor(
        uow, clock, callback.from_user.id, callback_data.doctor_id, settings.zone
    )
    await drop_buttons(callback)
    await _finish(callback, state, uow, clock, settings, renderer, locale, doctor)


async def cb_doctor_later(
    callback: CallbackQuery,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
    renderer: Renderer,
    locale: str,
) -> None:
    await drop_buttons(callback)
    await _finish(callback, state, uow, clock, settings, renderer, locale, None)


async def _finish(
    callback: CallbackQuery,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
    renderer: Renderer,
    locale: str,
    doctor: doctors.DoctorRecord | None,
) -> None:
    await residents.complete_onboarding(uow, clock, callback.from_user.id)
    await state.clear()
    home = not await console.is_doctor_or_admin(uow, settings, callback.from_user.id)
    text, markup = views.onboarded(renderer, locale, doctor, home=home)
    assert callback.bot is not None
    await callback.bot.send_message(callback.from_user.id, text, reply_markup=markup)


def _is_skip(text: str) -> bool:
    # The keyboard is in the resident's language, but they may have switched since.
    return text.strip() in {keyboards.skip_label(), "Skip", "跳过"}


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(
        cmd_start_invite,
        CommandStart(deep_link=True, magic=F.args.startswith(doctors.INVITE_PREFIX)),
    )
    router.message.register(cmd_start, CommandStart())
    router.callback_query.register(cb_language_pick, Onboarding.language, LangPickCD.filter())
    router.callback_query.register(cb_consent_agree, Onboarding.consent, ConsentCD.filter(F.agree))
    router.callback_query.register(
        cb_consent_decline, Onboarding.consent, ConsentCD.filter(~F.agree)
    )
    router.message.register(on_contact, Onboarding.birth_year, F.contact)
    router.message.register(on_phone_skip, Onboarding.birth_year, F.text.func(_is_skip))
    router.callback_query.register(cb_roster_match, Onboarding.birth_year, RosterMatchCD.filter())
    router.message.register(on_birth_year, Onboarding.birth_year, F.text)
    router.callback_query.register(cb_sex_pick, Onboarding.sex, SexPickCD.filter())
    router.callback_query.register(
        cb_conditions_done, Onboarding.conditions, ConditionsDoneCD.filter()
    )
    router.callback_query.register(cb_doctor_pick, Onboarding.doctor, DoctorPickCD.filter())
    router.callback_query.register(cb_doctor_later, Onboarding.doctor, DoctorLaterCD.filter())
    return router
