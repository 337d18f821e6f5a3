"""One Jinja environment for every message body. Templates live per locale:
templates/<locale>/<name>.j2, HTML parse mode, so values are escaped."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path
from typing import Any, Protocol

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound
from jinja2.runtime import Context
from jinja2.utils import pass_context
from markupsafe import Markup

from jiayi.content import LOCALES, TEMPLATES_DIR
from jiayi.content.dates import day_words, full_date_words, time_words, when_words

TELEGRAM_TEXT_LIMIT = 4096


def html_format(template: str, /, **values: object) -> str:
    """`template.format(**values)` for HTML parse mode: the (translated) template is trusted
    markup, every value is escaped. The one way a typed name or text gets into a message
    that isn't rendered from a .j2 template."""
    return str(Markup(template).format(**values))


def html_escape(value: object) -> str:
    """One value, escaped for HTML parse mode (for text joined outside a template)."""
    return str(Markup.escape(value))


class SupportsNow(Protocol):
    def now(self) -> datetime: ...


class Renderer:
    """`clock` and `zone` say what "this year" is for dates in words (the year is shown only
    for other years); without a clock the wall clock is used (tools, tests of templates)."""

    def __init__(
        self,
        templates_dir: Path = TEMPLATES_DIR,
        default_locale: str = "zh-CN",
        *,
        clock: SupportsNow | None = None,
        zone: tzinfo | None = None,
    ) -> None:
        if default_locale not in LOCALES:
            raise ValueError(f"unknown locale {default_locale!r}")
        self.default_locale = default_locale
        self._clock = clock
        self._zone = zone
        self.env = Environment(
            loader=FileSystemLoader(templates_dir),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            undefined=StrictUndefined,
            enable_async=False,
        )
        # Dates and times in words, in the template's locale: {{ starts_at|when }},
        # {{ due|day }}, {{ until|time }}, {{ born|full_date }} (content/dates.py).
        self.env.filters.update(self._date_filters())

    def render(self, name: str, locale: str | None, /, **context: Any) -> str:
        """Renders templates/<locale>/<name>.j2; unknown locales fall back to the default."""
        chosen = locale if locale in LOCALES else self.default_locale
        try:
            template = self.env.get_template(f"{chosen}/{name}.j2")
        except TemplateNotFound:
            raise LookupError(f"template {name!r} missing for locale {chosen!r}") from None
        return template.render(locale=chosen, **context).strip()

    def template_names(self, locale: str, *, partials: bool = False) -> set[str]:
        """Message templates of `locale`; `partials` lists the `_`-prefixed ones templates
        import (macros such as _words.j2) instead."""
        prefix = f"{locale}/"
        names = {
            n.removeprefix(prefix).removesuffix(".j2")
            for n in self.env.list_templates(extensions=["j2"])
            if n.startswith(prefix)
        }
        return {n for n in names if n.rsplit("/", 1)[-1].startswith("_") == partials}

    def today(self, at: datetime | None = None) -> date:
        """The reader's current day: in `at`'s zone when it carries one, else the centre's."""
        now = self._clock.now() if self._clock is not None else datetime.now(UTC)
        zone = at.tzinfo if at is not None and at.tzinfo is not None else self._zone or UTC
        return now.astimezone(zone).date()

    def day_text(self, value: date | datetime, locale: str) -> str:
        """12月9日（周三） / Wed 9 Dec (content/dates.py), for text built outside a template."""
        at = value if isinstance(value, datetime) else None
        return day_words(value, self._locale(locale), today=self.today(at))

    def when_text(self, value: datetime, locale: str) -> str:
        """12月9日（周三）上午8:30 / Wed 9 Dec, 8:30 am."""
        return when_words(value, self._locale(locale), today=self.today(value))

    def time_text(self, value: time | datetime, locale: str) -> str:
        """上午8:30 / 8:30 am."""
        return time_words(value, self._locale(locale))

    def _locale(self, locale: str | None) -> str:
        return locale if locale in LOCALES else self.default_locale

    def _date_filters(self) -> dict[str, Callable[..., str]]:
        def in_words(words: Callable[[Any, str], str]) -> Callable[..., str]:
            @pass_context
            def date_filter(context: Context, value: Any) -> str:
                return "" if value is None else words(value, context.get("locale"))

            return date_filter

        return {
            "when": in_words(self.when_text),
            "day": in_words(self.day_text),
            "time": in_words(self.time_text),
            "full_date": in_words(
                lambda value, locale: full_date_words(value, self._locale(locale))
            ),
        }
