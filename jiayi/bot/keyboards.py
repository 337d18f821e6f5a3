"""Inline keyboards. Labels come from the catalog; callback data from bot.callbacks."""

from __future__ import annotations

from collections.abc import Iterable

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import ReplyKeyboardBuilder

from jiayi.bot.aiogram_shim import InlineKeyboardBuilder
from jiayi.bot.callbacks import (
    AskDoctorCD,
    AskDraftCD,
    CancelCD,
    ConditionsDoneCD,
    ConditionToggleCD,
    ConsentCD,
    DoctorLaterCD,
    DoctorPageCD,
    DoctorPickCD,
    DraftStep,
    FamilyAction,
    FamilyCD,
    Lang,
    LangPickCD,
    MemberConsentCD,
    MemberEditCD,
    MemberField,
    MenuCD,
    MenuItem,
    PointsAction,
    PointsCD,
    PrivacyAction,
    PrivacyCD,
    ProfileEditCD,
    ProfileField,
    QuietHoursCD,
    QuizCD,
    ReadingCD,
    ReadingStep,
    RelationPickCD,
    RosterMatchCD,
    SexPickCD,
    TipActionCD,
    TipFeedbackCD,
    TipMoreCD,
    TipsAction,
    TipsCD,
    TopicToggleCD,
)
from jiayi.bot.labels import (
    action_label,
    condition_label,
    language_label,
    relation_label,
    sex_label,
    topic_label,
)
from jiayi.content.dates import hour_words
from jiayi.content.localized import localized
from jiayi.services.doctors import DoctorPage
from jiayi.services.family import FamilyMemberRecord, Relation
from jiayi.services.pushes import Action, Topic
from jiayi.services.residents import Condition, Sex

CHECK = "✅ "


def languages(*, cancel: bool = False) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for lang in Lang:
        kb.button(text=language_label(lang.value), callback_data=LangPickCD(lang=lang))
    if cancel:
        kb.button(text=_("Cancel"), callback_data=CancelCD())
    return kb.adjust(2, 1).as_markup()


def consent() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("I agree"), callback_data=ConsentCD(agree=True))
    kb.button(text=_("I don't agree"), callback_data=ConsentCD(agree=False))
    return kb.adjust(1).as_markup()


def skip_label() -> str:
    return _("Skip")


def share_phone() -> ReplyKeyboardMarkup:
    """Telegram's own contact button: it sends the user's verified number, never one typed."""
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_("📱 Share my phone number"), request_contact=True)],
            [KeyboardButton(text=skip_label())],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def roster_match() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Yes, that's me"), callback_data=RosterMatchCD(yes=True))
    kb.button(text=_("No, that's not me"), callback_data=RosterMatchCD(yes=False))
    return kb.adjust(1).as_markup()


def sexes(*, cancel: bool = False) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for sex in Sex:
        kb.button(text=sex_label(sex), callback_data=SexPickCD(sex=sex))
    if cancel:
        kb.button(text=_("Cancel"), callback_data=CancelCD())
    return kb.adjust(2, 1).as_markup()


def conditions(
    selected: Iterable[Condition],
    *,
    cancel: bool = False,
    offered: Iterable[Condition] | None = None,
) -> InlineKeyboardMarkup:
    """`offered`: the conditions that fit the person (all when not given); one already
    recorded is shown anyway, so it can be taken off."""
    chosen = set(selected)
    shown = set(Condition if offered is None else offered) | chosen
    kb = InlineKeyboardBuilder()
    for condition in Condition:
        if condition not in shown:
            continue
        mark = CHECK if condition in chosen else ""
        kb.button(
            text=mark + condition_label(condition),
            callback_data=ConditionToggleCD(condition=condition),
        )
    kb.button(text=_("None of these"), callback_data=ConditionsDoneCD(none=True))
    kb.button(text=_("Done"), callback_data=ConditionsDoneCD())
    rows = [2] * (len(shown) // 2) + [1] * (len(shown) % 2) + [2]
    if cancel:
        kb.button(text=_("Cancel"), callback_data=CancelCD())
        rows.append(1)
    return kb.adjust(*rows).as_markup()


def doctors(page: DoctorPage, *, allow_later: bool, locale: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for doctor in page.doctors:
        centre = localized(doctor, "centre_name", locale)
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


def home_labels() -> tuple[str, str, str, str]:
    """The reply keyboard's labels, in the current locale: book, my appointments, ask, more.
    bot/resident/menu.py maps each back to what it does."""
    return _("Book"), _("My appointments"), _("Ask my doctor"), _("More")


def home() -> ReplyKeyboardMarkup:
    """The persistent keyboard under an onboarded resident's chat: the few things residents
    do most; "More" opens the full menu (main_menu)."""
    kb = ReplyKeyboardBuilder()
    for label in home_labels():
        kb.button(text=label)
    kb.adjust(2)
    return kb.as_markup(resize_keyboard=True, is_persistent=True)


def main_menu() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Book an appointment"), callback_data=MenuCD(item=MenuItem.BOOK))
    kb.button(text=_("My appointments"), callback_data=MenuCD(item=MenuItem.APPOINTMENTS))
    kb.button(text=_("My care plan"), callback_data=MenuCD(item=MenuItem.PLAN))
    kb.button(text=_("My profile"), callback_data=MenuCD(item=MenuItem.PROFILE))
    kb.button(text=_("My family"), callback_data=MenuCD(item=MenuItem.FAMILY))
    kb.button(text=_("Health tips"), callback_data=TipsCD(action=TipsAction.OPEN))
    kb.button(text=_("My points"), callback_data=PointsCD(action=PointsAction.OPEN))
    kb.button(text=_("Blood pressure & glucose"), callback_data=ReadingCD(step=ReadingStep.LIST))
    kb.button(text=_("Ask my doctor"), callback_data=AskDoctorCD())
    kb.button(text=_("Language"), callback_data=MenuCD(item=MenuItem.LANGUAGE))
    kb.button(text=_("Help"), callback_data=MenuCD(item=MenuItem.HELP))
    kb.button(text=_("Privacy"), callback_data=PrivacyCD(action=PrivacyAction.OPEN))
    return kb.adjust(2).as_markup()


def reading_reminder() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Record now"), callback_data=ReadingCD(step=ReadingStep.START))
    kb.button(text=_("Change these reminders"), callback_data=ReadingCD(step=ReadingStep.REMIND))
    return kb.adjust(1).as_markup()


def reading_reminder_offer() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Yes, remind me"), callback_data=ReadingCD(step=ReadingStep.REMIND))
    return kb.as_markup()


def free_text(
    *, registered: bool, draft: bool = True, reading: bool = False
) -> InlineKeyboardMarkup:
    """Under a typed message nobody understood: send it to the doctor, or the main actions.
    `draft` False for a sticker or photo: there are no words to send. `reading`: the words
    look like a home reading ("135/85"), so recording one comes first."""
    kb = InlineKeyboardBuilder()
    if registered:
        if reading:
            kb.button(text=_("Record a reading"), callback_data=ReadingCD(step=ReadingStep.START))
        if draft:
            kb.button(
                text=_("Send this to my family doctor"),
                callback_data=AskDraftCD(step=DraftStep.OPEN),
            )
        kb.button(text=_("Book an appointment"), callback_data=MenuCD(item=MenuItem.BOOK))
        kb.button(text=_("My appointments"), callback_data=MenuCD(item=MenuItem.APPOINTMENTS))
        kb.button(text=_("Main menu"), callback_data=MenuCD(item=MenuItem.MENU))
        return kb.adjust(*((1,) if reading else ()), *((1, 2, 1) if draft else (2, 1))).as_markup()
    kb.button(text=_("Help"), callback_data=MenuCD(item=MenuItem.HELP))
    return kb.as_markup()


def draft_confirm() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Send"), callback_data=AskDraftCD(step=DraftStep.SEND))
    kb.button(text=_("Cancel"), callback_data=CancelCD())
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


def tip(
    outbox_id: int,
    action: Action | None,
    *,
    quiz: bool = False,
    more: bool = False,
    service: str | None = None,
) -> InlineKeyboardMarkup:
    """Built directly, not with InlineKeyboardBuilder: this runs once per push, and the
    builder deep-copies every button (the dispatcher's biggest cost after the database).
    `more`: the message is the first screen; the rest waits behind "More"."""
    rows = []
    if more:
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("More ▾"), callback_data=TipMoreCD(outbox_id=outbox_id).pack()
                )
            ]
        )
    rows += [
        [
            InlineKeyboardButton(
                text="👍", callback_data=TipFeedbackCD(outbox_id=outbox_id, helpful=True).pack()
            ),
            InlineKeyboardButton(
                text="👎", callback_data=TipFeedbackCD(outbox_id=outbox_id, helpful=False).pack()
            ),
        ]
    ]
    if action is not None and action is not Action.MORE_TIPS:
        rows.append(
            [
                InlineKeyboardButton(
                    text=action_label(action),
                    callback_data=TipActionCD(action=action, service=service or "").pack(),
                )
            ]
        )
    if quiz:
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("Quiz: earn health points"),
                    callback_data=QuizCD(outbox_id=outbox_id).pack(),
                )
            ]
        )
    rows.append(
        [
            InlineKeyboardButton(
                text=action_label(Action.MORE_TIPS),
                callback_data=TipsCD(action=TipsAction.MORE).pack(),
            )
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def with_vote(markup: InlineKeyboardMarkup, helpful: bool) -> InlineKeyboardMarkup:
    """The same tip keyboard, with a tick on the thumb the resident chose."""
    rows = []
    for row in markup.inline_keyboard:
        buttons = []
        for button in row:
            text = button.text
            if button.callback_data and button.callback_data.startswith(TipFeedbackCD.__prefix__):
                vote = TipFeedbackCD.unpack(button.callback_data).helpful
                text = ("👍" if vote else "👎") + (" ✓" if vote == helpful else "")
            buttons.append(button.model_copy(update={"text": text}))
        rows.append(buttons)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def tips(paused: bool, quiet_start: int, quiet_end: int, locale: str) -> InlineKeyboardMarkup:
    """Resuming comes first; pausing everything comes last, after the finer choices: this
    screen opens from a tip, where the first button is the one a thumb hits."""
    kb = InlineKeyboardBuilder()
    if paused:
        kb.button(text=_("Resume health tips"), callback_data=TipsCD(action=TipsAction.RESUME))
    kb.button(text=_("Choose topics"), callback_data=TipsCD(action=TipsAction.TOPICS))
    kb.button(
        text=_("Quiet hours: {start}–{end}").format(
            start=hour_words(quiet_start, locale), end=hour_words(quiet_end, locale)
        ),
        callback_data=TipsCD(action=TipsAction.QUIET),
    )
    if not paused:
        kb.button(text=_("Pause all pushes"), callback_data=TipsCD(action=TipsAction.PAUSE))
    kb.button(text=_("Main menu"), callback_data=MenuCD(item=MenuItem.MENU))
    return kb.adjust(1).as_markup()


def topics(opted_out: frozenset[str]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for topic in Topic:
        mark = "" if topic.value in opted_out else CHECK
        kb.button(text=mark + topic_label(topic), callback_data=TopicToggleCD(topic=topic))
    kb.button(text=_("Done"), callback_data=TipsCD(action=TipsAction.OPEN))
    return kb.adjust(*([2] * ((len(Topic) + 1) // 2)), 1).as_markup()


def quiet_hours(
    presets: tuple[tuple[int, int], ...], current: tuple[int, int], locale: str
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for start, end in presets:
        mark = CHECK if (start, end) == current else ""
        kb.button(
            text=f"{mark}{hour_words(start, locale)}–{hour_words(end, locale)}",
            callback_data=QuietHoursCD(start=start, end=end),
        )
    kb.button(text=_("Back"), callback_data=TipsCD(action=TipsAction.OPEN))
    return kb.adjust(2, 2, 1).as_markup()
