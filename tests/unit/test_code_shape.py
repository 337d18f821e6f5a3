"""Measures of the code's shape anyone can run (issue #18): no module past ~500 lines, so a
module holds one idea and a rule is found in one hop.

Migrations are exempt: each is one revision, written once and never edited.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 500
CHECKED = ("jiayi", "tests", "benchmarks")


def _modules() -> list[Path]:
    found = []
    for top in CHECKED:
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" in path.relative_to(ROOT).parts:
                continue
            found.append(path)
    return found


def test_the_walk_sees_the_code() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in _modules()}
    assert "jiayi/services/booking/__init__.py" in names
    assert not any("/migrations/" in n for n in names)


def test_no_module_is_over_500_lines() -> None:
    long = {
        path.relative_to(ROOT).as_posix(): n
        for path in _modules()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these into packages by idea (STYLE.md, Size): {long}"
