"""Domain exceptions. Each carries an i18n key, so a page can show it in the user's language."""

from __future__ import annotations

from typing import Any


class PortalError(Exception):
    """Base of every error a person may be shown."""

    key = "error.unexpected"

    def __init__(self, key: str | None = None, **params: Any) -> None:
        self.key = key or self.key
        self.params = params
        super().__init__(self.key, params)


class InvalidInput(PortalError):
    key = "error.invalid_input"


class InvalidCredentials(PortalError):
    key = "signin.error.invalid"


class AccountLocked(PortalError):
    key = "signin.error.locked"


class NotAuthorized(PortalError):
    key = "error.not_authorized"


class NotFound(PortalError):
    key = "error.not_found"


class DatabaseUnavailable(PortalError):
    key = "error.database"
