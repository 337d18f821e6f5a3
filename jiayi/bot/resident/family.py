"""/family: the children and elderly parents a resident manages (family-unit signing)."""

from __future__ import annotations

from datetime import date

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from jiayi.bot import keyboards, views
from jiayi.bot.callbacks import (
    ConditionsDoneCD,
    FamilyAction,
    FamilyCD,
    MemberConsentCD,
    MemberEditCD,
    MemberField,
    MenuCD,
    MenuItem,
    RelationPickCD,
    SexPickCD,
)
from jiayi.bot.labels import relation_label
from jiayi.bot.replies import answer_saved, drop_buttons, edit, send
from jiayi.bot.resident import vaccine_record
from jiayi.bot.resident.conditions import CONDITIONS, OFFERED
from jiayi.bot.resident.onboarding import chosen_conditions
from jiayi.bot.states import FamilyAdd, FamilyEdit
from jiayi.content.render import Renderer, html_format
from jiayi.services import family
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.errors import ErrorCode, InvalidInput
from jiayi.services.family import NewMember, Relation
from jiayi.services.residents import Condition, Sex, parse_display_name
from jiayi.services.settings import Settings

MEMBER_ID = "member_id"


def _today(clock: Clock, settings: Settings) -> date:
    return clock.now().astimezone(settings.zone).date()


async def _list_screen(
    uow: UnitOfWork, renderer: Renderer, locale: str, user_id: int
) -> views.Screen:
    members = await family.list_members(uow, user_id)
    return views.family(renderer, locale, members)


async def cmd_family(
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
    text, markup = await _list_screen(uow, renderer, locale, message.from_user.id)
    await message.answer(text, reply_markup=markup)
    await vaccine_record.prompt_pending(message, uow, clock, renderer, locale, settings)


async def cb_family_list(
    callback: CallbackQuery, state: FSMContext, uow: UnitOfWork, renderer: Renderer, locale: str
) -> None:
    await state.clear()
    text, markup = await _list_screen(uow, renderer, locale, callback.from_user.id)
    await edit(callback, text, markup)


async def cb_member_open(
    callback: CallbackQuery,
    callback_data: FamilyCD,
    state: FSMContext,
    uow: UnitOfWork,
    renderer: Renderer,
    locale: str,
) -> None:
    await state.clear()
    member = await family.get_member(uow, callback.from_user.id, callback_data.member_id)
    text, markup = views.member(renderer, locale, member)
    await edit(callback, text, markup)


# --- adding a member --------------------------------------------------------------------------


async def cb_member_add(callback: CallbackQuery, state: FSMContext, uow: UnitOfWork) -> None:
    # Fail early, before questions, if the user has not signed up.
    await family.list_members(uow, callback.from_user.id)
    await state.clear()
    await state.set_state(FamilyAdd.relation)
    await send(callback, _("Who would you like to add?"), keyboards.relations())


async def cb_member_relation(
    callback: CallbackQuery, callback_data: RelationPickCD, state: FSMContext
) -> None:
    await state.update_data({"relation": callback_data.relation.value})
    await state.set_state(FamilyAdd.name)
    await edit(
        callback,
        _("{relation}: what name should we use for them?").format(
            relation=relation_label(callback_data.relation)
        ),
        keyboards.cancel(),
    )


async def on_member_name(message: Message, state: FSMContext) -> None:
    assert message.text is not None
    name = parse_display_name(message.text)
    await state.update_data({"name": name})
    await state.set_state(FamilyAdd.birth_date)
    await message.answer(
        _("Their date of birth? For example: 2021-03-05"), reply_markup=keyboards.cancel()
    )


async def on_member_birth_date(
    message: Message, state: FSMContext, clock: Clock, settings: Settings
) -> None:
    assert message.text is not None
    born = family.parse_birth_date(message.text, _today(clock, settings))
    await state.update_data({"birth_date": born.isoformat()})
    await state.set_state(FamilyAdd.sex)
    await message.answer(_("Their sex?"), reply_markup=keyboards.sexes(cancel=True))


def member_conditions_prompt(name: str) -> str:
    """The conditions question about a family member, naming them."""
    return html_format(
        _(
            "Does {name} have any of these? Tap all that apply, then “Done”.\n"
            "This helps the doctor send advice that fits them."
        ),
        name=name,
    )


async def cb_member_sex(
    callback: CallbackQuery,
    callback_data: SexPickCD,
    state: FSMContext,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    data = await state.get_data()
    born = date.fromisoformat(data["birth_date"])
    offered = family.conditions_for(born, callback_data.sex, _today(clock, settings))
    await state.update_data(
        {"sex": callback_data.sex.value, CONDITIONS: [], OFFERED: [c.value for c in offered]}
    )
    if not offered:  # a child: none of the conditions asked about fits, so no question
        await _ask_member_consent(callback, state, renderer, locale)
        return
    await state.set_state(FamilyAdd.conditions)
    await edit(
        callback,
        member_conditions_prompt(data["name"]),
        keyboards.conditions((), cancel=True, offered=offered),
    )


async def cb_member_conditions(
    callback: CallbackQuery,
    callback_data: ConditionsDoneCD,
    state: FSMContext,
    renderer: Renderer,
    locale: str,
) -> None:
    chosen = await chosen_conditions(state, callback_data)
    data = await state.get_data()
    if Condition.PREGNANT in chosen and data.get("sex") == Sex.MALE.value:
        raise InvalidInput(ErrorCode.PREGNANT_MALE)
    await state.update_data({CONDITIONS: sorted(chosen)})
    await _ask_member_consent(callback, state, renderer, locale)


async def _ask_member_consent(
    callback: CallbackQuery, state: FSMContext, renderer: Renderer, locale: str
) -> None:
    data = await state.get_data()
    await state.set_state(FamilyAdd.consent)
    relation = Relation(data["relation"])
    text = renderer.render(
        "member_consent", locale, name=data["name"], child=relation is Relation.CHILD
    )
    await edit(callback, text, keyboards.member_consent())


async def cb_member_consent(
    callback: CallbackQuery,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    data = await state.get_data()
    new = NewMember(
        relation=Relation(data["relation"]),
        display_name=data["name"],
        birth_date=date.fromisoformat(data["birth_date"]),
        sex=Sex(data["sex"]),
        conditions=frozenset(Condition(c) for c in data.get(CONDITIONS, [])),
    )
    saved = await family.add_member(uow, clock, callback.from_user.id, new, zone=settings.zone)
    await state.clear()
    await drop_buttons(callback)
    text, markup = await _list_screen(uow, renderer, locale, callback.from_user.id)
    added = html_format(_("Added {name}."), name=saved.display_name)
    await send(callback, added + "\n\n" + text, markup)
    # A child's vaccination record comes first: no overdue reminders before it is answered.
    await vaccine_record.offer(callback, uow, clock, renderer, locale, settings, saved.id)


async def cb_member_consent_declined(callback: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await edit(callback, _("Nothing was saved."), keyboards.back_to_menu())


# --- editing and removing --------------------------------------------------------------------


async def cb_member_edit(
    callback: CallbackQuery,
    callback_data: MemberEditCD,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
) -> None:
    # Checks ownership before asking anything.
    member = await family.get_member(uow, callback.from_user.id, callback_data.member_id)
    await state.clear()
    await state.update_data({MEMBER_ID: member.id})
    field = callback_data.field
    if field is MemberField.NAME:
        await state.set_state(FamilyEdit.name)
        await send(callback, _("Send the new name."), keyboards.cancel())
    elif field is MemberField.BIRTH_DATE:
        await state.set_state(FamilyEdit.birth_date)
        await send(callback, _("Their date of birth? For example: 2021-03-05"), keyboards.cancel())
    elif field is MemberField.SEX:
        await state.set_state(FamilyEdit.sex)
        await send(callback, _("Their sex?"), keyboards.sexes(cancel=True))
    else:
        offered = family.conditions_for(member.birth_date, member.sex, _today(clock, settings))
        await state.set_state(FamilyEdit.conditions)
        await state.update_data(
            {CONDITIONS: sorted(member.conditions), OFFERED: [c.value for c in offered]}
        )
        await send(
            callback,
            member_conditions_prompt(member.display_name),
            keyboards.conditions(member.conditions, cancel=True, offered=offered),
        )


async def _member_saved(
    target: Message | CallbackQuery,
    state: FSMContext,
    member: family.FamilyMemberRecord,
    renderer: Renderer,
    locale: str,
) -> None:
    await state.clear()
    text, markup = views.member(renderer, locale, member)
    await answer_saved(target, text, markup)


async def on_member_edit_text(
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
    member_id = int((await state.get_data())[MEMBER_ID])
    if await state.get_state() == FamilyEdit.name.state:
        member = await family.update_member(
            uow, clock, message.from_user.id, member_id, display_name=message.text
        )
    else:
        born = family.parse_birth_date(message.text, _today(clock, settings))
        member = await family.update_member(
            uow, clock, message.from_user.id, member_id, birth_date=born, zone=settings.zone
        )
    await _member_saved(message, state, member, renderer, locale)


async def cb_member_edit_sex(
    callback: CallbackQuery,
    callback_data: SexPickCD,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
) -> None:
    member_id = int((await state.get_data())[MEMBER_ID])
    member = await family.update_member(
        uow, clock, callback.from_user.id, member_id, sex=callback_data.sex
    )
    await _member_saved(callback, state, member, renderer, locale)


async def cb_member_edit_conditions(
    callback: CallbackQuery,
    callback_data: ConditionsDoneCD,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
) -> None:
    member_id = int((await state.get_data())[MEMBER_ID])
    chosen = await chosen_conditions(state, callback_data)
    member = await family.update_member(
        uow, clock, callback.from_user.id, member_id, conditions=chosen
    )
    await _member_saved(callback, state, member, renderer, locale)


async def cb_member_remove(
    callback: CallbackQuery, callback_data: FamilyCD, state: FSMContext, uow: UnitOfWork
) -> None:
    member = await family.get_member(uow, callback.from_user.id, callback_data.member_id)
    await state.clear()
    await edit(
        callback,
        html_format(
            _("Remove {name} and everything recorded about them?"), name=member.display_name
        ),
        keyboards.confirm_remove(member.id),
    )


async def cb_member_remove_confirm(
    callback: CallbackQuery,
    callback_data: FamilyCD,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
) -> None:
    removed = await family.remove_member(
        uow, clock, callback.from_user.id, callback_data.member_id
    )
    done = html_format(_("Removed {name}."), name=removed.name)
    if removed.bookings_cancelled:
        done += " " + _("Their upcoming bookings were cancelled: {count}.").format(
            count=removed.bookings_cancelled
        )
    text, markup = await _list_screen(uow, renderer, locale, callback.from_user.id)
    await edit(callback, done + "\n\n" + text, markup)


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(cmd_family, Command("family"))
    router.callback_query.register(cb_family_list, MenuCD.filter(F.item == MenuItem.FAMILY))
    router.callback_query.register(cb_family_list, FamilyCD.filter(F.action == FamilyAction.LIST))
    router.callback_query.register(cb_member_open, FamilyCD.filter(F.action == FamilyAction.OPEN))
    router.callback_query.register(cb_member_add, FamilyCD.filter(F.action == FamilyAction.ADD))
    router.callback_query.register(cb_member_relation, FamilyAdd.relation, RelationPickCD.filter())
    router.message.register(on_member_name, FamilyAdd.name, F.text)
    router.message.register(on_member_birth_date, FamilyAdd.birth_date, F.text)
    router.callback_query.register(cb_member_sex, FamilyAdd.sex, SexPickCD.filter())
    router.callback_query.register(
        cb_member_conditions, FamilyAdd.conditions, ConditionsDoneCD.filter()
    )
    router.callback_query.register(
        cb_member_consent, FamilyAdd.consent, MemberConsentCD.filter(F.agree)
    )
    router.callback_query.register(
        cb_member_consent_declined, FamilyAdd.consent, MemberConsentCD.filter(~F.agree)
    )
    router.callback_query.register(cb_member_edit, MemberEditCD.filter())
    router.message.register(on_member_edit_text, FamilyEdit.name, F.text)
    router.message.register(on_member_edit_text, FamilyEdit.birth_date, F.text)
    router.callback_query.register(cb_member_edit_sex, FamilyEdit.sex, SexPickCD.filter())
    router.callback_query.register(
        cb_member_edit_conditions, FamilyEdit.conditions, ConditionsDoneCD.filter()
    )
    router.callback_query.register(
        cb_member_remove, FamilyCD.filter(F.action == FamilyAction.REMOVE)
    )
    router.callback_query.register(
        cb_member_remove_confirm, FamilyCD.filter(F.action == FamilyAction.REMOVE_CONFIRM)
    )
    return router
