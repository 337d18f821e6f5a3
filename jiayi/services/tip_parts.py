"""A planned tip as its recipient reads it: the main part and an optional household (carer)
section, each as its one-screen summary first and the body behind "More"."""

from __future__ import annotations

from dataclasses import dataclass

from jiayi.content.tips import Audience, Library
from jiayi.services.push.tip import TipPayload


@dataclass(frozen=True)
class TipParts:
    """A planned tip as the recipient reads it: the main part and an optional carer section."""

    tip_id: str
    audience: Audience
    household: Audience | None

    @classmethod
    def of(cls, tip_id: str, payload: TipPayload) -> TipParts:
        return cls(tip_id, payload.audience, payload.household)

    @classmethod
    def from_payload(cls, tip_id: str, payload: str) -> TipParts:
        return cls.of(tip_id, TipPayload.from_json(payload))

    def parts(self) -> tuple[Audience, ...]:
        return (self.audience,) if self.household is None else (self.audience, self.household)


HOUSEHOLD_SEPARATOR = "\n\n"


def render_tip(
    library: Library, parts: TipParts, locale: str, *, full: bool, **context: object
) -> tuple[str, bool]:
    """The text of a tip and whether a "More" button should offer the rest.

    The first message is each part's summary (or its body when it has none); `full` gives
    the bodies of the parts that had a summary — what the "More" button sends.
    """
    chosen = [a for a in parts.parts() if not full or library.has_summary(parts.tip_id, a)]
    texts = [
        library.render(parts.tip_id, a, locale, part="body" if full else "summary", **context)
        for a in chosen
    ]
    more = not full and any(library.has_summary(parts.tip_id, a) for a in parts.parts())
    return HOUSEHOLD_SEPARATOR.join(texts), more
