"""Typed errors of the storage layer: each says what went wrong and what the operator can do."""

from __future__ import annotations

from enum import StrEnum

from policies import records


class StorageError(Exception):
    """Base class: everything storage raises on purpose derives from it."""


class ConfigError(StorageError):
    """The database location or URL is not usable as given."""


class KeyringUnavailable(StorageError):
    """No usable OS keyring backend: the chain key and DB password cannot be read or stored."""


class ChainKeyMissing(StorageError):
    """The keyring holds no audit-chain key for this database (new PC: import it first)."""


class WrongChainKey(StorageError):
    """The keyring's chain key does not belong to this database."""


class DatabasePasswordMissing(StorageError):
    """A PostgreSQL URL is configured but its password is not in the keyring."""


class DatabaseMissing(StorageError):
    """Only an existing database may be used here, and there is none at the given place."""


class DatabaseUnreachable(StorageError):
    """The database cannot be opened: the server does not answer, or the file is not SQLite."""


class PermissionDenied(StorageError):
    """The acting staff member may not do this (inactive, or not an admin)."""


class WrongCurrentPassword(PermissionDenied):
    """A password change whose current password does not match (the window says so in words)."""


class PasswordChangedMeanwhile(PermissionDenied):
    """The password was changed by someone else between the check and the write; try again."""


class LoginRefused(StorageError, records.LoginRefused):
    """A login was not even checked: the account is locked (``retry_after_s`` None: until an
    administrator unlocks it) or failures on the account or this PC ask for a wait first. The
    port's refusal made a storage error, so it crosses the Recorder port as it is."""


class NotFound(StorageError):
    """A referenced row (staff, patient, visit, terminal result) does not exist."""


class Conflict(StorageError):
    """The change clashes with existing data (duplicate username or chart number)."""


class InvalidInput(StorageError):
    """A value was refused before anything was written (e.g. it looks like an individual number)."""


class PasswordFault(StrEnum):
    """Why the password policy refuses a new password (a stable code for the window's words)."""

    TOO_SHORT = "too_short"
    ONE_KIND = "one_kind"
    COMMON = "common"


class WeakPassword(InvalidInput):
    """A new password the policy refuses; ``fault`` says why."""

    def __init__(self, message: str, fault: PasswordFault) -> None:
        super().__init__(message)
        self.fault = fault


class ChainHeadMissing(StorageError):
    """The chain's head record is gone (deleted behind the application's back): nothing can be
    appended; ``audit verify`` reports it."""


class BackupError(StorageError):
    """A backup, restore or pre-migration backup could not be made or used."""


class RetentionRefused(StorageError):
    """Retention purge refused: the chain must verify before anything is deleted."""


class SchemaOutdated(StorageError):
    """The schema is not this version's and this connection may not migrate it (runtime role)."""


class ChainRolledBack(StorageError, records.ChainRolledBack):
    """Nothing is appended while this PC's witness shows the chain rolled back, truncated or
    replaced, until an administrator records a decision (``Store.accept_restored_chain``,
    ``main.py audit accept-restored``) or restores a backup."""
