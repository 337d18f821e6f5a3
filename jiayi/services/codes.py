"""Short codes a person reads out or types at the desk: appointment check-in codes and reward
vouchers. One alphabet, one generator, one reading of what was typed."""

from __future__ import annotations

import secrets

__all__ = ["ALPHABET", "new_code", "normalise_code"]

# Letters and digits that can't be mistaken for each other when read out at the desk: no 0/O,
# 1/I/L, 2/Z, 5/S, 6/G, 8/B. Nothing typed needs mapping back: the look-alikes are not in it.
ALPHABET = "ACDEFHJKMNPRTUVWXY3479"


def new_code(length: int) -> str:
    """A random code of `length` characters from ALPHABET (cryptographically random: a code
    is the only proof of an appointment or a voucher at the desk)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalise_code(typed: str) -> str:
    """A code as a person typed it, in the stored form: case, spaces and hyphens don't matter."""
    return "".join(typed.split()).replace("-", "").upper()
