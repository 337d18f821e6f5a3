"""Reading a 家庭医生签约 export: CSV (UTF-8, GBK) or XLSX, header names in Chinese or
English, and the rules for each cell (phone numbers as E.164, dates, sex, conditions)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from enum import StrEnum

import phonenumbers
from openpyxl import load_workbook

from jiayi.services.errors import InvalidInput
from jiayi.storage.records import Condition, Sex

MAX_NAME = 100
OLDEST_AGE = 120


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


def header_key(header: str) -> str:
    return re.sub(r"[\s_\-./()（）:：*]", "", header).lower()


HEADER_LOOKUP = {header_key(name): f for f, names in HEADERS.items() for name in names}


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


def parse_date(text: str) -> date | None:
    text = text.strip().split(" ")[0].split("T")[0]
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if match is None:
        raise ValueError(text)
    year, month, day = (int(g) for g in match.groups())
    return date(year, month, day)


def parse_birth(text: str, today: date) -> tuple[int | None, date | None]:
    """(birth year, birth date): a whole date, or only a year."""
    text = text.strip().removesuffix("年")
    if not text:
        return None, None
    if text.isdigit() and len(text) == 4:
        year, born = int(text), None
    else:
        born = parse_date(text)
        assert born is not None
        year = born.year
    if not today.year - OLDEST_AGE <= year <= today.year or (born is not None and born > today):
        raise ValueError(text)
    return year, born


def parse_conditions(text: str) -> tuple[frozenset[Condition], list[str]]:
    found: set[Condition] = set()
    unknown: list[str] = []
    for word in re.split(r"[,，、;；/|\s]+", text.strip()):
        if not word or word.lower() in NO_CONDITION:
            continue
        condition = CONDITION_WORDS.get(header_key(word)) or CONDITION_WORDS.get(word)
        if condition is None:
            unknown.append(word)
        else:
            found.add(condition)
    return frozenset(found), unknown
