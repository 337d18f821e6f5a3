"""Care reminder payloads: rows queued by older code (one item per row) still render, and a
household card (several items in one row) renders one line per item, withdrawn ones left out."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from jiayi.content.render import Renderer
from jiayi.services import care_notices
from jiayi.services.careplans import KIND_CARE_REMINDER
from jiayi.services.delivery import OutgoingMessage
from jiayi.services.push.care import card_keys as group_keys
from jiayi.storage.records import Delivery

# Exactly what the code before household cards queued (services.careplans._reminder_payload).
OLD_ROW = (
    '{"check_record": false, "dose": null, "due": "2026-12-01", "member_id": 0, '
    '"name_en": "Hypertension follow-up", "name_zh": "高血压随访", "note_en": null, '
    '"note_zh": null, "overdue": false, "person": "张三", "rule": "htn_follow_up", '
    '"self": true, "service_id": 7, "step": "open"}'
)


def _item(rule: str, zh: str, en: str, person: str, own: bool, **extra: object) -> dict:
    return {
        "rule": rule,
        "name_zh": zh,
        "name_en": en,
        "member_id": 0 if own else 5,
        "person": person,
        "self": own,
        "due": "2026-12-01",
        "dose": None,
        "step": "open",
        "overdue": False,
        "service_id": 7,
        "check_record": False,
        "note_zh": None,
        "note_en": None,
        **extra,
    }


CARD = {
    "v": 2,
    "items": [
        {
            **_item("htn_follow_up", "高血压随访", "Hypertension follow-up", "张三", True),
            "key": "k1",
        },
        {**_item("flu", "流感疫苗", "Autumn flu vaccine", "张爷爷", False), "key": "k2"},
        {
            **_item("pneumo_60", "肺炎球菌疫苗", "Pneumococcal vaccine", "张爷爷", False),
            "key": "k3",
            "withdrawn": True,
        },
    ],
}


class _Collect:
    """The dispatcher's registration port: keeps the renderers registered."""

    def __init__(self) -> None:
        self.renderers: dict[str, Callable[[Delivery], OutgoingMessage]] = {}

    def register_renderer(self, kind: str, render: Callable[[Delivery], OutgoingMessage]) -> None:
        self.renderers[kind] = render


def _delivery(payload: str, locale: str) -> Delivery:
    return Delivery(
        outbox_id=1,
        kind=KIND_CARE_REMINDER,
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


def _render(payload: str, locale: str) -> OutgoingMessage:
    collect = _Collect()
    care_notices.register(collect, Renderer())  # type: ignore[arg-type]
    return collect.renderers[KIND_CARE_REMINDER](_delivery(payload, locale))


@pytest.mark.parametrize(
    ("locale", "name"), [("en", "Hypertension follow-up"), ("zh-CN", "高血压随访")]
)
def test_a_row_queued_by_the_old_code_still_renders(locale: str, name: str) -> None:
    message = _render(OLD_ROW, locale)
    assert name in message.text
    assert message.ref_id == 7
    assert message.data == {"rule": "htn_follow_up", "due": "2026-12-01"}


@pytest.mark.parametrize(
    ("locale", "shown", "hidden"),
    [
        ("en", ["Hypertension follow-up", "Autumn flu vaccine", "张爷爷"], "Pneumococcal"),
        ("zh-CN", ["高血压随访", "流感疫苗", "张爷爷"], "肺炎球菌"),
    ],
)
def test_a_household_card_lists_each_item_once(locale: str, shown: list[str], hidden: str) -> None:
    message = _render(json.dumps(CARD, ensure_ascii=False), locale)
    for text in shown:
        assert text in message.text
    assert hidden not in message.text  # withdrawn after the card was queued
    assert message.data is not None
    assert [i["rule"] for i in message.data["items"]] == ["htn_follow_up", "flu"]
    assert group_keys(json.dumps(CARD)) == {"k1", "k2", "k3"}
    assert group_keys(OLD_ROW) == set()
