"""/privacy: the resident's consent and family members' bases, giving, renewing and
withdrawing consent."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, Update
from aiogram.utils.i18n import gettext as _

from jiayi.bot import views
from jiayi.bot.aiogram_shim import InlineKeyboardBuilder
from jiayi.bot.callbacks import MenuCD, MenuItem, PrivacyAction, PrivacyCD, TakeoverLinkCD
from jiayi.bot.errors import log_refusal
from jiayi.bot.labels import error_text, relation_label
from jiayi.bot.replies import edit
from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.content.render import Renderer
from jiayi.services import privacy
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.errors import DomainError
from jiayi.services.family import FamilyMemberRecord
from jiayi.services.privacy import ConsentStatus
from jiayi.services.residents import ResidentRecord
from jiayi.services.settings import Settings


def privacy_cd(action: PrivacyAction) -> PrivacyCD:
    return PrivacyCD(action=action)


def _basis_label(member: FamilyMemberRecord) -> str:
    if member.consent_basis.value == "guardian":
        return _("consent as parent or guardian")
    return _("managed at their request")


def _by_label(member: FamilyMemberRecord, resident: ResidentRecord) -> str:
    if member.consented_by_resident_id == resident.id:
        return _("you")
    return _("another account")


def member_rows(
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
        kb.button(
            text=_("Read the notice and agree"), callback_data=privacy_cd(PrivacyAction.NOTICE)
        )
    else:
        kb.button(text=_("Read the notice"), callback_data=privacy_cd(PrivacyAction.NOTICE))
    kb.button(text=_("Get my data"), callback_data=privacy_cd(PrivacyAction.EXPORT))
    for member in overview.members:
        if member.consent_basis.value != "guardian":
            kb.button(
                text=_("Let {name} use jiayi themselves").format(name=member.display_name),
                callback_data=TakeoverLinkCD(member_id=member.id),
            )
    if overview.status is not ConsentStatus.WITHDRAWN:
        kb.button(text=_("Withdraw consent"), callback_data=privacy_cd(PrivacyAction.WITHDRAW))
    kb.button(text=_("Delete all my data"), callback_data=privacy_cd(PrivacyAction.FORGET))
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
        members=member_rows(r, overview.members, zone),
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
        kb.button(text=_("I agree"), callback_data=privacy_cd(PrivacyAction.AGREE))
    kb.button(text=_("Back"), callback_data=privacy_cd(PrivacyAction.OPEN))
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
    kb.button(
        text=_("Yes, withdraw my consent"), callback_data=privacy_cd(PrivacyAction.WITHDRAW_YES)
    )
    kb.button(text=_("Back"), callback_data=privacy_cd(PrivacyAction.OPEN))
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
    kb.button(text=_("Give consent again"), callback_data=privacy_cd(PrivacyAction.NOTICE))
    kb.button(text=_("Delete all my data"), callback_data=privacy_cd(PrivacyAction.FORGET))
    await edit(
        callback,
        _("Your consent is withdrawn. jiayi will send you nothing more."),
        kb.adjust(1).as_markup(),
    )
