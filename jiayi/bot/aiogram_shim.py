"""Three small fixes for aiogram's per-call cost, kept here instead of a fork (issue #14).

They change how fast aiogram does its work, never what it sends, parses or decides.

1. `KeepAliveSession`: aiogram's `BaseSession.check_response` evaluates
   `Response[method.__returning__]` on every call. pydantic keeps parametrised generic classes
   in a cache that holds them *weakly*, so once the last `Response[Message]` is collected, the
   next call rebuilds the whole class and its validator (`complete_model_class`, milliseconds
   each; 41 rebuilds in 1,000 sends were measured, benchmarks/README.md). The session keeps
   one strong reference per returned type, so each is built once per process.
2. `InlineKeyboardBuilder`: aiogram's builder returns `deepcopy(self._markup)` from `export()`
   (and so from `as_markup()`), deep-copying every pydantic button. Our builders are local to
   one keyboard function and dropped right after, so nothing can change the buttons behind
   the markup's back: a copy of the rows (the lists) is enough.

3. `inline_sync_filters`: aiogram runs every filter that is not a coroutine function through
   `asyncio.to_thread` (`CallableObject.call`), magic filters (`F.text`, `F.data == …`)
   included. Each is a trip to the default thread pool and back for a predicate that takes
   microseconds: six of them for a `/help` (profile in benchmarks/README.md), and under load
   each wake-up of a thread costs more than the whole predicate. Filters are predicates on
   the update; they must not block, so they are evaluated in the event loop's thread.

Upstream-style: each would be a few lines in aiogram itself; if aiogram does one, drop the
matching piece here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self

from aiogram import Bot, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.dispatcher.event.handler import FilterObject
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder as _AiogramInlineKeyboardBuilder


class KeepAliveSession(AiohttpSession):
    """aiogram's aiohttp session, holding every `Response[...]` class it has used."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._response_types: dict[Any, type[Response[Any]]] = {}

    def check_response(
        self, bot: Bot, method: TelegramMethod[Any], status_code: int, content: str
    ) -> Response[Any]:
        returning = method.__returning__
        if returning not in self._response_types:
            self._response_types[returning] = Response[returning]  # type: ignore[valid-type]
        return super().check_response(bot, method, status_code, content)


class InlineKeyboardBuilder(_AiogramInlineKeyboardBuilder):
    """aiogram's builder without the deep copy on export (see the module docstring).

    It also types the chaining methods precisely: aiogram declares `add`/`row`/`adjust` on its
    generic `KeyboardBuilder` as returning `KeyboardBuilder[ButtonType]`, whose `as_markup()`
    is `InlineKeyboardMarkup | ReplyKeyboardMarkup`; so `kb.adjust(1).as_markup()` lost the
    inline type at every call site. Here they return `Self` (they do return `self`), and
    `as_markup()` returns `InlineKeyboardMarkup`.
    """

    def export(self) -> list[list[InlineKeyboardButton]]:
        return [list(row) for row in self._markup]

    def add(self, *buttons: InlineKeyboardButton) -> Self:
        super().add(*buttons)
        return self

    def row(self, *buttons: InlineKeyboardButton, width: int | None = None) -> Self:
        super().row(*buttons, width=width)
        return self

    def adjust(self, *sizes: int, repeat: bool = False) -> Self:
        super().adjust(*sizes, repeat=repeat)
        return self

    def as_markup(self, **kwargs: Any) -> InlineKeyboardMarkup:
        return super().as_markup(**kwargs)


def inline_sync_filters(router: Router) -> int:
    """Makes every synchronous filter of `router` and its sub-routers awaitable, so aiogram
    calls it in the event loop instead of in a thread; returns how many it changed. Call it
    once the routers are assembled (filters registered later keep aiogram's behaviour)."""
    changed = 0
    for each in router.chain_tail:
        for observer in each.observers.values():
            for handler in [observer._handler, *observer.handlers]:
                for event_filter in handler.filters or ():
                    if not event_filter.awaitable:
                        _await_inline(event_filter)
                        changed += 1
    return changed


def _await_inline(event_filter: FilterObject) -> None:
    sync: Callable[..., Any] = event_filter.callback

    async def inline(*args: Any, **kwargs: Any) -> Any:
        return sync(*args, **kwargs)

    # `params`/`varkw` were read from the original signature and still pick its arguments.
    event_filter.callback = inline
    event_filter.awaitable = True
