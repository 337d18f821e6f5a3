"""Care-plan pushes: item reminders (alone, or several on one household card) and doctors'
nudges to residents, and the doctors' digest of overdue items.

Dedupe keys: `care:<person key>:<rule>:<due yyyymmdd>:<step>` per item and window step (so
completing an item withdraws everything under `item_prefix`), `carenudge:<resident>:<day>`,
`caredigest:<doctor>:<day>[:<part>]`. A household card's row is keyed by its first item and
carries every item's key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, ClassVar

from jiayi.content.localized import pick
from jiayi.services.digest_parts import PART_MAX_RESIDENTS
from jiayi.services.push.base import (
    VERSION_KEY,
    Raw,
    day,
    dump,
    load,
    optional_int,
    optional_str,
    version_of,
)
from jiayi.services.push.kinds import PushKind
from jiayi.storage.outbox import CardEdit

# A digest part lists this many residents at most (each with a nudge button). The planner
# cuts digests into parts of that size (services.digest_parts); older payloads may be longer.
DIGEST_MAX_RESIDENTS = PART_MAX_RESIDENTS
READINGS_LINE = "readings"


# --- dedupe keys ----------------------------------------------------------------------------


# Every care-item reminder's key starts so (nudges and digests have their own).
REMINDER_PREFIX = "care:"


def person_prefix(person_key: str) -> str:
    """Every care reminder about one person (`r:<resident id>` or `m:<member id>`)."""
    return f"{REMINDER_PREFIX}{person_key}:"


def member_prefix(member_id: int) -> str:
    return person_prefix(f"m:{member_id}")


def item_prefix(person_key: str, rule_id: str) -> str:
    """Every reminder of one person's care item, whatever its due date and step."""
    return f"{person_prefix(person_key)}{rule_id}:"


def reminder_key(prefix: str, due: date, step: str) -> str:
    """`prefix` from `item_prefix`; `step` is "open", "late" or "snooze<yyyymmdd>"."""
    return f"{prefix}{due:%Y%m%d}:{step}"


def nudge_key(resident_id: int, today: date) -> str:
    return f"carenudge:{resident_id}:{today:%Y%m%d}"


def digest_key(doctor_id: int, today: date, part: int) -> str:
    suffix = "" if part == 1 else f":{part}"
    return f"caredigest:{doctor_id}:{today:%Y%m%d}{suffix}"


# --- item reminders -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CareReminder:
    """One care item due: pushed alone, or one line of a household card."""

    KIND: ClassVar[PushKind] = PushKind.CARE_REMINDER

    rule: str
    name_zh: str
    name_en: str
    member_id: int  # 0: the resident themselves
    person: str
    own: bool  # the resident's own item (JSON "self")
    due: date
    dose: int | None = None
    step: str | None = None
    overdue: bool = False
    service_id: int | None = None  # "Book now" goes straight to it
    # Children's vaccines: check the 预防接种证 before booking (no duplicate dose).
    check_record: bool = False
    note_zh: str | None = None
    note_en: str | None = None
    version: int = 1

    def name(self, locale: str) -> str:
        return pick(self.name_zh, self.name_en, locale)

    def note(self, locale: str) -> str | None:
        return pick(self.note_zh, self.note_en, locale)

    def fields(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "member_id": self.member_id,
            "person": self.person,
            "self": self.own,
            "due": self.due.isoformat(),
            "dose": self.dose,
            "step": self.step,
            "overdue": self.overdue,
            "service_id": self.service_id,
            "check_record": self.check_record,
            "note_zh": self.note_zh,
            "note_en": self.note_en,
        }

    def to_json(self) -> str:
        return dump(self.fields(), sort_keys=True)

    @classmethod
    def read(cls, raw: Raw) -> CareReminder:
        return cls(
            rule=str(raw["rule"]),
            name_zh=str(raw["name_zh"]),
            name_en=str(raw["name_en"]),
            member_id=int(raw.get("member_id") or 0),
            person=str(raw["person"]),
            own=bool(raw["self"]),
            due=day(raw["due"]),
            dose=optional_int(raw.get("dose")),
            step=optional_str(raw.get("step")),
            overdue=bool(raw.get("overdue")),
            service_id=optional_int(raw.get("service_id")),
            check_record=bool(raw.get("check_record")),
            note_zh=optional_str(raw.get("note_zh")),
            note_en=optional_str(raw.get("note_en")),
            version=version_of(raw),
        )

    @classmethod
    def from_json(cls, text: str) -> CareReminder:
        return cls.read(load(text))


@dataclass(frozen=True, slots=True)
class CardItem:
    reminder: CareReminder
    key: str | None  # its own reminder key (None in cards written before keys travelled)
    # Booked or done after the card was queued: no longer shown (set by the storage layer).
    withdrawn: bool = False


@dataclass(frozen=True, slots=True)
class CareCard:
    """Everything due for a household on one day, one line and one button per item: a new
    resident or a parent added late has several at once, and five cards in a morning is a
    flood."""

    KIND: ClassVar[PushKind] = PushKind.CARE_REMINDER

    items: tuple[CardItem, ...]
    version: int = 2

    @classmethod
    def of(cls, keys: Iterable[str], reminders: Iterable[CareReminder]) -> CareCard:
        return cls(
            tuple(CardItem(r, k) for k, r in zip(keys, reminders, strict=True)),
        )

    def shown(self) -> list[CareReminder]:
        return [i.reminder for i in self.items if not i.withdrawn]

    def keys(self) -> set[str]:
        return {i.key for i in self.items if i.key is not None}

    def to_json(self) -> str:
        items: list[dict[str, object]] = []
        for item in self.items:
            fields = item.reminder.fields()
            if item.key is not None:
                fields["key"] = item.key
            if item.withdrawn:
                fields["withdrawn"] = True
            items.append(fields)
        return dump({VERSION_KEY: self.version, "items": items}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> CareCard:
        raw = load(text)
        return cls(
            tuple(
                CardItem(
                    CareReminder.read(i),
                    optional_str(i.get("key")),
                    bool(i.get("withdrawn")),
                )
                for i in raw["items"]
            ),
            version=version_of(raw),
        )


def care_reminder_from_json(text: str) -> CareReminder | CareCard:
    """A care-reminder row holds one item or a household card (several)."""
    raw = load(text)
    return CareCard.from_json(text) if "items" in raw else CareReminder.read(raw)


# Only a household card's payload has a list of items.
CARD_MARKER = '"items": ['


def withdraw_from_card(payload: str, prefix: str) -> tuple[str, bool] | None:
    """The card with its items under `prefix` withdrawn (kept listed, not shown, so the card
    still records their keys), and whether any item is left; None if none was shown."""
    card = CareCard.from_json(payload)
    items = tuple(
        replace(i, withdrawn=True) if i.key is not None and i.key.startswith(prefix) else i
        for i in card.items
    )
    if items == card.items:
        return None
    smaller = replace(card, items=items)
    return smaller.to_json(), bool(smaller.shown())


def _mentions(prefix: str) -> str:
    return dump({"key": prefix}, sort_keys=True)[1:-2]  # '"key": "<prefix>', as written


# How storage takes care items out of a queued card (storage/outbox CardEdit).
CARD_EDIT = CardEdit(marker=CARD_MARKER, mentions=_mentions, withdraw=withdraw_from_card)


def card_keys(text: str) -> set[str]:
    """The reminder keys a queued household card covers (none for a single reminder)."""
    try:
        found = care_reminder_from_json(text)
    except (ValueError, KeyError, TypeError):
        return set()
    return found.keys() if isinstance(found, CareCard) else set()


# --- nudges and digests ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CareLine:
    """One line of a nudge or a digest: an overdue care item, or (digests only) a resident's
    week of home readings above target (`readings`; the item names are then empty)."""

    person: str
    own: bool
    name_zh: str
    name_en: str
    due: date
    readings: bool = False
    bp: tuple[int, int] | None = None
    fasting: float | None = None
    urgent: int = 0

    def name(self, locale: str) -> str:
        return pick(self.name_zh, self.name_en, locale)

    def fields(self) -> dict[str, object]:
        fields: dict[str, object] = {
            "person": self.person,
            "self": self.own,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "due": self.due.isoformat(),
        }
        if self.readings:
            fields |= {
                "kind": READINGS_LINE,
                "bp": list(self.bp) if self.bp else None,
                "fasting": self.fasting,
                "urgent": self.urgent,
            }
        return fields

    @classmethod
    def read(cls, raw: Raw) -> CareLine:
        # Payloads queued before home readings have no "kind": those are care items.
        bp = raw.get("bp")
        fasting = raw.get("fasting")
        return cls(
            person=str(raw["person"]),
            own=bool(raw["self"]),
            name_zh=str(raw.get("name_zh", "")),
            name_en=str(raw.get("name_en", "")),
            due=day(raw["due"]),
            readings=raw.get("kind") == READINGS_LINE,
            bp=(int(bp[0]), int(bp[1])) if bp else None,
            fasting=float(fasting) if fasting is not None else None,
            urgent=int(raw.get("urgent") or 0),
        )


@dataclass(frozen=True, slots=True)
class CareNudge:
    """A doctor's one-tap reminder to a resident about their overdue items."""

    KIND: ClassVar[PushKind] = PushKind.CARE_NUDGE

    doctor: str
    items: tuple[CareLine, ...]
    version: int = 1

    def to_json(self) -> str:
        return dump(
            {"doctor": self.doctor, "items": [i.fields() for i in self.items]}, sort_keys=True
        )

    @classmethod
    def from_json(cls, text: str) -> CareNudge:
        raw = load(text)
        return cls(
            doctor=str(raw["doctor"]),
            items=tuple(CareLine.read(i) for i in raw["items"]),
            version=version_of(raw),
        )


@dataclass(frozen=True, slots=True)
class DigestEntry:
    resident_id: int
    name: str
    items: tuple[CareLine, ...]

    def has_care_item(self) -> bool:
        return any(not i.readings for i in self.items)

    def fields(self) -> dict[str, Any]:
        return {
            "id": self.resident_id,
            "name": self.name,
            "items": [i.fields() for i in self.items],
        }

    @classmethod
    def read(cls, raw: Raw) -> DigestEntry:
        return cls(int(raw["id"]), str(raw["name"]), tuple(CareLine.read(i) for i in raw["items"]))

    def without_member(self, member_name: str | None) -> DigestEntry | None:
        """This entry without a family member's items (None: the whole resident, or nothing
        left of it)."""
        if member_name is None:
            return None
        kept = tuple(i for i in self.items if i.own or i.person != member_name)
        return replace(self, items=kept) if kept else None


@dataclass(frozen=True, slots=True)
class CareDigest:
    """A doctor's digest (or one part of it) of their residents' overdue items."""

    KIND: ClassVar[PushKind] = PushKind.CARE_DIGEST

    day: date
    residents: tuple[DigestEntry, ...]
    part: int = 1
    parts: int = 1
    version: int = 1

    def shown(self) -> tuple[DigestEntry, ...]:
        return self.residents[:DIGEST_MAX_RESIDENTS]

    def nudgeable(self) -> list[tuple[int, str]]:
        """(resident id, name) of the residents shown with a care item: one listed for home
        readings alone has nothing overdue to be reminded of."""
        return [(r.resident_id, r.name) for r in self.shown() if r.has_care_item()]

    def to_json(self) -> str:
        return dump(
            {
                "day": self.day.isoformat(),
                "part": self.part,
                "parts": self.parts,
                "residents": [r.fields() for r in self.residents],
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> CareDigest:
        raw = load(text)
        return cls(
            day=day(raw["day"]),
            residents=tuple(DigestEntry.read(r) for r in raw["residents"]),
            part=int(raw.get("part", 1)),
            parts=int(raw.get("parts", 1)),
            version=version_of(raw),
        )
