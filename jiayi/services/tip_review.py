"""Which tips count as clinically signed off: the tip file's own `review`, or a clinician's
sign-off in the console of the tip's current content (see services/content_review.py for
why both exist). Small and import-light: the planner reads it."""

from __future__ import annotations

import hashlib

from jiayi.content.tips import Library, Tip
from jiayi.storage.uow import UnitOfWork


def content_hash(tip: Tip) -> str:
    """A fingerprint of what a clinician reads and relies on: texts, sources, audiences.
    Editing any of it makes a console sign-off stale."""
    data = tip.model_dump_json(exclude={"review", "review_by"})
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


async def console_signed_off(uow: UnitOfWork, library: Library) -> frozenset[str]:
    """Tips signed off in the console for their current content (inside an open uow)."""
    signoffs = await uow.reviews.latest_signoffs()
    return frozenset(
        tip_id
        for tip_id, signoff in signoffs.items()
        if tip_id in library.tips and signoff.content_hash == content_hash(library.tips[tip_id])
    )
