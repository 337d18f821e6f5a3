"""Push payloads (services.push): every kind round-trips through its JSON, and rows written by
the code before typed payloads (JSON copied from those producers, literally) still decode,
keep their exact text when written again, and render through the real renderers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from jiayi.content.render import Renderer
from jiayi.content.tips import Audience
from jiayi.services import (
    broadcasts,
    care_notices,
    console,
    notices,
    points_notices,
    questions,
    readings,
)
from jiayi.services.clock import ManualClock
from jiayi.services.delivery import OutgoingMessage
from jiayi.services.push import DECODERS, PushKind, PushPayload, care, decode, messages, tip
from jiayi.services.push import appointments as appt
from jiayi.services.push import points as pts
from jiayi.services.push import readings as rd
from jiayi.storage.records import Delivery

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 9, 1, 0, tzinfo=UTC)
STARTS = datetime(2026, 12, 10, 1, 30, tzinfo=UTC)
DAY = date(2026, 12, 9)

REMINDER = appt.AppointmentReminder(
    appointment_id=41,
    lead="24h",
    service=appt.ServiceNames("血压随访", "Blood pressure check"),
    starts_at=STARTS,
    person_name="王阿姨",
    check_in_code="ACD347",
    centre_name="幸福社区卫生服务中心",
    centre_name_en="Xingfu Community Health Centre",
    change_until=datetime(2026, 12, 9, 23, 30, tzinfo=UTC),
    centre_phone="021-5555",
    centre_address="幸福路1号",
)
CARE_ITEM = care.CareReminder(
    rule="htn_follow_up",
    name_zh="高血压随访",
    name_en="Hypertension follow-up",
    member_id=0,
    person="张三",
    own=True,
    due=DAY,
    step="open",
    service_id=7,
)
CHILD_ITEM = care.CareReminder(
    rule="flu",
    name_zh="流感疫苗",
    name_en="Autumn flu vaccine",
    member_id=5,
    person="小明",
    own=False,
    due=DAY,
    dose=1,
    check_record=True,
    note_zh="请带接种证",
    note_en="Bring the vaccination record",
)
LINE = care.CareLine(person="张三", own=True, name_zh="高血压随访", name_en="Follow-up", due=DAY)
READINGS_LINE = care.CareLine(
    person="张三",
    own=True,
    name_zh="",
    name_en="",
    due=DAY,
    readings=True,
    bp=(152, 96),
    fasting=7.4,
    urgent=1,
)

# One payload of every kind (a care-reminder row holds one item or a household card).
EXAMPLES: list[PushPayload] = [
    tip.TipPayload("flu_season", Audience.EVERYONE, DAY, Audience.CARER_80),
    tip.TipPayload("evergreen_salt", Audience.EVERYONE),
    REMINDER,
    appt.WaitlistOffer(
        waitlist_id=3,
        service=appt.ServiceNames("流感疫苗", "Flu vaccine"),
        starts_at=STARTS,
        person_name="李叔叔",
        offered_until=NOW,
    ),
    appt.BookingClosed(
        appointment_id=41,
        service_id=2,
        member_id=5,
        service=appt.ServiceNames("流感疫苗", "Flu vaccine"),
        starts_at=STARTS,
        person_name="小明",
        reason="停电 <b>&",
    ),
    CARE_ITEM,
    care.CareCard.of(["k1", "k2"], [CARE_ITEM, CHILD_ITEM]),
    care.CareNudge(doctor="王医生", items=(LINE,)),
    care.CareDigest(
        day=DAY,
        residents=(care.DigestEntry(9, "张三", (LINE, READINGS_LINE)),),
        part=2,
        parts=3,
    ),
    rd.ReadingAlert(
        resident_id=9,
        name="张三",
        resident_name="张三",
        kind="bp",
        value="186/112",
        context=None,
        measured_at=NOW,
    ),
    rd.ReadingReminder(hour=7),
    pts.PointsExpiry(points=120, expires_at=datetime(2026, 12, 31, 16, tzinfo=UTC)),
    messages.Broadcast(broadcast_id=4, doctor="王医生", text="流感疫苗到了", photo="AgAD"),
    messages.PersonalMessage(doctor="王医生", text="请明天来复查血压"),
    messages.Answer(doctor="王医生", question="能喝咖啡吗？", text="少喝"),
    messages.QuestionAlert(
        question_id=8, resident_id=9, name="张三", asked_at=NOW, body="<script>&"
    ),
]


def test_the_examples_cover_every_kind_and_every_decoder() -> None:
    assert {e.KIND for e in EXAMPLES} == set(PushKind) == set(DECODERS)


@pytest.mark.parametrize("payload", EXAMPLES, ids=lambda p: type(p).__name__)
def test_every_payload_round_trips(payload: PushPayload) -> None:
    text = payload.to_json()
    assert type(payload).from_json(text) == payload  # type: ignore[attr-defined]
    assert decode(payload.KIND, text) == payload


def test_kinds_are_the_strings_in_the_database() -> None:
    assert {k.value for k in PushKind} == {
        "tip",
        "reminder",
        "waitlist_offer",
        "booking_closed",
        "care_reminder",
        "care_nudge",
        "care_digest",
        "reading_alert",
        "reading_reminder",
        "points_expiry",
        "broadcast",
        "personal",
        "answer",
        "question_new",
    }


def test_dedupe_keys_keep_their_stored_shape() -> None:
    assert appt.reminder_key(41, "24h") == "appt:41:24h"
    assert appt.closed_key(41) == "appt:41:closed"
    assert appt.reminder_key(41, "2h").startswith(appt.appointment_prefix(41))
    assert appt.offer_key(3) == "wait:3:offer"
    assert appt.offer_key(3).startswith(appt.waitlist_prefix(3))
    prefix = care.item_prefix("m:5", "flu")
    assert prefix == "care:m:5:flu:"
    assert prefix.startswith(care.member_prefix(5))
    assert care.reminder_key(prefix, DAY, "late") == "care:m:5:flu:20261209:late"
    assert care.nudge_key(9, DAY) == "carenudge:9:20261209"
    assert care.digest_key(2, DAY, 1) == "caredigest:2:20261209"
    assert care.digest_key(2, DAY, 3) == "caredigest:2:20261209:3"
    assert rd.alert_key(9, None, "2026-12-09") == "reading_alert:9:0:2026-12-09"
    assert rd.alert_key(9, 5, "").startswith(rd.alert_prefix(9))
    assert rd.reminder_key(9, DAY, 7) == "reading_reminder:9:2026-12-09:7"
    assert pts.expiry_key(9, DAY) == "points_expiry:9:2026-12-09"
    assert messages.broadcast_key(4, 9) == "broadcast:4:9"
    assert messages.personal_key(9, "ab12") == "personal:9:ab12"
    assert messages.answer_key(8) == "answer:8"
    assert messages.question_alert_key(8) == "question:8"
    assert tip.tip_prefix("flu", DAY) == "tip:flu:2026-12-09:"
    assert tip.catchup_prefix(DAY, 1) == "catchup:2026-12-09:1:"


# --- rows as the code before typed payloads wrote them -------------------------------------
# Each literal is what that producer's json.dumps(...) gave (same keys, order and escaping),
# so writing the decoded payload again must give the same text.

OLD_REMINDER = (
    '{"appointment_id": 41, "centre_address": "幸福路1号", "centre_name": "幸福社区卫生服务中心", '
    '"centre_name_en": "Xingfu Community Health Centre", "centre_phone": "021-5555", '
    '"change_until": "2026-12-09T23:30:00+00:00", "check_in_code": "ACD347", "lead": "24h", '
    '"person_name": "王阿姨", "service_name_en": "Blood pressure check", '
    '"service_name_zh": "血压随访", "starts_at": "2026-12-10T01:30:00+00:00"}'
)
# Queued before reminders carried the centre or the last moment to change the booking.
OLDEST_REMINDER = (
    '{"appointment_id": 7, "check_in_code": "KMN479", "lead": "2h", "person_name": "张三", '
    '"service_name_en": "Flu vaccine", "service_name_zh": "流感疫苗", '
    '"starts_at": "2026-12-10T01:30:00+00:00"}'
)
OLD_OFFER = (
    '{"centre_address": null, "centre_phone": null, '
    '"offered_until": "2026-12-09T01:30:00+00:00", "person_name": "李叔叔", '
    '"service_name_en": "Flu vaccine", "service_name_zh": "流感疫苗", '
    '"starts_at": "2026-12-10T01:30:00+00:00", "waitlist_id": 3}'
)
OLD_CLOSED = (
    '{"appointment_id": 41, "centre_address": null, "centre_phone": null, "member_id": 5, '
    '"person_name": "小明", "reason": "停电", "service_id": 2, "service_name_en": "Flu vaccine", '
    '"service_name_zh": "流感疫苗", "starts_at": "2026-12-10T01:30:00+00:00"}'
)
OLD_NUDGE = (
    '{"doctor": "王医生", "items": [{"due": "2026-12-01", "name_en": "Hypertension follow-up", '
    '"name_zh": "高血压随访", "person": "张三", "self": true}]}'
)
OLD_DIGEST = (
    '{"day": "2026-12-09", "part": 1, "parts": 1, "residents": [{"id": 9, "items": [{"due": '
    '"2026-12-01", "name_en": "Hypertension follow-up", "name_zh": "高血压随访", "person": '
    '"张三", "self": true}, {"bp": [152, 96], "due": "2026-12-09", "fasting": null, "kind": '
    '"readings", "name_en": "", "name_zh": "", "person": "张三", "self": true, "urgent": 0}], '
    '"name": "张三"}, {"id": 10, "items": [{"bp": null, "due": "2026-12-09", "fasting": 7.4, '
    '"kind": "readings", "name_en": "", "name_zh": "", "person": "李四", "self": true, '
    '"urgent": 2}], "name": "李四"}]}'
)
OLD_ALERT = (
    '{"v": 1, "resident_id": 9, "name": "张三", "resident_name": "张三", "kind": "bp", '
    '"value": "186/112", "context": null, "measured_at": "2026-12-09T01:00:00+00:00"}'
)
OLD_READING_REMINDER = '{"v": 1, "hour": 7}'
OLD_EXPIRY = '{"points": 120, "expires_at": "2026-12-31T16:00:00+00:00"}'
OLD_BROADCAST = '{"broadcast_id": 4, "doctor": "王医生", "text": "流感疫苗到了", "photo": null}'
OLD_PERSONAL = '{"doctor": "\\u738b\\u533b\\u751f", "text": "\\u8bf7\\u660e\\u5929\\u6765"}'
OLD_ANSWER = '{"doctor": "王医生", "question": "能喝咖啡吗？", "text": "少喝"}'
OLD_QUESTION = (
    '{"question_id": 8, "resident_id": 9, "name": "张三", '
    '"asked_at": "2026-12-09T01:00:00+00:00", "body": "血压高怎么办"}'
)
OLD_TIP = '{"audience": "everyone", "occurrence": "2026-12-09", "tip": "flu_season"}'

WRITTEN_BY_THE_OLD_CODE = [
    (PushKind.REMINDER, OLD_REMINDER),
    (PushKind.WAITLIST_OFFER, OLD_OFFER),
    (PushKind.BOOKING_CLOSED, OLD_CLOSED),
    (PushKind.CARE_NUDGE, OLD_NUDGE),
    (PushKind.CARE_DIGEST, OLD_DIGEST),
    (PushKind.READING_ALERT, OLD_ALERT),
    (PushKind.READING_REMINDER, OLD_READING_REMINDER),
    (PushKind.POINTS_EXPIRY, OLD_EXPIRY),
    (PushKind.BROADCAST, OLD_BROADCAST),
    (PushKind.PERSONAL, OLD_PERSONAL),
    (PushKind.ANSWER, OLD_ANSWER),
    (PushKind.QUESTION_ALERT, OLD_QUESTION),
    (PushKind.TIP, OLD_TIP),
]


@pytest.mark.parametrize(("kind", "text"), WRITTEN_BY_THE_OLD_CODE, ids=lambda v: str(v)[:20])
def test_a_payload_written_by_the_old_code_is_written_back_unchanged(
    kind: PushKind, text: str
) -> None:
    assert decode(kind, text).to_json() == text


def test_unknown_keys_are_ignored_and_missing_new_ones_defaulted() -> None:
    newer = OLD_EXPIRY[:-1] + ', "v": 1, "reason": "from a later release"}'
    assert pts.PointsExpiry.from_json(newer) == pts.PointsExpiry.from_json(OLD_EXPIRY)
    oldest = appt.AppointmentReminder.from_json(OLDEST_REMINDER)
    assert oldest.change_until is None
    assert oldest.can_change(NOW)
    assert oldest.centre("en") == ""
    assert tip.TipPayload.from_json('{"audience": "everyone"}').tip is None


class _Collect:
    """The dispatcher's registration port: keeps the renderers registered."""

    def __init__(self) -> None:
        self.renderers: dict[str, Callable[[Delivery], OutgoingMessage]] = {}

    def register_renderer(
        self, kind: str, render: Callable[[Delivery], OutgoingMessage], **_: Any
    ) -> None:
        self.renderers[kind] = render


def _renderers() -> dict[str, Callable[[Delivery], OutgoingMessage]]:
    collect: Any = _Collect()
    renderer = Renderer()
    notices.register(collect, renderer, SHANGHAI, ManualClock(NOW))
    care_notices.register(collect, renderer)
    points_notices.register(collect, renderer, SHANGHAI)
    readings.register(collect, renderer, SHANGHAI)
    questions.register(collect, renderer, SHANGHAI)
    console.register(collect, renderer)
    broadcasts.register(collect, renderer)
    return collect.renderers  # type: ignore[no-any-return]


def _delivery(kind: str, payload: str, locale: str) -> Delivery:
    return Delivery(
        outbox_id=1,
        kind=kind,
        tip_id=None,
        payload=payload,
        attempts=0,
        resident_id=1,
        telegram_user_id=100,
        locale=locale,
        display_name="张三",
        birth_year=1956,
        reachable=True,
        paused=False,
        quiet_start=21,
        quiet_end=8,
        doctor_name=None,
        opted_out_topics=frozenset(),
    )


# What the recipient reads, in English, from each old row.
SHOWN = [
    (PushKind.REMINDER, OLD_REMINDER, ["Blood pressure check", "王阿姨", "ACD347", "021-5555"]),
    (PushKind.REMINDER, OLDEST_REMINDER, ["Flu vaccine", "张三", "KMN479"]),
    (PushKind.WAITLIST_OFFER, OLD_OFFER, ["Flu vaccine", "李叔叔"]),
    (PushKind.BOOKING_CLOSED, OLD_CLOSED, ["Flu vaccine", "小明", "停电"]),
    (PushKind.CARE_NUDGE, OLD_NUDGE, ["王医生", "Hypertension follow-up"]),
    (PushKind.CARE_DIGEST, OLD_DIGEST, ["张三", "李四", "152/96", "7.4"]),
    (PushKind.READING_ALERT, OLD_ALERT, ["张三", "186/112"]),
    (PushKind.READING_REMINDER, OLD_READING_REMINDER, []),
    (PushKind.POINTS_EXPIRY, OLD_EXPIRY, ["120"]),
    (PushKind.BROADCAST, OLD_BROADCAST, ["王医生", "流感疫苗到了"]),
    (PushKind.PERSONAL, OLD_PERSONAL, ["王医生", "请明天来"]),
    (PushKind.ANSWER, OLD_ANSWER, ["王医生", "能喝咖啡吗？", "少喝"]),
    (PushKind.QUESTION_ALERT, OLD_QUESTION, ["张三", "血压高怎么办"]),
]


@pytest.mark.parametrize(("kind", "text", "shown"), SHOWN, ids=lambda v: str(v)[:20])
def test_a_payload_written_by_the_old_code_still_renders(
    kind: PushKind, text: str, shown: list[str]
) -> None:
    message = _renderers()[kind](_delivery(kind, text, "en"))
    for part in shown:
        assert part in message.text
    # The sender chooses the buttons from the decoded payload.
    assert message.payload == decode(kind, text)


def test_the_renderers_give_the_buttons_what_they_gave_before() -> None:
    render = _renderers()
    reminder = render[PushKind.REMINDER](_delivery(PushKind.REMINDER, OLD_REMINDER, "en"))
    assert (reminder.ref_id, reminder.data) == (41, {"can_change": True})
    closed = render[PushKind.BOOKING_CLOSED](_delivery(PushKind.BOOKING_CLOSED, OLD_CLOSED, "en"))
    assert (closed.ref_id, closed.member_id) == (2, 5)
    digest = render[PushKind.CARE_DIGEST](_delivery(PushKind.CARE_DIGEST, OLD_DIGEST, "en"))
    # 李四 is listed for home readings alone: nothing overdue to nudge about.
    assert digest.data == {"residents": [(9, "张三")]}
    alert = render[PushKind.READING_ALERT](_delivery(PushKind.READING_ALERT, OLD_ALERT, "en"))
    assert alert.ref_id == 9


def test_withdrawing_from_a_household_card_keeps_the_other_items() -> None:
    """Storage takes items out of a queued card through CARD_EDIT, never by reading the JSON
    itself: the child's flu item is withdrawn (kept listed, not shown), the card stays for
    the parent's follow-up, and goes once nothing is left."""
    keys = ["care:r:1:htn_follow_up:20261210:open", "care:m:5:flu:20261210:open"]
    queued = care.CareCard.of(keys, [CARE_ITEM, CHILD_ITEM]).to_json()
    assert care.CARD_EDIT.marker in queued
    assert care.CARD_EDIT.mentions("care:m:5:") in queued

    edited = care.withdraw_from_card(queued, "care:m:5:")
    assert edited is not None
    smaller, left = edited
    assert left
    assert care.CareCard.from_json(smaller).shown() == [CARE_ITEM]
    assert care.card_keys(smaller) == set(keys)  # withdrawn keys still recorded
    assert care.withdraw_from_card(smaller, "care:m:5:") is None  # nothing more to take

    emptied = care.withdraw_from_card(smaller, "care:r:1:")
    assert emptied is not None
    assert emptied[1] is False
