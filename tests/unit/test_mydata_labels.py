"""/mydata names every section of the export in the resident's words, never by its internal
name (`roster_record`, `home_readings` showed raw before)."""

from __future__ import annotations

from jiayi.bot.resident.privacy import SECTION_LABELS, SUMMARY_SECTIONS
from jiayi.services import privacy


def test_every_export_section_has_a_label_a_resident_reads() -> None:
    unnamed = [
        section.name
        for section in privacy.export_sections()
        if section.name not in SECTION_LABELS and section.name not in SUMMARY_SECTIONS
    ]
    assert unnamed == []
