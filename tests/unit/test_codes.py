"""Check-in codes and vouchers share one alphabet, one generator and one reading of input."""

from __future__ import annotations

from jiayi.services import booking, codes


def test_the_alphabet_has_no_look_alikes() -> None:
    assert not set(codes.ALPHABET) & set("0O1IL2Z5S6G8B")
    assert len(set(codes.ALPHABET)) == len(codes.ALPHABET)


def test_a_new_code_has_its_length_and_only_the_alphabet() -> None:
    for length in (booking.CHECK_IN_CODE_LENGTH, 8):
        code = codes.new_code(length)
        assert len(code) == length
        assert set(code) <= set(codes.ALPHABET)


def test_case_spaces_and_hyphens_do_not_matter() -> None:
    assert codes.normalise_code(" acd-efh\t3 ") == "ACDEFH3"
