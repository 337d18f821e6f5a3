"""Whose data may be used now and who may receive a push now, as SQL conditions shared by the
features that choose residents in advance (care reminders, digests, broadcasts)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_

from jiayi.storage import models as m


def consent_in_force(consent_version: str) -> ColumnElement[bool]:
    """Consent not withdrawn and given to the notice `consent_version` (the one in force)."""
    r = m.Resident
    return and_(r.consent_withdrawn_at.is_(None), r.consent_version == consent_version)


def may_receive_pushes(consent_version: str | None) -> ColumnElement[bool]:
    """Signed up, reachable, not paused and consent in force (not withdrawn, and given to
    `consent_version` when one is named). Queuing for anyone else only burns dedupe keys: the
    dispatcher skips the message, and once consent is given again the push never comes."""
    r = m.Resident
    return and_(
        r.onboarded_at.is_not(None),
        r.reachable.is_(True),
        r.pushes_paused_at.is_(None),
        r.consent_withdrawn_at.is_(None)
        if consent_version is None
        else consent_in_force(consent_version),
    )
