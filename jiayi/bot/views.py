"""Screens shown from more than one place: (text, keyboard) pairs in the current locale."""

from __future__ import annotations

from datetime import date

from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from jiayi.bot import keyboards
from jiayi.bot.labels import conditions_text, language_label, relation_label, sex_label
from jiayi.content.localized import localized
from jiayi.content.render import Renderer
from jiayi.services.doctors import DoctorPage, DoctorRecord
from jiayi.services.family import FamilyMemberRecord
from jiayi.services.residents import ProfileView, ResidentRecord

Screen = tuple[str, InlineKeyboardMarkup]
# A screen sent with the persistent reply keyboard instead of buttons under the message.
Home = tuple[str, ReplyKeyboardMarkup]


def doctor_name(doctor: DoctorRecord | None, locale: str) -> str | None:
    if doctor is None:
        return None
    centre = localized(doctor, "centre_name", locale)
    return f"{doctor.display_name} · {centre}"


def main_menu(renderer: Renderer, locale: str, resident: ResidentRecord | None) -> Screen:
    name = resident.display_name if resident else ""
    return renderer.render("menu", locale, name=name), keyboards.main_menu()


def home(renderer: Renderer, locale: str, resident: ResidentRecord) -> Home:
    """An onboarded resident's home: a greeting above the reply keyboard (keyboards.home)."""
    text = renderer.render("home", locale, name=resident.display_name, more=_("More"))
    return text, keyboards.home()


def onboarded(
    renderer: Renderer, locale: str, doctor: DoctorRecord | None, *, home: bool
) -> Screen | Home:
    """Sign-up done: with the reply keyboard, or (`home` False, for a doctor) the menu."""
    # Where "My profile" and "My family" are: behind "More", or in the menu itself.
    more = _("More") if home else _("Main menu")
    text = renderer.render(
        "onboarded", locale, doctor=doctor_name(doctor, locale), more=more, home=home
    )
    if home:
        return text, keyboards.home()
    return text, keyboards.main_menu()


def profile(renderer: Renderer, locale: str, view: ProfileView, today: date) -> Screen:
    r = view.resident
    text = renderer.render(
        "profile",
        locale,
        name=r.display_name,
        birth_year=r.birth_year,
        age=today.year - r.birth_year if r.birth_year else None,
        sex=sex_label(r.sex),
        conditions=conditions_text(r.conditions),
        language=language_label(r.locale),
        doctor=doctor_name(view.doctor, locale),
        contract_ends=view.contract.ends_on if view.contract else None,
        family_count=view.family_count,
    )
    return text, keyboards.profile()


def doctor_list(renderer: Renderer, locale: str, page: DoctorPage, *, onboarding: bool) -> Screen:
    text = renderer.render("doctors", locale, count=len(page.doctors), onboarding=onboarding)
    return text, keyboards.doctors(page, allow_later=onboarding, locale=locale)


def family(renderer: Renderer, locale: str, members: list[FamilyMemberRecord]) -> Screen:
    rows = [
        {"name": m.display_name, "relation": relation_label(m.relation), "born": m.birth_date}
        for m in members
    ]
    return renderer.render("family", locale, members=rows), keyboards.family(members)


def member(renderer: Renderer, locale: str, m: FamilyMemberRecord) -> Screen:
    text = renderer.render(
        "member",
        locale,
        name=m.display_name,
        relation=relation_label(m.relation),
        born=m.birth_date,
        sex=sex_label(m.sex),
        conditions=conditions_text(m.conditions),
        guardian=m.consent_basis.value == "guardian",
        consent_recorded=m.consent_recorded_at,
    )
    return text, keyboards.member(m.id)
