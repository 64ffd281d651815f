"""Typed errors of the report layer, so callers can tell bad data from a missing font."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.chain import VerifyResult


class ReportError(Exception):
    """Base of every error raised while building a printed log, report or CSV."""


class ReportInputError(ReportError, ValueError):
    """The input data cannot be printed as given (wrong day, unknown enum value, bad hash, …)."""


class FontNotFoundError(ReportError):
    """No Japanese TrueType font usable by reportlab was found; the message says what to install."""

    def __init__(self, message: str, rejected: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(message)
        #: (candidate, reason it was rejected), in the order tried.
        self.rejected = rejected


class RecordsUnverified(ReportError):
    """The audit chain or the rows to print do not verify; nothing was printed. ``check`` is
    the failed verification (its first broken event, the rows that differ), for the window to
    say where in its own words."""

    def __init__(self, message: str, check: VerifyResult) -> None:
        super().__init__(message)
        self.check = check


class ReportOutputError(ReportError):
    """The printout cannot be written where asked (missing folder, a folder name, no access)."""
