"""Dry run and apply of a roster import (see the package's docstring)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from zoneinfo import ZoneInfo

from jiayi.services.clock import Clock
from jiayi.services.console import Actor
from jiayi.services.errors import DomainError, InvalidInput, NotAllowed, NotFound
from jiayi.services.roster.cells import (
    HEADER_LOOKUP,
    MAX_NAME,
    SEX_WORDS,
    Field,
    header_key,
    normalise_phone,
    parse_birth,
    parse_conditions,
    parse_date,
    read_table,
)
from jiayi.storage.records import Condition, Sex
from jiayi.storage.roster import RosterEntryRecord
from jiayi.storage.uow import UnitOfWork

MAX_ROWS = 20_000


@dataclass(frozen=True, slots=True)
class RowError:
    """What is wrong with one cell or row; the console words it in the operator's language."""

    code: str  # bad_phone, missing_phone, missing_name, name_too_long, bad_birth, bad_sex,
    # unknown_condition, unknown_doctor, ambiguous_doctor, missing_doctor, other_doctor,
    # bad_date, contract_dates, duplicate_row, pregnant_male, other_doctors_entry
    field: Field | None = None
    value: str = ""
    other_row: int | None = None


class RowAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class ParsedRow:
    name: str
    phone: str
    birth_year: int | None
    birth_date: date | None
    sex: Sex | None
    conditions: frozenset[Condition]
    doctor_id: int | None
    contract_starts_on: date | None
    contract_ends_on: date | None

    def values(self) -> dict[str, object]:
        return {
            "name": self.name,
            "phone": self.phone,
            "birth_year": self.birth_year,
            "birth_date": self.birth_date,
            "sex": self.sex.value if self.sex else None,
            "conditions": ",".join(sorted(c.value for c in self.conditions)),
            "doctor_id": self.doctor_id,
            "contract_starts_on": self.contract_starts_on,
            "contract_ends_on": self.contract_ends_on,
        }


@dataclass(frozen=True, slots=True)
class RowResult:
    row: int  # the spreadsheet's row number (the header is row 1 when it is the first row)
    name: str
    phone: str  # as normalised (E.164), or as written when it is not a phone number
    doctor_name: str | None
    action: RowAction
    errors: tuple[RowError, ...] = ()
    changed: tuple[str, ...] = ()  # fields an update changes
    parsed: ParsedRow | None = None
    entry_id: int | None = None
    resident_id: int | None = None  # the entry is a resident's already (matched)


@dataclass(frozen=True, slots=True)
class RosterPreview:
    centre_id: int
    rows: tuple[RowResult, ...]
    removed: int  # unmatched entries in scope the file no longer lists: deleted on apply
    token: str
    missing_columns: tuple[Field, ...] = ()
    unknown_columns: tuple[str, ...] = ()
    applied: bool = False
    removed_ids: tuple[int, ...] = field(default=(), repr=False)

    @property
    def errors(self) -> int:
        return sum(1 for r in self.rows if r.action is RowAction.ERROR)

    def count(self, action: RowAction) -> int:
        return sum(1 for r in self.rows if r.action is action)

    @property
    def can_apply(self) -> bool:
        return not self.errors and not self.missing_columns and bool(self.rows)


@dataclass(frozen=True, slots=True)
class _Doctor:
    id: int
    name: str
    link_code: str


class _Doctors:
    def __init__(self, rows: Iterable[tuple[int, str, str, bool]]) -> None:
        self.all = [_Doctor(i, n, c) for i, n, c, active in rows if active]
        self.by_id = {d.id: d for d in self.all}

    def find(self, text: str) -> list[_Doctor]:
        wanted = " ".join(text.split())
        by_code = [d for d in self.all if d.link_code.lower() == wanted.lower()]
        if by_code:
            return by_code
        return [d for d in self.all if " ".join(d.name.split()) == wanted]


# --- dry run and apply ----------------------------------------------------------------------


def _columns(header: Sequence[str]) -> tuple[dict[Field, int], list[str]]:
    columns: dict[Field, int] = {}
    unknown: list[str] = []
    for index, name in enumerate(header):
        found = HEADER_LOOKUP.get(header_key(name))
        if found is None:
            if name.strip():
                unknown.append(name.strip())
        elif found not in columns:
            columns[found] = index
    return columns, unknown


def _parse_row(
    cells: Sequence[str],
    columns: dict[Field, int],
    doctors: _Doctors,
    actor: Actor,
    today: date,
) -> tuple[ParsedRow | None, list[RowError], str, str, str | None]:
    def cell(f: Field) -> str:
        index = columns.get(f)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    errors: list[RowError] = []
    name = " ".join(cell(Field.NAME).split())
    if not name:
        errors.append(RowError("missing_name", Field.NAME))
    elif len(name) > MAX_NAME:
        errors.append(RowError("name_too_long", Field.NAME))
    written_phone = cell(Field.PHONE)
    phone = normalise_phone(written_phone)
    if not written_phone:
        errors.append(RowError("missing_phone", Field.PHONE))
    elif phone is None:
        errors.append(RowError("bad_phone", Field.PHONE, written_phone))
    birth_year: int | None = None
    birth_date: date | None = None
    try:
        birth_year, birth_date = parse_birth(cell(Field.BIRTH), today)
    except ValueError:
        errors.append(RowError("bad_birth", Field.BIRTH, cell(Field.BIRTH)))
    sex: Sex | None = None
    if cell(Field.SEX):
        sex = SEX_WORDS.get(cell(Field.SEX).lower())
        if sex is None:
            errors.append(RowError("bad_sex", Field.SEX, cell(Field.SEX)))
    conditions, unknown = parse_conditions(cell(Field.CONDITIONS))
    errors.extend(RowError("unknown_condition", Field.CONDITIONS, word) for word in unknown)
    if Condition.PREGNANT in conditions and sex is Sex.MALE:
        errors.append(RowError("pregnant_male", Field.CONDITIONS))
    doctor: _Doctor | None = None
    written_doctor = cell(Field.DOCTOR)
    if written_doctor:
        found = doctors.find(written_doctor)
        if not found:
            errors.append(RowError("unknown_doctor", Field.DOCTOR, written_doctor))
        elif len(found) > 1:
            errors.append(RowError("ambiguous_doctor", Field.DOCTOR, written_doctor))
        else:
            doctor = found[0]
    elif actor.scope is not None:
        doctor = doctors.by_id.get(actor.scope)
    else:
        errors.append(RowError("missing_doctor", Field.DOCTOR))
    if doctor is not None and actor.scope is not None and doctor.id != actor.scope:
        errors.append(RowError("other_doctor", Field.DOCTOR, written_doctor))
    starts: date | None = None
    ends: date | None = None
    for f in (Field.CONTRACT_START, Field.CONTRACT_END):
        if not cell(f):
            continue
        try:
            value = parse_date(cell(f))
        except ValueError:
            errors.append(RowError("bad_date", f, cell(f)))
            continue
        if f is Field.CONTRACT_START:
            starts = value
        else:
            ends = value
    if starts is not None and ends is not None and ends < starts:
        errors.append(RowError("contract_dates", Field.CONTRACT_END))
    doctor_name = doctor.name if doctor else (written_doctor or None)
    shown_phone = phone or written_phone
    if errors or phone is None:
        return None, errors, name, shown_phone, doctor_name
    parsed = ParsedRow(
        name=name,
        phone=phone,
        birth_year=birth_year,
        birth_date=birth_date,
        sex=sex,
        conditions=conditions,
        doctor_id=doctor.id if doctor else None,
        contract_starts_on=starts,
        contract_ends_on=ends,
    )
    return parsed, [], name, shown_phone, doctor_name


def _changes(entry: RosterEntryRecord, parsed: ParsedRow) -> tuple[str, ...]:
    current = {
        "name": entry.name,
        "phone": entry.phone,
        "birth_year": entry.birth_year,
        "birth_date": entry.birth_date,
        "sex": entry.sex,
        "conditions": ",".join(sorted(entry.conditions)),
        "doctor_id": entry.doctor_id,
        "contract_starts_on": entry.contract_starts_on,
        "contract_ends_on": entry.contract_ends_on,
    }
    return tuple(k for k, v in parsed.values().items() if current[k] != v)


async def _centre_for(uow: UnitOfWork, actor: Actor, centre_id: int | None) -> int:
    if actor.scope is not None:
        doctor = await uow.doctors.get(actor.scope)
        if doctor is None or not doctor.active:
            raise NotAllowed("not_a_doctor")
        if centre_id is not None and centre_id != doctor.centre_id:
            raise NotAllowed("other_centre")
        return doctor.centre_id
    if not actor.is_admin:
        raise NotAllowed("not_a_doctor")
    if centre_id is None:
        centres = await uow.centres.list()
        if len(centres) != 1:
            raise InvalidInput("roster_choose_centre")
        return centres[0].id
    if centre_id not in {c.id for c in await uow.centres.list()}:
        raise NotFound("centre_not_found")
    return centre_id


async def _preview(
    uow: UnitOfWork,
    actor: Actor,
    data: bytes,
    filename: str,
    today: date,
    centre_id: int | None,
) -> RosterPreview:
    centre = await _centre_for(uow, actor, centre_id)
    table = list(read_table(data, filename))
    first = next((i for i, row in enumerate(table) if any(c.strip() for c in row)), None)
    if first is None:
        raise InvalidInput("roster_empty")
    columns, unknown = _columns(table[first])
    missing = tuple(f for f in (Field.NAME, Field.PHONE) if f not in columns)
    if actor.scope is None and Field.DOCTOR not in columns:
        missing = (*missing, Field.DOCTOR)
    body = [(first + 2 + i, row) for i, row in enumerate(table[first + 1 :])]
    body = [(n, row) for n, row in body if any(c.strip() for c in row)]
    if len(body) > MAX_ROWS:
        raise InvalidInput("roster_too_many_rows", max=MAX_ROWS)
    doctors = _Doctors(await uow.roster.centre_doctors(centre))
    existing = {e.phone: e for e in await uow.roster.for_centre(centre)}
    results: list[RowResult] = []
    seen: dict[str, int] = {}
    if not missing:
        for number, cells in body:
            parsed, errors, name, phone, doctor_name = _parse_row(
                cells, columns, doctors, actor, today
            )
            if parsed is not None and parsed.phone in seen:
                errors = [RowError("duplicate_row", Field.PHONE, phone, seen[parsed.phone])]
            entry = existing.get(parsed.phone) if parsed is not None else None
            if (
                entry is not None
                and actor.scope is not None
                and entry.doctor_id not in (None, actor.scope)
            ):
                errors = [*errors, RowError("other_doctors_entry", Field.PHONE, phone)]
            if parsed is not None and not errors:
                seen[parsed.phone] = number
            if errors or parsed is None:
                results.append(
                    RowResult(number, name, phone, doctor_name, RowAction.ERROR, tuple(errors))
                )
                continue
            changed: tuple[str, ...] = ()
            if entry is None:
                action = RowAction.CREATE
            else:
                changed = _changes(entry, parsed)
                action = RowAction.UPDATE if changed else RowAction.UNCHANGED
            results.append(
                RowResult(
                    number,
                    name,
                    phone,
                    doctor_name,
                    action,
                    changed=changed,
                    parsed=parsed,
                    entry_id=entry.id if entry else None,
                    resident_id=entry.resident_id if entry else None,
                )
            )
    listed = {r.parsed.phone for r in results if r.parsed is not None}
    listed |= {r.phone for r in results}
    removed = tuple(
        e.id
        for e in existing.values()
        if e.resident_id is None
        and e.phone not in listed
        and (actor.scope is None or e.doctor_id == actor.scope)
    )
    token = _token(actor, centre, data, results, removed)
    return RosterPreview(
        centre_id=centre,
        rows=tuple(results),
        removed=len(removed),
        token=token,
        missing_columns=missing,
        unknown_columns=tuple(unknown),
        removed_ids=removed,
    )


def _token(
    actor: Actor, centre: int, data: bytes, rows: Sequence[RowResult], removed: Sequence[int]
) -> str:
    """Names this preview: the file, who imports it and where, and everything it would do —
    so an apply whose outcome would differ from what the operator saw is refused."""
    plan = [
        [r.row, r.action.value, r.entry_id, r.parsed.values() if r.parsed else None] for r in rows
    ]
    digest = hashlib.sha256()
    digest.update(hashlib.sha256(data).digest())
    digest.update(
        json.dumps(
            [actor.scope, centre, plan, list(removed)], default=str, sort_keys=True
        ).encode()
    )
    return digest.hexdigest()[:32]


async def dry_run(
    uow: UnitOfWork,
    clock: Clock,
    zone: ZoneInfo,
    actor: Actor,
    data: bytes,
    filename: str = "",
    centre_id: int | None = None,
) -> RosterPreview:
    """What importing the file would do, row by row; changes nothing."""
    async with uow:
        return await _preview(
            uow, actor, data, filename, clock.now().astimezone(zone).date(), centre_id
        )


async def apply(
    uow: UnitOfWork,
    clock: Clock,
    zone: ZoneInfo,
    actor: Actor,
    data: bytes,
    token: str,
    filename: str = "",
    centre_id: int | None = None,
) -> RosterPreview:
    """Imports the file as its dry run with `token` showed, in one transaction: creates and
    updates entries, deletes the scope's unmatched entries the file no longer lists.

    Raises `DomainError("roster_changed")` when the preview would now be different (the file,
    the roster or the doctors changed), `InvalidInput("roster_has_errors")` while any row is
    wrong. Messages nobody."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        preview = await _preview(
            uow, actor, data, filename, now.astimezone(zone).date(), centre_id
        )
        if preview.token != token:
            raise DomainError("roster_changed")
        if not preview.can_apply:
            raise InvalidInput("roster_has_errors")
        for row in preview.rows:
            assert row.parsed is not None
            if row.action is RowAction.CREATE:
                await uow.roster.add(centre_id=preview.centre_id, now=now, **row.parsed.values())
            elif row.action is RowAction.UPDATE:
                assert row.entry_id is not None
                await uow.roster.update(row.entry_id, now, **row.parsed.values())
            elif row.entry_id is not None:
                await uow.roster.update(row.entry_id, now)
        await uow.roster.delete(preview.removed_ids)
        await uow.commit()
    return RosterPreview(
        centre_id=preview.centre_id,
        rows=preview.rows,
        removed=preview.removed,
        token=preview.token,
        applied=True,
    )
