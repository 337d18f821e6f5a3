"""Translated names of domain values, for buttons and cards."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from jiayi.content.dates import when_words
from jiayi.services.errors import DomainError, ErrorCode
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
        ErrorCode.NOT_REGISTERED: _("You haven't signed up yet. Send /start to begin."),
        ErrorCode.NOT_ALLOWED: _("Sorry, you can't do that."),
        ErrorCode.MEMBER_NOT_YOURS: _("Sorry, you can't do that."),
        ErrorCode.MEMBER_NOT_FOUND: _("That family member no longer exists."),
        ErrorCode.DOCTOR_NOT_FOUND: _(
            "That doctor is no longer available. Please choose another."
        ),
        ErrorCode.OWN_DOCTOR: _("You can't be your own family doctor."),
        ErrorCode.CONTACT_NOT_YOURS: _(
            "Please share your own phone number with the button below, not someone else's."
        ),
        ErrorCode.ROSTER_ENTRY_GONE: _("That record is no longer available."),
        ErrorCode.CONSENT_NEEDED: _("Please agree to the privacy notice first: send /privacy."),
        ErrorCode.NAME_EMPTY: _("Please send a name."),
        ErrorCode.NAME_TOO_LONG: _("That name is too long (at most {max} characters).").format(
            max=p.get("max")
        ),
        ErrorCode.BIRTH_YEAR_FORMAT: _("Please send a four-digit year, for example 1960."),
        ErrorCode.BIRTH_YEAR_RANGE: _("Please send a year between {low} and {high}.").format(
            low=p.get("low"), high=p.get("high")
        ),
        ErrorCode.BIRTH_DATE_FORMAT: _("Please send the date like 2021-03-05."),
        ErrorCode.BIRTH_DATE_FUTURE: _("A birth date can't be in the future."),
        ErrorCode.BIRTH_DATE_TOO_OLD: _(
            "Please check the date: that is more than {years} years ago."
        ).format(years=p.get("years")),
        ErrorCode.PREGNANT_MALE: _("“Pregnant” can't be chosen together with male sex."),
        ErrorCode.DUE_DATE_FORMAT: _("Please send the expected date like 2027-05-20."),
        ErrorCode.DUE_DATE_RANGE: _(
            "Please check the date: it should be within the next 10 months, or the past year."
        ),
        ErrorCode.FAMILY_FULL: _("You can manage at most {max} family members.").format(
            max=p.get("max")
        ),
        ErrorCode.INVITE_INVALID: _(
            "This invite link is not valid. Ask the centre for a new one."
        ),
        ErrorCode.INVITE_USED: _("This invite link has already been used."),
        ErrorCode.INVITE_EXPIRED: _("This invite link has expired. Ask the centre for a new one."),
        ErrorCode.ALREADY_OTHER_DOCTOR: _(
            "This Telegram account already belongs to another doctor."
        ),
        ErrorCode.UNKNOWN_LOCALE: _("Please choose one of the languages offered."),
        ErrorCode.TIP_NOT_FOUND: _("That tip is no longer available."),
        ErrorCode.SERVICE_NOT_FOUND: _("That service can't be booked any more."),
        ErrorCode.SLOT_NOT_FOUND: _("That time is no longer available. Please choose another."),
        ErrorCode.SLOT_FULL: _("Sorry, that time has just filled up. Please choose another time."),
        ErrorCode.SLOT_CLOSED: _(
            "That time has been closed by the centre. Please choose another."
        ),
        ErrorCode.TOO_LATE: _("That time is too soon to book. Please choose a later time."),
        ErrorCode.BEYOND_HORIZON: _("That day can't be booked yet. Please choose an earlier day."),
        ErrorCode.ALREADY_BOOKED: _(
            "There is already an appointment for this service for that person. "
            "See /appointments to change it."
        ),
        ErrorCode.NOT_ELIGIBLE_AGE: _("This service isn't offered at that person's age."),
        ErrorCode.NOT_ELIGIBLE_SEX: _("This service is only for women.")
        if p.get("sex") == Sex.FEMALE
        else _("This service is only for men."),
        ErrorCode.REFERRAL_REQUIRED: _(
            "Specialist slots need a referral from your family doctor first. "
            "Please ask your doctor."
        ),
        ErrorCode.APPOINTMENT_NOT_FOUND: _("That appointment no longer exists."),
        ErrorCode.CANCEL_TOO_LATE: _(
            "It's too late to change this appointment online (less than {hours} hours to go). "
            "Please call the centre."
        ).format(hours=p.get("hours")),
        ErrorCode.OFFER_EXPIRED: _("Sorry, the hold on that place has run out."),
        ErrorCode.ALREADY_WAITING: _("You're already on the waiting list for that time."),
        ErrorCode.NOT_A_DOCTOR: _("This command is for family doctors."),
        ErrorCode.CONSOLE_NOT_ALLOWED: _(
            "The centre console is for the centre's staff (the operator and family doctors). "
            "Residents use this chat: see /help."
        ),
        ErrorCode.ADMIN_NOT_A_DOCTOR: _(
            "Appointment lists and check-in belong to a doctor's centre, and this admin "
            "account isn't a doctor. Bind it to a doctor with an invite "
            "(jiayi doctor invite) to use them."
        ),
        ErrorCode.NOT_YOUR_CENTRE: _("That appointment belongs to another centre."),
        ErrorCode.APPOINTMENT_CANCELLED: _("That appointment was cancelled."),
        ErrorCode.CHECK_IN_CODE_UNKNOWN: _("No appointment today has that check-in code."),
        ErrorCode.UNDO_EXPIRED: _(
            "That can no longer be undone: the time to undo has passed or the visit changed since."
        ),
        ErrorCode.QUIET_HOURS: _("Please choose one of the quiet-hour options."),
        ErrorCode.READING_FORMAT: _(
            "Please type the numbers only, like 135/85 for blood pressure or 7.2 for glucose."
        ),
        ErrorCode.READING_IMPLAUSIBLE: _(
            "That value doesn't look right. Please measure again and type the new reading."
        ),
        ErrorCode.READING_IN_FUTURE: _(
            "That time hasn't come yet today. Please choose an earlier time."
        ),
        ErrorCode.CARE_ITEM_GONE: _("That item is already recorded or has moved on. See /plan."),
        ErrorCode.NOT_YOUR_RESIDENT: _("That resident isn't contracted to you."),
        ErrorCode.PRESCRIPTION_WEEKS: _("A long-term prescription is 4, 8 or 12 weeks."),
        ErrorCode.TAKEOVER_CHILD: _("A child under 14 can't take over their own account yet."),
        ErrorCode.TAKEOVER_INVALID: _(
            "This link is not valid. Ask your family member for a new one."
        ),
        ErrorCode.TAKEOVER_USED: _("This link has already been used."),
        ErrorCode.TAKEOVER_EXPIRED: _(
            "This link has expired. Ask your family member for a new one."
        ),
        ErrorCode.TAKEOVER_ALREADY_RESIDENT: _(
            "This Telegram account already has its own jiayi profile. "
            "Open the link from the account that should take over."
        ),
        # health points
        ErrorCode.POINTS_NO_CENTRE: _(
            "Choose a family doctor first: rewards are offered by your doctor's centre."
        ),
        ErrorCode.REWARD_NOT_FOUND: _("That reward is no longer offered."),
        ErrorCode.REWARD_OUT_OF_STOCK: _(
            "Sorry, that reward has just run out. Please choose another."
        ),
        ErrorCode.POINTS_NOT_ENOUGH: _(
            "You need {cost} points for this and have {balance}."
        ).format(cost=p.get("cost"), balance=p.get("balance")),
        ErrorCode.VOUCHER_NOT_FOUND: _("That voucher no longer exists."),
        ErrorCode.VOUCHER_UNKNOWN: _("No voucher has that code. Please check it and try again."),
        ErrorCode.VOUCHER_OTHER_CENTRE: _("That voucher belongs to another centre."),
        ErrorCode.VOUCHER_ALREADY_REDEEMED: _(
            "This voucher was already redeemed on {at}. It can't be used again."
        ).format(at=_when_param(p)),
        ErrorCode.VOUCHER_CANCELLED: _("This voucher was cancelled and can't be used."),
        ErrorCode.VOUCHER_EXPIRED: _("This voucher has expired."),
        ErrorCode.QUIZ_OPTION: _("Please choose one of the answers."),
        # doctor console
        ErrorCode.RESIDENT_NOT_YOURS: _("That resident is not on your list."),
        ErrorCode.RESIDENT_NOT_FOUND: _("That resident no longer uses the service."),
        ErrorCode.MESSAGE_EMPTY: _("Please send some text."),
        ErrorCode.MESSAGE_TOO_LONG: _("That is too long (at most {max} characters).").format(
            max=p.get("max")
        ),
        ErrorCode.SEGMENT_UNKNOWN: _("That audience is no longer offered. Please choose again."),
        ErrorCode.SPREAD_INVALID: _("Please choose one of the sending options."),
        ErrorCode.SCHEDULE_FORMAT: _("Please send the date and time like 2026-11-24 09:00."),
        ErrorCode.SCHEDULE_PAST: _("That time has passed. Please send a later one."),
        ErrorCode.SCHEDULE_TOO_FAR: _(
            "Broadcasts can be scheduled at most {days} days ahead."
        ).format(days=p.get("days")),
        ErrorCode.AUDIENCE_EMPTY: _("No resident matches that audience. Please choose another."),
        ErrorCode.BROADCAST_NOT_FOUND: _("That broadcast no longer exists."),
        ErrorCode.BROADCAST_NOT_YOURS: _("That broadcast belongs to someone else."),
        ErrorCode.BROADCAST_NOT_CANCELLABLE: _(
            "That broadcast has already been sent or cancelled."
        ),
        ErrorCode.NO_DOCTOR: _(
            "You haven't chosen a family doctor yet: you can choose one under “My profile”."
        ),
        ErrorCode.QUESTION_NOT_FOUND: _("That question no longer exists."),
        ErrorCode.QUESTION_NOT_YOURS: _("That question was asked to another doctor."),
        ErrorCode.QUESTION_ANSWERED: _("That question has already been answered."),
        ErrorCode.RESIDENT_WITHDREW_CONSENT: _(
            "This resident has withdrawn consent: nothing can be sent to them until they "
            "agree again."
        ),
    }
    return texts.get(error.code, _("Sorry, that didn't work. Please try again."))
