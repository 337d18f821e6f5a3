"""Translated names of domain values, for buttons and cards."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from jiayi.content.dates import when_words
from jiayi.services.errors import DomainError
from jiayi.services.family import Relation
from jiayi.services.pushes import Action, Topic
from jiayi.services.residents import Condition, Sex


def condition_label(condition: Condition) -> str:
    return {
        Condition.HYPERTENSION: _("Hypertension"),
        Condition.DIABETES: _("Type 2 diabetes"),
        Condition.HYPERLIPIDAEMIA: _("High blood lipids"),
        Condition.PREGNANT: _("Pregnant"),
    }[condition]


def conditions_text(conditions: frozenset[Condition]) -> str:
    if not conditions:
        return _("None")
    return _(", ").join(condition_label(c) for c in Condition if c in conditions)


def sex_label(sex: Sex | None) -> str:
    if sex is None:
        return _("Not given")
    return {Sex.FEMALE: _("Female"), Sex.MALE: _("Male")}[sex]


def relation_label(relation: Relation) -> str:
    return {
        Relation.CHILD: _("Child"),
        Relation.PARENT: _("Parent"),
        Relation.SPOUSE: _("Spouse"),
    }[relation]


def topic_label(topic: Topic) -> str:
    return {
        Topic.SEASONAL: _("Seasonal health"),
        Topic.DIET: _("Diet"),
        Topic.EXERCISE: _("Exercise"),
        Topic.THREE_REDUCTIONS: _("Less oil, salt and sugar"),
        Topic.SMOKING: _("Smoking"),
        Topic.ALCOHOL: _("Alcohol"),
        Topic.IODINE: _("Iodine"),
        Topic.WEIGHT: _("Healthy weight"),
        Topic.VACCINATION: _("Vaccination"),
        Topic.CHRONIC_CARE: _("Chronic disease care"),
        Topic.ELDERLY_CARE: _("Older people's health"),
        Topic.CHILD_HEALTH: _("Children's health"),
        Topic.EPIDEMIC: _("Epidemic prevention"),
        Topic.MENTAL_HEALTH: _("Mental wellbeing"),
    }[topic]


def action_label(action: Action) -> str:
    return {
        Action.ASK_DOCTOR: _("Ask my doctor"),
        Action.BOOK: _("Book"),
        Action.MORE_TIPS: _("More tips"),
    }[action]


def language_label(locale: str) -> str:
    # Each language is named in itself, so anyone can find their own.
    return {"zh-CN": "简体中文", "en": "English"}.get(locale, locale)


def _when_param(params: Mapping[str, Any]) -> str:
    """An error's `at` (local datetime) and `today` (date) in words, in the reader's language."""
    at, today = params.get("at"), params.get("today")
    if not isinstance(at, datetime) or not isinstance(today, date):
        return ""
    return when_words(at, get_i18n().current_locale, today=today)


def error_text(error: DomainError) -> str:
    """A short answer for a rule the user ran into. Unknown codes get a generic line."""
    p = error.params
    texts = {
        "not_registered": _("You haven't signed up yet. Send /start to begin."),
        "not_allowed": _("Sorry, you can't do that."),
        "member_not_yours": _("Sorry, you can't do that."),
        "member_not_found": _("That family member no longer exists."),
        "doctor_not_found": _("That doctor is no longer available. Please choose another."),
        "own_doctor": _("You can't be your own family doctor."),
        "contact_not_yours": _(
            "Please share your own phone number with the button below, not someone else's."
        ),
        "roster_entry_gone": _("That record is no longer available."),
        "consent_needed": _("Please agree to the privacy notice first: send /privacy."),
        "name_empty": _("Please send a name."),
        "name_too_long": _("That name is too long (at most {max} characters).").format(
            max=p.get("max")
        ),
        "birth_year_format": _("Please send a four-digit year, for example 1960."),
        "birth_year_range": _("Please send a year between {low} and {high}.").format(
            low=p.get("low"), high=p.get("high")
        ),
        "birth_date_format": _("Please send the date like 2021-03-05."),
        "birth_date_future": _("A birth date can't be in the future."),
        "birth_date_too_old": _(
            "Please check the date: that is more than {years} years ago."
        ).format(years=p.get("years")),
        "pregnant_male": _("“Pregnant” can't be chosen together with male sex."),
        "due_date_format": _("Please send the expected date like 2027-05-20."),
        "due_date_range": _(
            "Please check the date: it should be within the next 10 months, or the past year."
        ),
        "family_full": _("You can manage at most {max} family members.").format(max=p.get("max")),
        "invite_invalid": _("This invite link is not valid. Ask the centre for a new one."),
        "invite_used": _("This invite link has already been used."),
        "invite_expired": _("This invite link has expired. Ask the centre for a new one."),
        "already_other_doctor": _("This Telegram account already belongs to another doctor."),
        "unknown_locale": _("Please choose one of the languages offered."),
        "tip_not_found": _("That tip is no longer available."),
        "service_not_found": _("That service can't be booked any more."),
        "slot_not_found": _("That time is no longer available. Please choose another."),
        "slot_full": _("Sorry, that time has just filled up. Please choose another time."),
        "slot_closed": _("That time has been closed by the centre. Please choose another."),
        "too_late": _("That time is too soon to book. Please choose a later time."),
        "beyond_horizon": _("That day can't be booked yet. Please choose an earlier day."),
        "already_booked": _(
            "There is already an appointment for this service for that person. "
            "See /appointments to change it."
        ),
        "not_eligible_age": _("This service isn't offered at that person's age."),
        "not_eligible_sex": _("This service is only for women.")
        if p.get("sex") == Sex.FEMALE
        else _("This service is only for men."),
        "referral_required": _(
            "Specialist slots need a referral from your family doctor first. "
            "Please ask your doctor."
        ),
        "appointment_not_found": _("That appointment no longer exists."),
        "cancel_too_late": _(
            "It's too late to change this appointment online (less than {hours} hours to go). "
            "Please call the centre."
        ).format(hours=p.get("hours")),
        "offer_expired": _("Sorry, the hold on that place has run out."),
        "already_waiting": _("You're already on the waiting list for that time."),
        "not_a_doctor": _("This command is for family doctors."),
        "console_not_allowed": _(
            "The centre console is for the centre's staff (the operator and family doctors). "
            "Residents use this chat: see /help."
        ),
        "admin_not_a_doctor": _(
            "Appointment lists and check-in belong to a doctor's centre, and this admin "
            "account isn't a doctor. Bind it to a doctor with an invite "
            "(jiayi doctor invite) to use them."
        ),
        "not_your_centre": _("That appointment belongs to another centre."),
        "appointment_cancelled": _("That appointment was cancelled."),
        "check_in_code_unknown": _("No appointment today has that check-in code."),
        "undo_expired": _(
            "That can no longer be undone: the time to undo has passed or the visit changed since."
        ),
        "quiet_hours": _("Please choose one of the quiet-hour options."),
        "reading_format": _(
            "Please type the numbers only, like 135/85 for blood pressure or 7.2 for glucose."
        ),
        "reading_implausible": _(
            "That value doesn't look right. Please measure again and type the new reading."
        ),
        "reading_in_future": _("That time hasn't come yet today. Please choose an earlier time."),
        "care_item_gone": _("That item is already recorded or has moved on. See /plan."),
        "not_your_resident": _("That resident isn't contracted to you."),
        "prescription_weeks": _("A long-term prescription is 4, 8 or 12 weeks."),
        "takeover_child": _("A child under 14 can't take over their own account yet."),
        "takeover_invalid": _("This link is not valid. Ask your family member for a new one."),
        "takeover_used": _("This link has already been used."),
        "takeover_expired": _("This link has expired. Ask your family member for a new one."),
        "takeover_already_resident": _(
            "This Telegram account already has its own jiayi profile. "
            "Open the link from the account that should take over."
        ),
        # health points
        "points_no_centre": _(
            "Choose a family doctor first: rewards are offered by your doctor's centre."
        ),
        "reward_not_found": _("That reward is no longer offered."),
        "reward_out_of_stock": _("Sorry, that reward has just run out. Please choose another."),
        "points_not_enough": _("You need {cost} points for this and have {balance}.").format(
            cost=p.get("cost"), balance=p.get("balance")
        ),
        "voucher_not_found": _("That voucher no longer exists."),
        "voucher_unknown": _("No voucher has that code. Please check it and try again."),
        "voucher_other_centre": _("That voucher belongs to another centre."),
        "voucher_already_redeemed": _(
            "This voucher was already redeemed on {at}. It can't be used again."
        ).format(at=_when_param(p)),
        "voucher_cancelled": _("This voucher was cancelled and can't be used."),
        "voucher_expired": _("This voucher has expired."),
        "quiz_option": _("Please choose one of the answers."),
        # doctor console
        "resident_not_yours": _("That resident is not on your list."),
        "resident_not_found": _("That resident no longer uses the service."),
        "message_empty": _("Please send some text."),
        "message_too_long": _("That is too long (at most {max} characters).").format(
            max=p.get("max")
        ),
        "segment_unknown": _("That audience is no longer offered. Please choose again."),
        "spread_invalid": _("Please choose one of the sending options."),
        "schedule_format": _("Please send the date and time like 2026-11-24 09:00."),
        "schedule_past": _("That time has passed. Please send a later one."),
        "schedule_too_far": _("Broadcasts can be scheduled at most {days} days ahead.").format(
            days=p.get("days")
        ),
        "audience_empty": _("No resident matches that audience. Please choose another."),
        "broadcast_not_found": _("That broadcast no longer exists."),
        "broadcast_not_yours": _("That broadcast belongs to someone else."),
        "broadcast_not_cancellable": _("That broadcast has already been sent or cancelled."),
        "no_doctor": _(
            "You haven't chosen a family doctor yet: you can choose one under “My profile”."
        ),
        "question_not_found": _("That question no longer exists."),
        "question_not_yours": _("That question was asked to another doctor."),
        "question_answered": _("That question has already been answered."),
        "resident_withdrew_consent": _(
            "This resident has withdrawn consent: nothing can be sent to them until they "
            "agree again."
        ),
    }
    return texts.get(error.code, _("Sorry, that didn't work. Please try again."))
