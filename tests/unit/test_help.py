"""/help lists every command in the resident's command menu, in both languages; the doctor
gate's command list stays in step with the doctors' command menu."""

from __future__ import annotations

import re

import pytest

from jiayi.bot.app import build_i18n
from jiayi.bot.commands import doctor_commands, resident_commands
from jiayi.bot.doctor.gate import DOCTOR_COMMANDS
from jiayi.content import LOCALES
from jiayi.content.render import Renderer


def _commands(listing: str) -> set[str]:
    return set(re.findall(r"^/([a-z]+) —", listing, flags=re.MULTILINE))


@pytest.mark.parametrize("locale", LOCALES)
def test_help_lists_every_resident_command(locale: str) -> None:
    i18n = build_i18n("zh-CN")
    with i18n.context(), i18n.use_locale(locale):
        menu = {c.command for c in resident_commands()}
    assert _commands(Renderer().render("help", locale)) == menu


def test_the_consent_gate_knows_every_doctor_only_command() -> None:
    i18n = build_i18n("zh-CN")
    with i18n.context(), i18n.use_locale("en"):
        doctors = {c.command for c in doctor_commands()}
        residents = {c.command for c in resident_commands()}
    assert doctors - residents == DOCTOR_COMMANDS
