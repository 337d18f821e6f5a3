"""Every table that can hold a resident's data is exported and erased — checked against the
metadata, so a table added later fails here by name until it is covered."""

from __future__ import annotations

from sqlalchemy import Table

from jiayi.services import privacy
from jiayi.storage import models as m
from jiayi.storage.privacy import SUBJECT_TABLES, subject_columns

ERASABLE = {"CASCADE", "SET NULL"}


def personal_tables() -> dict[str, str]:
    """Tables holding someone's data, with why: a reference to a resident or family member
    (directly or through another such table), or a Telegram id."""
    found: dict[str, str] = dict.fromkeys(SUBJECT_TABLES, "is a data subject")
    changed = True
    while changed:
        changed = False
        for table in m.Base.metadata.sorted_tables:
            if table.name in found:
                continue
            for fk in table.foreign_keys:
                if fk.column.table.name in found:
                    found[table.name] = f"references {fk.column.table.name}"
                    changed = True
                    break
    # A Telegram id makes a table personal, but rows referencing it are not (a doctor's slots).
    for table in m.Base.metadata.sorted_tables:
        if table.name not in found and any("telegram" in c.name for c in table.columns):
            found[table.name] = "holds a Telegram id"
    return found


def test_every_personal_table_is_exported_or_excluded_with_a_reason() -> None:
    exported = {t for s in privacy.export_sections() for t in s.tables}
    excluded = set(privacy.EXCLUDED_FROM_EXPORT)
    missing = {
        name: why
        for name, why in personal_tables().items()
        if name not in exported and name not in excluded
    }
    assert missing == {}, (
        "add an export section (services/privacy.py: export_section / table_section) or an "
        f"entry in EXCLUDED_FROM_EXPORT with the reason, for: {missing}"
    )
    assert not exported & excluded
    assert all(privacy.EXCLUDED_FROM_EXPORT.values())


def _erasure_gaps(table: Table, personal: dict[str, str]) -> list[str]:
    gaps: list[str] = []
    if not personal.get(table.name, "").startswith("references"):
        return gaps
    direct = {column for column, _, _ in subject_columns(table)}
    for fk in table.foreign_keys:
        referred = fk.column.table.name
        if not personal.get(referred, "").startswith(("references", "is a")):
            continue
        if fk.parent.name in direct:
            continue  # direct references are deleted (or unlinked) by the generic erasure
        if (fk.ondelete or "").upper() not in ERASABLE:
            gaps.append(f"{table.name}.{fk.parent.name} -> {referred} (ON DELETE {fk.ondelete})")
    return gaps


def test_erasure_reaches_every_personal_table() -> None:
    personal = personal_tables()
    handled = {t for step in privacy.erasure_steps() for t in step.tables}
    gaps = [
        gap
        for t in m.Base.metadata.sorted_tables
        if t.name not in handled
        for gap in _erasure_gaps(t, personal)
    ]
    assert gaps == [], (
        "rows that hang off a resident's rows must go with them (ON DELETE CASCADE or SET "
        f"NULL), or be handled by an erasure_step: {gaps}"
    )


def test_telegram_ids_outside_residents_are_accounted_for() -> None:
    holders = {
        t.name
        for t in m.Base.metadata.sorted_tables
        if any("telegram" in c.name for c in t.columns) and t.name not in SUBJECT_TABLES
    }
    assert holders <= set(privacy.EXCLUDED_FROM_EXPORT) | {
        t for s in privacy.export_sections() for t in s.tables
    }


def test_section_and_step_names_are_unique_and_named_tables_exist() -> None:
    tables = set(m.Base.metadata.tables)
    for section in privacy.export_sections():
        assert set(section.tables) <= tables, section.name
    assert {s.name for s in privacy.erasure_steps()} >= {"bookings", "statistics"}
