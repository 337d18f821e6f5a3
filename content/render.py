"""One Jinja environment for every message body. Templates live per locale:
templates/<locale>/<name>.j2, HTML parse mode, so values are escaped."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound
from markupsafe import Markup

from content import LOCALES, TEMPLATES_DIR

TELEGRAM_TEXT_LIMIT = 4096


def html_format(template: str, /, **values: object) -> str:
    """`template.format(**values)` for HTML parse mode: the (translated) template is trusted
    markup, every value is escaped. The one way a typed name or text gets into a message
    that isn't rendered from a .j2 template."""
    return str(Markup(template).format(**values))


def html_escape(value: object) -> str:
    """One value, escaped for HTML parse mode (for text joined outside a template)."""
    return str(Markup.escape(value))


class Renderer:
    def __init__(self, templates_dir: Path = TEMPLATES_DIR, default_locale: str = "zh-CN") -> None:
        if default_locale not in LOCALES:
            raise ValueError(f"unknown locale {default_locale!r}")
        self.default_locale = default_locale
        self.env = Environment(
            loader=FileSystemLoader(templates_dir),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            undefined=StrictUndefined,
            enable_async=False,
        )
        self.env.filters["ymd"] = _ymd

    def render(self, name: str, locale: str | None, /, **context: Any) -> str:
        """Renders templates/<locale>/<name>.j2; unknown locales fall back to the default."""
        chosen = locale if locale in LOCALES else self.default_locale
        try:
            template = self.env.get_template(f"{chosen}/{name}.j2")
        except TemplateNotFound:
            raise LookupError(f"template {name!r} missing for locale {chosen!r}") from None
        return template.render(locale=chosen, **context).strip()

    def template_names(self, locale: str) -> set[str]:
        prefix = f"{locale}/"
        return {
            n.removeprefix(prefix).removesuffix(".j2")
            for n in self.env.list_templates(extensions=["j2"])
            if n.startswith(prefix)
        }


def _ymd(value: date | datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d")
