"""Gettext catalogs. The .po files are the source; they are compiled in memory at start-up,
so no binary .mo file can drift from what translators wrote."""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterable, Mapping
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from jiayi.content import CONTENT_DIR, GETTEXT_DOMAIN, LOCALES, LOCALES_DIR

PROJECT_DIR = CONTENT_DIR.parent
SOURCE_DIRS = ("bot", "services", "scheduler", "webconsole")
# The web console's Jinja templates: `{{ _("…") }}` calls, found by Jinja's Babel extractor.
METHOD_MAP = [("**.py", "python"), ("templates/**.html", "jinja2.ext:babel_extract")]
KEYWORDS = {"_": None, "__": None, "gettext": None, "lazy_gettext": None}


def po_path(locale: str, base: Path = LOCALES_DIR) -> Path:
    return base / locale / "LC_MESSAGES" / f"{GETTEXT_DOMAIN}.po"


def read_catalog(locale: str, base: Path = LOCALES_DIR) -> Catalog:
    with po_path(locale, base).open("rb") as fp:
        return read_po(fp, locale=locale.replace("-", "_"))


def compile_catalog(catalog: Catalog) -> gettext.GNUTranslations:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def load_translations(
    base: Path = LOCALES_DIR, locales: Iterable[str] = LOCALES
) -> dict[str, gettext.GNUTranslations]:
    return {locale: compile_catalog(read_catalog(locale, base)) for locale in locales}


def extract_messages(project_dir: Path = PROJECT_DIR) -> dict[str, list[tuple[str, int]]]:
    """Every translatable msgid in the source, with where it is used."""
    found: dict[str, list[tuple[str, int]]] = {}
    for folder in SOURCE_DIRS:
        root = project_dir / folder
        if not root.is_dir():
            continue
        for filename, lineno, message, _comments, _context in extract_from_dir(
            str(root), method_map=METHOD_MAP, keywords=KEYWORDS
        ):
            if isinstance(message, str):
                found.setdefault(message, []).append((f"{folder}/{filename}", lineno))
    return found


def update_catalogs(
    translations: Mapping[str, Mapping[str, str]] | None = None, base: Path = LOCALES_DIR
) -> dict[str, list[str]]:
    """Brings both .po files in line with the source. English is the source language, so its
    catalog mirrors the msgids; returns, per locale, msgids still lacking a translation."""
    messages = extract_messages()
    missing: dict[str, list[str]] = {}
    for locale in LOCALES:
        path = po_path(locale, base)
        old = (
            read_catalog(locale, base)
            if path.exists()
            else Catalog(locale=locale.replace("-", "_"))
        )
        new = Catalog(locale=locale.replace("-", "_"), project="jiayi", fuzzy=False)
        extra = (translations or {}).get(locale, {})
        for msgid, locations in sorted(messages.items()):
            previous = old.get(msgid)
            text = extra.get(msgid) or (previous.string if previous else "")
            if locale == "en" and not text:
                text = msgid
            new.add(msgid, string=text, locations=locations)
            if not text:
                missing.setdefault(locale, []).append(msgid)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fp:
            write_po(fp, new, width=0, omit_header=False, sort_output=True, include_lineno=False)
    return missing
