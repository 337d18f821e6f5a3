"""Cutting a care digest into parts: nobody and no item is lost, and each part fits."""

from __future__ import annotations

from services.digest_parts import PART_BUDGET, PART_MAX_RESIDENTS, split_digest


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
