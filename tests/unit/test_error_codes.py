"""Every error code a module raises is an `ErrorCode`, and the codes' values never change."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import jiayi
from jiayi.services.errors import DomainError, ErrorCode, InvalidInput, NotAllowed

RAISED = re.compile(
    r'\b(?:DomainError|NotRegistered|NotFound|NotAllowed|InvalidInput)\(\s*"(\w+)"'
)


def test_every_code_spelled_in_the_source_is_an_error_code() -> None:
    root = Path(jiayi.__file__).parent
    spelled = {
        code for path in root.rglob("*.py") for code in RAISED.findall(path.read_text("utf-8"))
    }
    assert spelled, "no error codes found: the pattern is broken"
    assert spelled - set(ErrorCode) == set()


def test_a_code_is_a_string_with_its_old_value() -> None:
    error = InvalidInput("name_too_long", max=40)
    assert error.code is ErrorCode.NAME_TOO_LONG
    assert error.code == "name_too_long"
    assert f"{error.code}" == "name_too_long"
    assert error.params == {"max": 40}
    assert NotAllowed().code == "not_allowed"
    assert DomainError().code == "error"


def test_an_unknown_code_is_a_bug_not_an_answer() -> None:
    with pytest.raises(ValueError, match="no_such_code"):
        DomainError("no_such_code")
