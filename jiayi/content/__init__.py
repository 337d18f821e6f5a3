"""Text residents and doctors read: templates, translation catalogs and notices, as data."""

from __future__ import annotations

from pathlib import Path

CONTENT_DIR = Path(__file__).parent
LOCALES_DIR = CONTENT_DIR / "locales"
TEMPLATES_DIR = CONTENT_DIR / "templates"
LOCALES = ("zh-CN", "en")
GETTEXT_DOMAIN = "messages"

# Bump when the consent notice in templates/*/onboarding/consent.j2 changes in substance.
CONSENT_NOTICE_VERSION = "2026-11-v1"
