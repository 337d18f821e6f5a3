"""Splitting a doctor's list into pages that fit one Telegram message and one keyboard.

Telegram refuses a message over 4,096 characters and a keyboard over 100 buttons, so a list
whose length residents control (names, questions) is cut into pages by size as well as count.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData

from jiayi.bot.aiogram_shim import InlineKeyboardBuilder

# Of Telegram's 4,096 characters: what a page's rows may use, leaving room for the title,
# the footer and the page line that the template adds around them.
TEXT_BUDGET = 3500
# What a row adds around the typed values in it (time, separators, codes, numbering).
ROW_OVERHEAD = 40


def split_pages(sizes: Sequence[int], *, per_page: int, budget: int = TEXT_BUDGET) -> list[range]:
    """Consecutive pages of item indexes: at most `per_page` items and `budget` characters
    each (an item larger than the budget gets a page of its own). Never empty: no items is
    one empty page."""
    pages: list[range] = []
    start, used = 0, 0
    for i, size in enumerate(sizes):
        if i > start and (used + size > budget or i - start >= per_page):
            pages.append(range(start, i))
            start, used = i, 0
        used += size
    pages.append(range(start, len(sizes)))
    return pages


def clamp(page: int, pages: Sequence[range]) -> int:
    """A page number from a button (possibly old or forged) that exists now."""
    return min(max(page, 0), len(pages) - 1)


def add_nav(
    kb: InlineKeyboardBuilder,
    page: int,
    pages: int,
    to: type[CallbackData],
    **fields: object,
) -> int:
    """Adds ◀ ▶ buttons for a list with more than one page; returns how many it added."""
    added = 0
    if page > 0:
        kb.button(text="◀", callback_data=to(page=page - 1, **fields))
        added += 1
    if page + 1 < pages:
        kb.button(text="▶", callback_data=to(page=page + 1, **fields))
        added += 1
    return added
