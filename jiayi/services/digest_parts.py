"""Cutting a doctor's care digest into messages that each fit Telegram's limits.

A digest names every resident with overdue items; at ~20 residents it passes the 4,096
characters of one message, and a message that is too long fails for good. So the planner
enqueues one push per part, and no resident or item is left out.
"""

from __future__ import annotations

from typing import Any

# Per part: what the resident lines may use of 4,096 characters (the title, the "part 2 of 3"
# line and the footer take the rest), and at most this many residents, each a nudge button.
PART_BUDGET = 3300
PART_MAX_RESIDENTS = 20
# What a line adds around its values (bullet, "due 2027-01-01", brackets, newlines).
RESIDENT_OVERHEAD = 6
ITEM_OVERHEAD = 30
# A home-readings line (care digest template) has no item names: its fixed wording, at its
# longest (blood pressure, fasting glucose and urgent readings, in English), is this long.
READINGS_ITEM_SIZE = 140


def _item_size(item: dict[str, Any]) -> int:
    if item.get("kind") == "readings":
        return READINGS_ITEM_SIZE
    name = max(len(str(item.get("name_zh", ""))), len(str(item.get("name_en", ""))))
    return name + len(str(item.get("person", ""))) + ITEM_OVERHEAD


def split_digest(residents: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Consecutive parts of the digest's residents, in order; a resident is never split
    unless their items alone pass the budget (then continued in the next part under the
    same name)."""
    parts: list[list[dict[str, Any]]] = []
    part: list[dict[str, Any]] = []
    used = 0
    for resident in residents:
        head = len(str(resident["name"])) + RESIDENT_OVERHEAD
        sizes = [_item_size(item) for item in resident["items"]]
        total = head + sum(sizes)
        if part and (used + total > PART_BUDGET or len(part) >= PART_MAX_RESIDENTS):
            parts.append(part)
            part, used = [], 0
        if total <= PART_BUDGET:
            part.append(resident)
            used += total
            continue
        items: list[dict[str, Any]] = []
        for item, size in zip(resident["items"], sizes, strict=True):
            if items and used + head + size > PART_BUDGET:
                parts.append([*part, {**resident, "items": items}])
                part, items, used = [], [], 0
            items.append(item)
            used += size
        part.append({**resident, "items": items})
        used += head
    if part or not parts:
        parts.append(part)
    return parts
