"""Domain errors. Each carries a stable `code` the bot maps to a localised, short answer."""

from __future__ import annotations


class DomainError(Exception):
    code = "error"

    def __init__(self, code: str | None = None, **params: object) -> None:
        self.code = code or self.code
        self.params = params
        super().__init__(self.code)


class NotRegistered(DomainError):
    """The user has not finished consent, so there is nothing of theirs to show or change."""

    code = "not_registered"


class NotFound(DomainError):
    code = "not_found"


class NotAllowed(DomainError):
    """The actor may not see or change this: someone else's family member, a doctor-only act."""

    code = "not_allowed"


class InvalidInput(DomainError):
    code = "invalid_input"
