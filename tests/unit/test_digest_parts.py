"""Cutting a care digest into parts: nobody and no item is lost, and each part fits."""

from __future__ import annotations

from jiayi.services.digest_parts import PART_BUDGET, PART_MAX_RESIDENTS, split_digest


def _resident(n: int, items: int) -> dict[str, object]:
    return {
        "id": n,
        "name": f"居民{n}" + "名" * 30,
        "items": [
            {
                "person": "本人",
                "self": True,
                "name_zh": "高血压随访",
                "name_en": "Hypertension follow-up",
                "due": "2027-04-01",
            }
            for _ in range(items)
        ],
    }


def test_parts_keep_every_item_in_order_and_fit() -> None:
    """A resident with 200 items (more than one message) is continued in the next part.
    Mutations caught: dropping the items of a split resident; no resident cap per part."""
    residents = [_resident(n, 3) for n in range(45)] + [_resident(99, 200)]
    parts = split_digest(residents)
    flat = [(r["id"], i) for part in parts for r in part for i in r["items"]]  # type: ignore[attr-defined]
    assert len(flat) == 45 * 3 + 200
    assert [rid for rid, _ in flat] == [r["id"] for r in residents for _ in r["items"]]  # type: ignore[attr-defined]
    assert all(len(part) <= PART_MAX_RESIDENTS for part in parts)
    for part in parts:
        size = sum(
            len(str(r["name"])) + sum(len(i["name_en"]) + 30 for i in r["items"]) for r in part
        )
        assert size <= PART_BUDGET + 100
    assert split_digest([]) == [[]]


def test_parts_with_home_readings_lines_fit_one_message() -> None:
    """Every part of a digest whose residents also have a home-readings line (bp, fasting and
    urgent: the longest wording) renders within Telegram's 4,096 characters, in English.
    Mutation caught (the state merged): split_digest sized a readings item like a care item
    (empty names + 30), ~100 characters short each; 20 residents with 3 overdue items and a
    readings line made one 5,000-character part, which Telegram refuses for good."""
    from datetime import date

    from jiayi.content.render import Renderer
    from jiayi.services.care_notices import _items

    residents = [_resident(n, 3) for n in range(40)]
    for r in residents:
        r["name"] = f"居民{r['id']}"
        r["items"].append(  # type: ignore[attr-defined]
            {
                "kind": "readings",
                "person": r["name"],
                "self": True,
                "name_zh": "",
                "name_en": "",
                "due": "2027-04-01",
                "bp": [162, 101],
                "fasting": 9.4,
                "urgent": 12,
            }
        )
    parts = split_digest(residents)
    renderer = Renderer()
    for n, part in enumerate(parts, start=1):
        for locale in ("en", "zh-CN"):
            text = renderer.render(
                "care_digest",
                locale,
                day=date(2027, 4, 5),
                residents=[
                    {"name": r["name"], "entries": _items(r["items"], locale)} for r in part
                ],
                more=0,
                part=n,
                parts=len(parts),
            )
            assert len(text) <= 4096, (locale, n, len(text))
