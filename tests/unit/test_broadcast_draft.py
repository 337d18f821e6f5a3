"""The broadcast draft lives in FSM storage (Redis in production): it goes through JSON, and a
draft written before the dataclass (a plain dict) still reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from jiayi.bot.doctor.broadcast import BroadcastDraft

STARTS = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)


def test_a_draft_survives_json() -> None:
    draft = (
        BroadcastDraft(texts={"zh-CN": "通知"}, photo="file-1")
        .with_text("en", "Notice")
        .toggled("hypertension")
        .toggled("age65")
        .toggled("hypertension")
        .spread_over(30)
        .starting(STARTS)
    )
    again = BroadcastDraft.from_dict(json.loads(json.dumps(draft.to_dict())))
    assert again == draft
    assert list(again.texts) == ["zh-CN", "en"]
    assert again.segments == ("age65",)
    assert again.spread == timedelta(hours=24)
    assert again.starts_at == STARTS


def test_a_draft_stored_before_the_dataclass_still_reads() -> None:
    stored = {"texts": {"en": "Hello"}, "photo": None, "segments": ["age65"], "spread": 2}
    draft = BroadcastDraft.from_dict(stored)
    assert draft == BroadcastDraft(texts={"en": "Hello"}, segments=("age65",), spread_hours=2)
    assert draft.starts_at is None
    assert draft.for_service().spread == timedelta(hours=2)
