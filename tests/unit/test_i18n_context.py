"""Every `_("…")` in a handler reaches our catalogs through aiogram's context variable.

`bot.app.CatalogI18n` subclasses aiogram's `I18n`; aiogram's `ContextInstanceMixin` gives each
subclass its own "current instance" variable, while `aiogram.utils.i18n.gettext` (our `_`) and
`get_i18n` read `I18n.get_current()`. `CatalogI18n.set_current`/`reset_current` route the
instance to I18n's variable. If aiogram changes how `I18n.context()` sets the instance or
where its helpers look it up, these tests fail rather than every button turning English.
"""

from __future__ import annotations

from aiogram.utils.i18n import I18n, get_i18n
from aiogram.utils.i18n import gettext as _

from jiayi.bot.app import build_i18n


def test_gettext_helper_finds_the_catalog_inside_context() -> None:
    """Mutation caught: deleting `CatalogI18n.set_current` (aiogram then stores the instance in
    CatalogI18n's own variable, so `_("Cancel")` raised LookupError "I18n context is not
    set")."""
    i18n = build_i18n("en")
    with i18n.context(), i18n.use_locale("zh-CN"):
        assert _("Cancel") == "取消"
        assert get_i18n() is i18n
    with i18n.context(), i18n.use_locale("en"):
        assert _("Cancel") == "Cancel"


def test_leaving_the_context_forgets_the_instance() -> None:
    """Mutation caught: deleting `CatalogI18n.reset_current` (aiogram resets CatalogI18n's own
    variable with a token of I18n's: ValueError "was created by a different ContextVar" on
    leaving the context)."""
    i18n = build_i18n("zh-CN")
    before = I18n.get_current()
    with i18n.context():
        assert I18n.get_current() is i18n
    assert I18n.get_current() is before
    assert before is not i18n
