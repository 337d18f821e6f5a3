"""Text residents read exists in both languages, renders, and fits Telegram."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from jiayi.content import LOCALES
from jiayi.content.i18n import extract_messages, load_translations, read_catalog
from jiayi.content.render import TELEGRAM_TEXT_LIMIT, Renderer
from jiayi.services.readings import Summary

_READINGS_SUMMARY = Summary(
    person_name="张阿姨",
    readings=(),
    bp_count=14,
    bp_in_range=9,
    morning=(138, 86),
    evening=(131, 80),
    glucose_count=3,
    glucose_in_range=2,
    glucose_average={"fasting": Decimal("6.4")},
    urgent=1,
)

SAMPLE_CONTEXT = {
    "welcome": {},
    "consent": {"version": "v1"},
    "declined": {},
    "onboarded": {"doctor": "王医生 · 阳光社区", "more": "更多", "home": True},
    "menu": {"name": "<script>"},
    "home": {"name": "<script>", "more": "更多"},
    "help": {},
    "emergency": {"self_harm": True, "hotline": "12356"},
    "free_text": {},
    "profile": {
        "name": "张三",
        "birth_year": 1956,
        "age": 70,
        "sex": "女",
        "conditions": "高血压",
        "language": "简体中文",
        "doctor": None,
        "contract_ends": date(2027, 11, 22),
        "family_count": 1,
    },
    "doctors": {"count": 2, "onboarding": True},
    "family": {"members": [{"name": "小宝", "relation": "子女", "born": date(2024, 3, 15)}]},
    "member": {
        "name": "小宝",
        "relation": "子女",
        "born": date(2024, 3, 15),
        "sex": "男",
        "conditions": "无",
        "guardian": True,
        "consent_recorded": date(2026, 11, 23),
    },
    "member_consent": {"name": "小宝", "child": True},
    "privacy": {
        "status": "outdated",
        "version": "v1",
        "current_version": "v2",
        "consented_on": date(2026, 1, 5),
        "withdrawn_on": None,
        "members": [{"name": "小宝", "basis": "监护人", "by": "您", "recorded": date(2026, 1, 5)}],
    },
    "mydata": {
        "generated": date(2026, 11, 23),
        "name": "张三",
        "birth_year": 1956,
        "sex": "女",
        "conditions": "高血压",
        "consent_version": "v1",
        "consented_on": date(2026, 1, 5),
        "withdrawn": False,
        "doctor": "王医生",
        "members": [
            {
                "name": "小宝",
                "relation": "子女",
                "born": date(2024, 3, 15),
                "basis": "监护人",
                "by": "您",
                "recorded": date(2026, 1, 5),
            }
        ],
        "sections": [{"label": "预约", "count": 2}],
    },
    "tips": {
        "paused": False,
        "next_at": datetime(2026, 12, 7, 9, 0, tzinfo=UTC),
        "occasion": "大雪",
        "quiet_start": time(21),
        "quiet_end": time(8),
        "opted_out": ["吸烟"],
    },
    "tip_action": {"action": "book", "doctor": "王医生 · 阳光社区"},
    "reminder": {
        "minutes": 100,
        "today": True,
        "service": "流感疫苗",
        "starts_at": datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        "person": "小宝",
        "code": "K7MX3P",
        "centre": "阳光社区",
        "phone": "0000-0000",
        "address": "幸福路1号",
    },
    "waitlist_offer": {
        "service": "流感疫苗",
        "starts_at": datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        "person": "小宝",
        "until": datetime(2026, 11, 30, 10, 0, tzinfo=UTC),
    },
    "booking_closed": {
        "service": "流感疫苗",
        "starts_at": datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        "person": "小宝",
        "reason": "停电",
    },
    "booked": {
        "service": "流感疫苗",
        "person": "小宝",
        "starts_at": datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        "centre": "阳光社区",
        "doctor": None,
        "code": "K7MX3P",
        "status": "booked",
    },
    "appointment": {
        "service": "流感疫苗",
        "person": "小宝",
        "starts_at": datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        "centre": "阳光社区",
        "doctor": "王医生",
        "code": "K7MX3P",
        "status": "attended",
    },
    "book_confirm": {
        "service": "流感疫苗",
        "person": "小宝",
        "starts_at": datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        "centre": "阳光社区",
        "resched": True,
    },
    "ics_description": {"code": "K7MX3P"},
    "ics_alarm": {"service": "流感疫苗"},
    "doctor_day": {
        "day": date(2026, 12, 1),
        "rows": [
            {
                "time": datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
                "service": "流感疫苗",
                "person": "小宝",
                "code": "K7MX3P",
                "status": "booked",
            }
        ],
    },
    # --- care plans ---
    "care_reminder": {
        "item": "乙肝疫苗",
        "person": "小宝",
        "own": False,
        "due": date(2026, 12, 23),
        "dose": 2,
        "overdue": False,
        "check_record": True,
        "note": "满3月龄后补种卡介苗，需先做结核菌素试验（PPD）。",
    },
    "care_reminders": {
        "overdue": True,
        "check_record": True,
        "items": [
            {
                "item": "乙肝疫苗",
                "person": "小宝",
                "own": False,
                "due": date(2026, 12, 23),
                "dose": 2,
                "overdue": True,
                "note": "满3月龄后补种卡介苗。",
            },
            {
                "item": "高血压随访",
                "person": "张三",
                "own": True,
                "due": date(2026, 12, 1),
                "dose": None,
                "overdue": False,
                "note": None,
            },
        ],
    },
    "vaccine_record": {"name": "小宝", "vaccine": "乙肝疫苗", "doses": 3, "number": 1, "total": 9},
    "vaccine_record_done": {"name": "小宝"},
    "care_nudge": {
        "doctor": "王医生",
        "items": [{"name": "高血压随访", "person": "张三", "own": True, "due": date(2026, 11, 1)}],
    },
    "care_digest": {
        "day": date(2026, 11, 30),
        "residents": [
            {
                "name": "张三",
                "entries": [
                    {
                        "name": "高血压随访",
                        "person": "张三",
                        "own": True,
                        "due": date(2026, 11, 1),
                    },
                    {
                        "name": "",
                        "person": "张三",
                        "own": True,
                        "due": date(2026, 11, 30),
                        "readings": True,
                        "bp": [148, 92],
                        "fasting": 7.8,
                        "urgent": 1,
                    },
                ],
            }
        ],
        "more": 1,
    },
    "care_plan": {
        "entries": [
            {
                "name": "乙肝疫苗",
                "person": "小宝",
                "own": False,
                "due": date(2026, 12, 23),
                "dose": 2,
                "state": "overdue",
                "booked": True,
            },
            {
                "name": "卡介苗",
                "person": "小宝",
                "own": False,
                "due": date(2026, 11, 23),
                "dose": 1,
                "state": "check_record",
                "booked": False,
            },
        ]
    },
    "care_doctor": {
        "person": "小宝",
        "prescription_weeks": 8,
        "prescribed_on": date(2026, 11, 23),
        "entries": [{"name": "乙肝疫苗", "due": date(2026, 12, 23), "dose": 2, "state": "due"}],
    },
    "points": {
        "balance": 60,
        "expiring": [{"date": date(2027, 12, 31), "points": 10}],
        "vouchers": [{"name": "中医艾灸一次", "code": "K7MX3PAC", "until": date(2026, 12, 23)}],
        "history": [{"date": date(2026, 11, 23), "delta": 50, "label": "参加健康体检"}],
    },
    "rewards": {"balance": 60, "rewards": [{"name": "<b>艾灸</b>", "cost": 40, "stock": 0}]},
    "voucher": {
        "name": "中医艾灸一次",
        "code": "K7MX3PAC",
        "until": date(2026, 12, 23),
        "status": "active",
        "cost": 40,
    },
    "points_expiry": {"points": 10, "date": date(2027, 12, 31)},
    # doctor console
    "broadcast": {"doctor": "王医生", "text": "<b>冬季</b>注意保暖"},
    "personal_message": {"doctor": "王医生", "text": "请明天来复查血压"},
    "question_answer": {"doctor": "王医生", "question": "饭前吃药吗？", "text": "饭后服用"},
    "question_new": {
        "name": "张三",
        "asked_at": datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
        "body": "饭前吃药吗？",
    },
    "questions": {
        "rows": [
            {
                "name": "张三",
                "asked_at": datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
                "body": "饭前吃药吗？",
            }
        ]
    },
    "resident_list": {
        "total": 1,
        "filters": "高血压",
        "rows": [{"name": "张三", "age": 70, "conditions": "高血压"}],
        "page": 1,
        "pages": 1,
    },
    "resident_card": {
        "name": "张三",
        "age": 70,
        "sex": "女",
        "conditions": "高血压",
        "language": "简体中文",
        "reachable": False,
        "family": [{"name": "小宝", "relation": "子女", "born": date(2024, 3, 15)}],
        "appointments": [
            {
                "when": datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
                "service": "流感疫苗",
                "person": "小宝",
            }
        ],
        "open_questions": 1,
        "care": [
            {
                "name": "高血压随访",
                "person": "张三",
                "due": date(2026, 11, 1),
                "overdue": True,
                "booked": False,
            },
            {
                "name": "乙肝疫苗",
                "person": "小宝",
                "due": date(2026, 12, 1),
                "overdue": False,
                "booked": True,
            },
        ],
        "points": 110,
    },
    "broadcast_confirm": {
        "segments": "高血压, 年龄 65岁及以上",
        "size": 120,
        "spread": "8 小时 0 分钟",
        "duration": "8 小时 0 分钟",
        "rate": "25",
        "starts": datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
        "languages": "简体中文, English",
        "photo": True,
    },
    "broadcast_status": {
        "id": 7,
        "status": "发送中",
        "segments": "高血压",
        "size": 120,
        "starts": None,
        "delivered": 100,
        "waiting": 15,
        "blocked": 2,
        "failed": 1,
        "skipped": 2,
        "cancelled": 0,
    },
    "broadcasts": {
        "rows": [
            {
                "id": 7,
                "created": datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
                "status": "已完成",
                "delivered": 118,
                "size": 120,
            }
        ]
    },
    "reading_alert": {
        "name": "张小宝",
        "resident_name": "张阿姨",
        "kind": "bp",
        "value": "186/112",
        "context": None,
        "measured_at": datetime(2026, 12, 7, 9, 30, tzinfo=UTC),
    },
    "reading_result": {
        "name": "张阿姨",
        "kind": "glucose",
        "value": "3.1",
        "level": "urgent",
        "repeated": False,
        "low": True,
        "measured_at": datetime(2026, 12, 7, 9, 30, tzinfo=UTC),
    },
    "reading_reminder": {"name": "张阿姨"},
    "console_link": {"url": "https://console.example/login/" + "x" * 43, "minutes": 10},
    "readings_last_follow_up": {"day": date(2026, 11, 2)},
    "readings_summary": {
        "s": _READINGS_SUMMARY,
        "target_bp": "135/85",
    },
}


def test_every_template_exists_in_both_languages() -> None:
    renderer = Renderer()
    names = {locale: renderer.template_names(locale) for locale in LOCALES}
    assert names["zh-CN"] == names["en"]
    assert names["en"] == set(SAMPLE_CONTEXT), "add sample context for new templates"


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", sorted(SAMPLE_CONTEXT))
def test_templates_render_within_telegram_limit(locale: str, name: str) -> None:
    text = Renderer().render(name, locale, **SAMPLE_CONTEXT[name])
    assert text.strip()
    assert len(text) < TELEGRAM_TEXT_LIMIT


def test_values_are_html_escaped() -> None:
    text = Renderer().render("menu", "en", name="<b>x</b>")
    assert "&lt;b&gt;x&lt;/b&gt;" in text


def test_chinese_and_english_templates_differ() -> None:
    renderer = Renderer()
    assert renderer.render("help", "zh-CN") != renderer.render("help", "en")


def test_unknown_locale_falls_back_to_default() -> None:
    renderer = Renderer(default_locale="zh-CN")
    assert renderer.render("help", "fr") == renderer.render("help", "zh-CN")


def test_every_source_message_is_translated_in_both_catalogs() -> None:
    used = extract_messages()
    assert used, "no translatable strings found: extraction is broken"
    for locale in LOCALES:
        catalog = read_catalog(locale)
        missing = [m for m in used if not (catalog.get(m) and catalog.get(m).string)]
        assert not missing, f"{locale} lacks translations (run `make i18n`): {missing}"


def test_catalogs_compile_and_translate() -> None:
    translations = load_translations()
    assert translations["zh-CN"].gettext("My profile") == "我的资料"
    assert translations["en"].gettext("My profile") == "My profile"


def test_translations_keep_placeholders() -> None:
    catalog = read_catalog("zh-CN")
    import re

    for message in catalog:
        if not message.id:
            continue
        wanted = set(re.findall(r"\{\w+\}", str(message.id)))
        assert set(re.findall(r"\{\w+\}", str(message.string))) == wanted, message.id
