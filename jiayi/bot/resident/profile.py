"""/profile: view and edit every field the resident gave, and their family doctor."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from jiayi.bot import keyboards, views
from jiayi.bot.callbacks import (
    ConditionsDoneCD,
    DoctorPageCD,
    DoctorPickCD,
    LangPickCD,
    MenuCD,
    MenuItem,
    ProfileEditCD,
    ProfileField,
    SexPickCD,
)
from jiayi.bot.labels import language_label
from jiayi.bot.replies import answer_saved, edit, send
from jiayi.bot.resident.conditions import CONDITIONS
from jiayi.bot.resident.onboarding import chosen_conditions, conditions_prompt
from jiayi.bot.states import Onboarding, ProfileEdit
from jiayi.content.render import Renderer
from jiayi.services import doctors, pregnancy, residents
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.errors import NotRegistered
from jiayi.services.settings import Settings


async def _profile_screen(
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
    user_id: int,
) -> views.Screen:
    view = await residents.get_profile(uow, user_id)
    return views.profile(renderer, locale, view, clock.now().astimezone(settings.zone).date())


async def cmd_profile(
    message: Message,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    assert message.from_user is not None
    await state.clear()
    text, markup = await _profile_screen(
        uow, clock, renderer, locale, settings, message.from_user.id
    )
    await message.answer(text, reply_markup=markup)


async def cb_profile_open(
    callback: CallbackQuery,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    await state.clear()
    text, markup = await _profile_screen(
        uow, clock, renderer, locale, settings, callback.from_user.id
    )
    await edit(callback, text, markup)


async def cb_profile_edit(
    callback: CallbackQuery,
    callback_data: ProfileEditCD,
    state: FSMContext,
    uow: UnitOfWork,
    renderer: Renderer,
    locale: str,
) -> None:
    resident = await residents.get_resident(uow, callback.from_user.id)
    if resident is None:
        raise NotRegistered()
    field = callback_data.field
    if field is ProfileField.NAME:
        await send(callback, _("Send the name you'd like us to use."), keyboards.cancel())
        await state.set_state(ProfileEdit.name)
    elif field is ProfileField.BIRTH_YEAR:
        await send(callback, _("What year were you born? For example: 1960"), keyboards.cancel())
        await state.set_state(ProfileEdit.birth_year)
    elif field is ProfileField.SEX:
        await send(callback, _("What is your sex?"), keyboards.sexes(cancel=True))
        await state.set_state(ProfileEdit.sex)
    elif field is ProfileField.CONDITIONS:
        await state.set_state(ProfileEdit.conditions)
        await state.update_data({CONDITIONS: sorted(resident.conditions)})
        await send(
            callback, conditions_prompt(), keyboards.conditions(resident.conditions, cancel=True)
        )
    elif field is ProfileField.LANGUAGE:
        await send(callback, _("Choose your language:"), keyboards.languages(cancel=True))
        await state.set_state(ProfileEdit.language)
    else:
        await state.set_state(ProfileEdit.doctor)
        page = await doctors.list_doctors(uow)
        text, markup = views.doctor_list(renderer, locale, page, onboarding=False)
        await send(callback, text, markup)


async def _saved(
    target: Message | CallbackQuery,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    await state.clear()
    user_id = target.from_user.id if target.from_user else 0
    text, markup = await _profile_screen(uow, clock, renderer, locale, settings, user_id)
    await answer_saved(target, text, markup)


async def on_profile_text(
    message: Message,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    """A typed answer to "new name" or "birth year"; the state says which."""
    assert message.from_user is not None
    assert message.text is not None
    setter = (
        residents.set_display_name
        if await state.get_state() == ProfileEdit.name.state
        else residents.set_birth_year
    )
    await setter(uow, clock, message.from_user.id, message.text)
    await _saved(message, state, uow, clock, renderer, locale, settings)


async def cb_profile_sex(
    callback: CallbackQuery,
    callback_data: SexPickCD,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    await residents.set_sex(uow, clock, callback.from_user.id, callback_data.sex)
    await _saved(callback, state, uow, clock, renderer, locale, settings)


async def cb_profile_conditions(
    callback: CallbackQuery,
    callback_data: ConditionsDoneCD,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    chosen = await chosen_conditions(state, callback_data)
    saved = await residents.set_conditions(uow, clock, callback.from_user.id, chosen)
    if pregnancy.wants_due_date(saved):
        # Pregnancy tips follow the stage, which needs the expected date (it ends by itself).
        await state.set_state(ProfileEdit.pregnancy_due)
        await send(
            callback,
            _(
                "When is your baby due? Send the expected date, for example 2027-05-20. "
                "Pregnancy tips follow the stage, and postpartum tips the year after."
            ),
            keyboards.cancel(),
        )
        return
    await _saved(callback, state, uow, clock, renderer, locale, settings)


async def on_pregnancy_due(
    message: Message,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    assert message.from_user is not None
    assert message.text is not None
    due, stage = await pregnancy.set_due_date(
        uow, clock, settings.zone, message.from_user.id, message.text
    )
    if stage is pregnancy.PregnancyStage.PREGNANT:
        note = _("Expected date {date}: you will receive tips for pregnancy.")
    elif stage is pregnancy.PregnancyStage.POSTPARTUM:
        note = _("Expected date {date}: you will receive tips for the year after the birth.")
    else:
        note = _("Expected date {date} saved.")
    await message.answer(note.format(date=renderer.day_text(due, locale)))
    await _saved(message, state, uow, clock, renderer, locale, settings)


async def cb_profile_doctor(
    callback: CallbackQuery,
    callback_data: DoctorPickCD,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    await residents.choose_doctor(
        uow, clock, callback.from_user.id, callback_data.doctor_id, settings.zone
    )
    await _saved(callback, state, uow, clock, renderer, locale, settings)


async def cb_doctor_page(
    callback: CallbackQuery,
    callback_data: DoctorPageCD,
    state: FSMContext,
    uow: UnitOfWork,
    renderer: Renderer,
    locale: str,
) -> None:
    page = await doctors.list_doctors(uow, callback_data.page)
    onboarding = await state.get_state() == Onboarding.doctor.state
    text, markup = views.doctor_list(renderer, locale, page, onboarding=onboarding)
    await edit(callback, text, markup)


async def cmd_language(message: Message, state: FSMContext, locale: str) -> None:
    await state.clear()
    await message.answer(_("Choose your language:"), reply_markup=keyboards.languages(cancel=True))
    await state.set_state(ProfileEdit.language)


async def cb_language_open(callback: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await edit(callback, _("Choose your language:"), keyboards.languages(cancel=True))
    await state.set_state(ProfileEdit.language)


async def cb_language_set(
    callback: CallbackQuery,
    callback_data: LangPickCD,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    i18n: I18n,
) -> None:
    locale = callback_data.lang.value
    await residents.set_locale(uow, clock, callback.from_user.id, locale)
    await state.clear()
    resident = await residents.get_resident(uow, callback.from_user.id)
    with i18n.use_locale(locale):
        text, markup = views.main_menu(renderer, locale, resident)
        done = _("Language set: {language}").format(language=language_label(locale))
        await edit(callback, done + "\n\n" + text, markup)


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(cmd_profile, Command("profile"))
    router.callback_query.register(cb_profile_open, MenuCD.filter(F.item == MenuItem.PROFILE))
    router.callback_query.register(cb_profile_edit, ProfileEditCD.filter())
    router.message.register(on_profile_text, ProfileEdit.name, F.text)
    router.message.register(on_profile_text, ProfileEdit.birth_year, F.text)
    router.message.register(on_pregnancy_due, ProfileEdit.pregnancy_due, F.text)
    router.callback_query.register(cb_profile_sex, ProfileEdit.sex, SexPickCD.filter())
    router.callback_query.register(
        cb_profile_conditions, ProfileEdit.conditions, ConditionsDoneCD.filter()
    )
    router.callback_query.register(cb_profile_doctor, ProfileEdit.doctor, DoctorPickCD.filter())
    router.callback_query.register(
        cb_doctor_page, StateFilter(ProfileEdit.doctor, Onboarding.doctor), DoctorPageCD.filter()
    )
    router.message.register(cmd_language, Command("language"))
    router.callback_query.register(cb_language_open, MenuCD.filter(F.item == MenuItem.LANGUAGE))
    router.callback_query.register(cb_language_set, ProfileEdit.language, LangPickCD.filter())
    return router
