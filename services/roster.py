"""The centre's roster of contracted residents, imported from the spreadsheets a 家庭医生签约
system exports (CSV in UTF-8 or GBK, or XLSX), and matched to residents who sign up in the bot.

An import is two steps: `dry_run` reads the file and says, row by row, what is wrong (bad
phone, unknown doctor, duplicate row, missing name, bad date…) and what would be created,
updated or left alone; `apply` does exactly that in one transaction, given the preview's token
(so what is applied is what was previewed). Nobody on the roster is messaged: an entry waits
until someone signs up and shares that phone number through Telegram's contact button; they
see the record and become linked to it only after they confirm (`offer_for_contact`,
`confirm_match`).

Scope: an operator imports for a centre; a doctor only their own residents (a row naming
another doctor is an error). An import replaces the scope's unmatched entries: those the file
no longer lists are deleted. Unmatched entries are also deleted by retention after their
contract ends (`prune_roster`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import phonenumbers
from openpyxl import load_workbook
from storage.records import Condition, Sex
from storage.roster import RosterEntryRecord
from storage.uow import UnitOfWork

from services.clock import Clock
from services.console import Actor
from services.errors import DomainError, InvalidInput, NotAllowed, NotFound, NotRegistered
from services.privacy import ConsentStatus, consent_status

__all__ = [
    "Field",
    "RosterMatch",
    "RosterPreview",
    "RowError",
    "RowResult",
    "apply",
    "confirm_match",
    "dry_run",
    "normalise_phone",
    "offer_for_contact",
    "prune_roster",
    "read_table",
]

MAX_ROWS = 20_000
MAX_NAME = 100
OLDEST_AGE = 120
CONTRACT_YEARS = 1
RETENTION_DAYS = 365  # unmatched entries: deleted this long after their contract ended


class Field(StrEnum):
    NAME = "name"
    PHONE = "phone"
    BIRTH = "birth"
    SEX = "sex"
    CONDITIONS = "conditions"
    DOCTOR = "doctor"
    CONTRACT_START = "contract_start"
    CONTRACT_END = "contract_end"


# Header names as 家庭医生签约 systems and people write them (compared without case, spaces,
# underscores and punctuation).
HEADERS: dict[Field, tuple[str, ...]] = {
    Field.NAME: ("name", "fullname", "姓名", "居民姓名", "签约居民", "居民"),
    Field.PHONE: (
        "phone",
        "mobile",
        "phonenumber",
        "mobilephone",
        "手机号",
        "手机号码",
        "手机",
        "联系电话",
        "电话",
        "联系方式",
    ),
    Field.BIRTH: (
        "birthdate",
        "dateofbirth",
        "birthyear",
        "born",
        "dob",
        "出生日期",
        "出生年份",
        "出生年月",
        "出生年",
    ),
    Field.SEX: ("sex", "gender", "性别"),
    Field.CONDITIONS: (
        "conditions",
        "condition",
        "chronicdiseases",
        "慢病",
        "慢病类型",
        "慢性病",
        "疾病",
        "重点人群",
        "人群分类",
    ),
    Field.DOCTOR: ("doctor", "familydoctor", "签约医生", "家庭医生", "责任医生", "医生"),
    Field.CONTRACT_START: (
        "contractstart",
        "contractstarts",
        "startdate",
        "签约日期",
        "签约开始日期",
        "签约时间",
        "生效日期",
    ),
    Field.CONTRACT_END: (
        "contractend",
        "contractends",
        "enddate",
        "到期日期",
        "签约到期日期",
        "签约结束日期",
        "结束日期",
        "失效日期",
    ),
}

CONDITION_WORDS: dict[str, Condition] = {
    "高血压": Condition.HYPERTENSION,
    "高血压病": Condition.HYPERTENSION,
    "hypertension": Condition.HYPERTENSION,
    "糖尿病": Condition.DIABETES,
    "2型糖尿病": Condition.DIABETES,
    "二型糖尿病": Condition.DIABETES,
    "diabetes": Condition.DIABETES,
    "type2diabetes": Condition.DIABETES,
    "diabetest2": Condition.DIABETES,
    "高血脂": Condition.HYPERLIPIDAEMIA,
    "高脂血症": Condition.HYPERLIPIDAEMIA,
    "血脂异常": Condition.HYPERLIPIDAEMIA,
    "hyperlipidaemia": Condition.HYPERLIPIDAEMIA,
    "hyperlipidemia": Condition.HYPERLIPIDAEMIA,
    "孕产妇": Condition.PREGNANT,
    "孕妇": Condition.PREGNANT,
    "pregnant": Condition.PREGNANT,
}
# Words that mean "none" in a conditions cell.
NO_CONDITION = {"无", "没有", "none", "no", "-", "—"}

SEX_WORDS = {
    "男": Sex.MALE,
    "male": Sex.MALE,
    "m": Sex.MALE,
    "女": Sex.FEMALE,
    "female": Sex.FEMALE,
    "f": Sex.FEMALE,
}


def _key(header: str) -> str:
    return re.sub(r"[\s_\-./()（）:：*]", "", header).lower()


_HEADER_LOOKUP = {_key(name): f for f, names in HEADERS.items() for name in names}


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


# --- reading files ----------------------------------------------------------------------------


def read_table(data: bytes, filename: str = "") -> list[list[str]]:
    """The file's rows as text cells: XLSX (first sheet) or CSV in UTF-8 (with or without BOM)
    or GBK/GB18030, comma-, semicolon- or tab-separated. Dates in XLSX cells become
    YYYY-MM-DD, whole numbers lose their '.0'."""
    if data[:2] == b"PK" or filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data)
    return _read_csv(data)


def _read_xlsx(data: bytes) -> list[list[str]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that isn't XLSX
        raise InvalidInput("roster_unreadable") from error
    try:
        sheet = book.worksheets[0]
        rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    return rows


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_csv(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise InvalidInput("roster_unreadable")
    if "\x00" in text:
        raise InvalidInput("roster_unreadable")
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";", "，"), key=first.count)
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


# --- cell rules -----------------------------------------------------------------------------


def normalise_phone(text: str) -> str | None:
    """A Chinese (or any +country) phone number as E.164, or None if it is not a valid one."""
    raw = re.sub(r"[\s\-()（）]", "", text or "")
    if not raw:
        return None
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def _date(text: str) -> date | None:
    text = text.strip().split(" ")[0].split("T")[0]
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if match is None:
        raise ValueError(text)
    year, month, day = (int(g) for g in match.groups())
    return date(year, month, day)


def _birth(text: str, today: date) -> tuple[int | None, date | None]:
    """(birth year, birth date): a whole date, or only a year."""
    text = text.strip().removesuffix("年")
    if not text:
        return None, None
    if text.isdigit() and len(text) == 4:
        year, born = int(text), None
    else:
        born = _date(text)
        assert born is not None
        year = born.year
    if not today.year - OLDEST_AGE <= year <= today.year or (born is not None and born > today):
        raise ValueError(text)
    return year, born


def _conditions(text: str) -> tuple[frozenset[Condition], list[str]]:
    found: set[Condition] = set()
    unknown: list[str] = []
    for word in re.split(r"[,，、;；/|\s]+", text.strip()):
        if not word or word.lower() in NO_CONDITION:
            continue
        condition = CONDITION_WORDS.get(_key(word)) or CONDITION_WORDS.get(word)
        if condition is None:
            unknown.append(word)
        else:
            found.add(condition)
    return frozenset(found), unknown


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
        found = _HEADER_LOOKUP.get(_key(name))
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
        birth_year, birth_date = _birth(cell(Field.BIRTH), today)
    except ValueError:
        errors.append(RowError("bad_birth", Field.BIRTH, cell(Field.BIRTH)))
    sex: Sex | None = None
    if cell(Field.SEX):
        sex = SEX_WORDS.get(cell(Field.SEX).lower())
        if sex is None:
            errors.append(RowError("bad_sex", Field.SEX, cell(Field.SEX)))
    conditions, unknown = _conditions(cell(Field.CONDITIONS))
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
            value = _date(cell(f))
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


# --- matching in the bot --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RosterMatch:
    """The record a resident is offered after sharing their own phone number."""

    entry_id: int
    doctor_name: str | None
    conditions: frozenset[Condition]
    birth_year: int | None
    sex: Sex | None


async def offer_for_contact(
    uow: UnitOfWork,
    telegram_user_id: int,
    *,
    contact_user_id: int | None,
    phone: str,
) -> RosterMatch | None:
    """The roster record for the phone number a resident shared, if it is their own contact
    (`contact_user_id` must be the sender: anyone can forward someone else's contact) and an
    unmatched entry lists it. Reads only; nothing is linked until `confirm_match`."""
    if contact_user_id != telegram_user_id:
        raise NotAllowed("contact_not_yours")
    normalised = normalise_phone(phone if phone.startswith("+") else f"+{phone}")
    normalised = normalised or normalise_phone(phone)
    if normalised is None:
        return None
    async with uow:
        resident = await uow.residents.by_telegram_user(telegram_user_id)
        if resident is None:
            raise NotRegistered()
        if await uow.roster.for_resident(resident.id) is not None:
            return None
        for entry in await uow.roster.unmatched_by_phone(normalised):
            doctor = await uow.doctors.get(entry.doctor_id) if entry.doctor_id else None
            return RosterMatch(
                entry_id=entry.id,
                doctor_name=doctor.display_name if doctor and doctor.active else None,
                conditions=frozenset(Condition(c) for c in entry.conditions),
                birth_year=entry.birth_year,
                sex=Sex(entry.sex) if entry.sex else None,
            )
    return None


async def confirm_match(
    uow: UnitOfWork, clock: Clock, zone: ZoneInfo, telegram_user_id: int, entry_id: int
) -> RosterMatch:
    """The resident confirmed the record offered to them: it becomes theirs (birth year, sex,
    conditions, and the contract with the listed doctor, with the roster's dates when they are
    still current). Consent must be in force — the same consent sign-up asks for."""
    now = clock.now()
    today = now.astimezone(zone).date()
    async with uow:
        await uow.begin_write()
        resident = await uow.residents.by_telegram_user(telegram_user_id)
        if resident is None:
            raise NotRegistered()
        if consent_status(resident) is not ConsentStatus.CURRENT:
            raise NotAllowed("consent_needed")
        entry = await uow.roster.get(entry_id)
        if entry is None or entry.resident_id is not None:
            raise NotFound("roster_entry_gone")
        if not await uow.roster.match(entry.id, resident.id, now):
            raise NotFound("roster_entry_gone")
        conditions = frozenset(Condition(c) for c in entry.conditions)
        sex = Sex(entry.sex) if entry.sex else resident.sex
        if sex is Sex.MALE:
            conditions -= {Condition.PREGNANT}
        await uow.residents.update(
            resident.id,
            now,
            birth_year=entry.birth_year or resident.birth_year,
            sex=sex.value if sex else None,
        )
        await uow.residents.set_conditions(resident.id, conditions)
        doctor = await uow.doctors.get(entry.doctor_id) if entry.doctor_id else None
        if doctor is not None and doctor.active and doctor.telegram_user_id != telegram_user_id:
            current = await uow.contracts.open_for(resident.id)
            if current is None or current.doctor_id != doctor.id:
                starts = entry.contract_starts_on or today
                ends = entry.contract_ends_on
                if ends is None or ends < today:
                    starts, ends = today, _year_after(today)
                await uow.contracts.end_open(resident.id, now)
                await uow.contracts.add(
                    resident_id=resident.id,
                    doctor_id=doctor.id,
                    starts_on=starts,
                    ends_on=ends,
                    now=now,
                )
        await uow.commit()
    return RosterMatch(
        entry_id=entry.id,
        doctor_name=doctor.display_name if doctor else None,
        conditions=conditions,
        birth_year=entry.birth_year,
        sex=sex,
    )


def _year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + CONTRACT_YEARS) - timedelta(days=1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + CONTRACT_YEARS, day=28) - timedelta(days=1)


# --- retention ------------------------------------------------------------------------------


async def prune_roster(
    uow: UnitOfWork, clock: Clock, zone: ZoneInfo, retention_days: int = RETENTION_DAYS
) -> int:
    """Deletes unmatched entries whose contract ended more than `retention_days` ago (and
    those without an end date not re-imported for that long). Matched entries are the
    resident's and go with /forget. Returns the entries deleted."""
    now = clock.now()
    today = now.astimezone(zone).date()
    async with uow:
        await uow.begin_write()
        deleted = await uow.roster.delete_unmatched_ended_before(
            today - timedelta(days=retention_days)
        )
        deleted += await uow.roster.imported_before_without_end(
            now - timedelta(days=retention_days + 366)
        )
        await uow.commit()
    return deleted
