"""The red-flag list (content/safety/red_flags.yaml) and how typed text is matched."""

from __future__ import annotations

from pathlib import Path

import pytest

from jiayi.content.safety import FlagKind, check_red_flags, red_flags


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("我胸口疼得厉害，喘不上气", FlagKind.EMERGENCY),
        ("我 爸 叫 不 醒 了！", FlagKind.EMERGENCY),
        ("妈妈口角歪斜，说话不清", FlagKind.EMERGENCY),
        ("I CAN’T BREATHE", FlagKind.EMERGENCY),
        ("his speech is slurred — slurred speech since noon", FlagKind.EMERGENCY),
        ("我不想活了", FlagKind.SELF_HARM),
        # Self-harm wins over an emergency word: its answer carries the hotline too.
        ("胸口疼，想自杀", FlagKind.SELF_HARM),
        ("I want to end my life", FlagKind.SELF_HARM),
        ("最近睡不好，药要不要换", None),
        ("Can I take my pills after breakfast?", None),
        ("", None),
    ],
)
def test_typed_text_is_matched(typed: str, kind: FlagKind | None) -> None:
    """Mutation tried: `normalise` without removing spaces/punctuation — "叫 不 醒" and
    "I CAN’T BREATHE" stopped matching."""
    assert red_flags().match(typed) is kind


def test_the_shipped_list_is_valid_and_pending_review() -> None:
    """Mutation tried: `review: {state: signed_off}` without a reviewer in the YAML — the
    check reported it (a review is never signed off for someone)."""
    assert check_red_flags() == []
    flags = red_flags()
    assert flags.review.pending
    assert flags.hotline == "12356"


def test_a_broken_list_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "red_flags.yaml"
    bad.write_text(
        "review: {state: signed_off}\nsources: []\nhotline: {number: '12356', source: x}\n"
        "groups: []\n",
        encoding="utf-8",
    )
    problems = check_red_flags(bad)
    assert problems
    assert "red_flags.yaml" in problems[0]
