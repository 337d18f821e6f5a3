"""Inline keyboards. Labels come from the catalog; callback data from bot.callbacks."""

from __future__ import annotations

from collections.abc import Iterable

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from services.doctors import DoctorPage
from services.family import FamilyMemberRecord, Relation
from services.residents import Condition, Sex

from bot.callbacks import (
    CancelCD,
    ConditionsDoneCD,
    ConditionToggleCD,
    ConsentCD,
    DoctorLaterCD,
    DoctorPageCD,
    DoctorPickCD,
    FamilyAction,
    FamilyCD,
    Lang,
    LangPickCD,
    MemberConsentCD,
    MemberEditCD,
    MemberField,
    MenuCD,
    MenuItem,
    ProfileEditCD,
    ProfileField,
    RelationPickCD,
    SexPickCD,
)
from bot.labels import condition_label, language_label, relation_label, sex_label

CHECK = "✅ "


def languages() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for lang in Lang:
        kb.button(text=language_label(lang.value), callback_data=LangPickCD(lang=lang))
    return kb.adjust(2).as_markup()


def consent() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("I agree"), callback_data=ConsentCD(agree=True))
    kb.button(text=_("I don't agree"), callback_data=ConsentCD(agree=False))
    return kb.adjust(1).as_markup()


def sexes(*, cancel: bool = False) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for sex in Sex:
        kb.button(text=sex_label(sex), callback_data=SexPickCD(sex=sex))
    if cancel:
        kb.button(text=_("Cancel"), callback_data=CancelCD())
    return kb.adjust(2, 1).as_markup()


def conditions(selected: Iterable[Condition], *, cancel: bool = False) -> InlineKeyboardMarkup:
    chosen = set(selected)
    kb = InlineKeyboardBuilder()
    for condition in Condition:
        mark = CHECK if condition in chosen else ""
        kb.button(
            text=mark + condition_label(condition),
            callback_data=ConditionToggleCD(condition=condition),
        )
    kb.button(text=_("None of these"), callback_data=ConditionsDoneCD(none=True))
    kb.button(text=_("Done"), callback_data=ConditionsDoneCD())
    rows = [2, 2, 2]
    if cancel:
        kb.button(text=_("Cancel"), callback_data=CancelCD())
        rows.append(1)
    return kb.adjust(*rows).as_markup()


def doctors(page: DoctorPage, *, allow_later: bool, locale: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for doctor in page.doctors:
        centre = doctor.centre_name if locale == "zh-CN" else doctor.centre_name_en
        kb.button(
            text=f"{doctor.display_name} · {centre}",
            callback_data=DoctorPickCD(doctor_id=doctor.id),
        )
    nav = 0
    if page.page > 0:
        kb.button(text=_("« Previous"), callback_data=DoctorPageCD(page=page.page - 1))
        nav += 1
    if page.page + 1 < page.pages:
        kb.button(text=_("Next »"), callback_data=DoctorPageCD(page=page.page + 1))
        nav += 1
    tail = []
    if allow_later:
        kb.button(text=_("Choose later"), callback_data=DoctorLaterCD())
        tail.append(1)
    else:
        kb.button(text=_("Cancel"), callback_data=CancelCD())
        tail.append(1)
    sizes = [1] * len(page.doctors) + ([nav] if nav else []) + tail
    return kb.adjust(*sizes).as_markup()


def switch_doctor(doctor_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Yes, switch"), callback_data=DoctorPickCD(doctor_id=doctor_id))
    kb.button(text=_("No, keep my doctor"), callback_data=CancelCD())
    return kb.adjust(1).as_markup()


def main_menu() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("My profile"), callback_data=MenuCD(item=MenuItem.PROFILE))
    kb.button(text=_("My family"), callback_data=MenuCD(item=MenuItem.FAMILY))
    kb.button(text=_("Language"), callback_data=MenuCD(item=MenuItem.LANGUAGE))
    kb.button(text=_("Help"), callback_data=MenuCD(item=MenuItem.HELP))
    return kb.adjust(2).as_markup()


def back_to_menu() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Main menu"), callback_data=MenuCD(item=MenuItem.MENU))
    return kb.as_markup()


def profile() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    labels = {
        ProfileField.NAME: _("Edit name"),
        ProfileField.BIRTH_YEAR: _("Edit birth year"),
        ProfileField.SEX: _("Edit sex"),
        ProfileField.CONDITIONS: _("Edit conditions"),
        ProfileField.LANGUAGE: _("Language"),
        ProfileField.DOCTOR: _("Change family doctor"),
    }
    for field, label in labels.items():
        kb.button(text=label, callback_data=ProfileEditCD(field=field))
    kb.button(text=_("Main menu"), callback_data=MenuCD(item=MenuItem.MENU))
    return kb.adjust(2, 2, 2, 1).as_markup()


def cancel() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Cancel"), callback_data=CancelCD())
    return kb.as_markup()


def family(members: list[FamilyMemberRecord]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for member in members:
        kb.button(
            text=member.display_name,
            callback_data=FamilyCD(action=FamilyAction.OPEN, member_id=member.id),
        )
    kb.button(text=_("Add a family member"), callback_data=FamilyCD(action=FamilyAction.ADD))
    kb.button(text=_("Main menu"), callback_data=MenuCD(item=MenuItem.MENU))
    return kb.adjust(1).as_markup()


def relations() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for relation in Relation:
        kb.button(text=relation_label(relation), callback_data=RelationPickCD(relation=relation))
    kb.button(text=_("Cancel"), callback_data=CancelCD())
    return kb.adjust(3, 1).as_markup()


def member_consent() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("I confirm"), callback_data=MemberConsentCD(agree=True))
    kb.button(text=_("Cancel"), callback_data=MemberConsentCD(agree=False))
    return kb.adjust(1).as_markup()


def member(member_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    labels = {
        MemberField.NAME: _("Edit name"),
        MemberField.BIRTH_DATE: _("Edit birth date"),
        MemberField.SEX: _("Edit sex"),
        MemberField.CONDITIONS: _("Edit conditions"),
    }
    for field, label in labels.items():
        kb.button(text=label, callback_data=MemberEditCD(member_id=member_id, field=field))
    kb.button(
        text=_("Remove"), callback_data=FamilyCD(action=FamilyAction.REMOVE, member_id=member_id)
    )
    kb.button(text=_("Back to family"), callback_data=FamilyCD(action=FamilyAction.LIST))
    return kb.adjust(2, 2, 1, 1).as_markup()


def confirm_remove(member_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=_("Yes, remove"),
        callback_data=FamilyCD(action=FamilyAction.REMOVE_CONFIRM, member_id=member_id),
    )
    kb.button(
        text=_("No, keep"), callback_data=FamilyCD(action=FamilyAction.OPEN, member_id=member_id)
    )
    return kb.adjust(1).as_markup()
