"""The records the reception runtime and storage exchange, as plain values.

These cross the runtime's ``Recorder`` port (``reader.reception.ports``): the runtime builds and
reads them, ``storage.recorder`` turns them into rows and back. They live here, in the pure
package both sides may import, so neither imports the other. The insurance numbers an individual
query is made with are one of them (kept on the patient, read off documents, sent to the
terminal). Nothing here touches I/O; a value is checked when it is made.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from policies.matching import PersonFacts
from policies.model import (
    DocumentKind,
    FailureReason,
    Outcome,
    Sex,
    VerificationPath,
    VisitSetting,
)


class InvalidNumbers(ValueError):
    """Insurance numbers that cannot be used in a query (the message names the field)."""


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", value).strip()
    return text or None


@dataclass(frozen=True, slots=True)
class InsuranceNumbers:
    """The numbers an individual query is made with, normalised as the terminal expects them.

    The insurer number is 6 (国保) or 8 digits and is stored as 8 characters, a 6-digit number
    left-padded with spaces; the branch (枝番) is 2 digits.
    """

    insurer_number: str
    number: str
    birthdate: date
    symbol: str | None = None
    branch: str | None = None

    def __post_init__(self) -> None:
        insurer = _clean(self.insurer_number) or ""
        if not (insurer.isdigit() and len(insurer) in (6, 8)):
            raise InvalidNumbers(f"保険者番号 must be 6 or 8 digits, got {self.insurer_number!r}")
        number = _clean(self.number)
        if not number:
            raise InvalidNumbers("被保険者番号 is required")
        branch = _clean(self.branch)
        if branch is not None:
            if not branch.isdigit() or len(branch) > 2:
                raise InvalidNumbers(f"枝番 must be 1–2 digits, got {self.branch!r}")
            branch = branch.zfill(2)
        object.__setattr__(self, "insurer_number", insurer.rjust(8, " "))
        object.__setattr__(self, "number", number)
        object.__setattr__(self, "symbol", _clean(self.symbol))
        object.__setattr__(self, "branch", branch)


@dataclass(frozen=True, slots=True)
class StaffRef:
    """The logged-in staff member (the store re-checks the account on every write)."""

    id: int
    username: str
    display_name: str
    is_admin: bool = False
    must_change_password: bool = False


@dataclass(frozen=True, slots=True)
class PatientOnFile:
    """A patient in the clinic's own master (never the 個人番号)."""

    id: int
    chart_number: str
    name: str
    kana: str
    birth_date: date | None = None
    sex: Sex = Sex.UNKNOWN
    insurer_number: str | None = None
    insured_symbol: str | None = None
    insured_number: str | None = None
    insured_branch: str | None = None

    @property
    def facts(self) -> PersonFacts:
        return PersonFacts(
            name=self.name or None,
            kana=self.kana or None,
            birth_date=self.birth_date,
            insurer_number=self.insurer_number,
            symbol=self.insured_symbol,
            number=self.insured_number,
            branch=self.insured_branch,
        )

    @property
    def numbers(self) -> InsuranceNumbers | None:
        """The numbers an individual query needs, when all of them are on file."""
        return insurance_numbers(
            self.insurer_number,
            self.insured_number,
            self.birth_date,
            self.insured_symbol,
            self.insured_branch,
        )


def insurance_numbers(
    insurer_number: str | None,
    number: str | None,
    birth_date: date | None,
    symbol: str | None = None,
    branch: str | None = None,
) -> InsuranceNumbers | None:
    """Query numbers from what is known, or None when a required part is missing or invalid."""
    if not (insurer_number and number and birth_date):
        return None
    try:
        return InsuranceNumbers(insurer_number, number, birth_date, symbol, branch)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class NewPatient:
    """A patient to create when a visit begins (chart number chosen by the clinic)."""

    chart_number: str
    name: str
    kana: str
    birth_date: date | None = None
    sex: Sex = Sex.UNKNOWN
    insurer_number: str | None = None
    insured_symbol: str | None = None
    insured_number: str | None = None
    insured_branch: str | None = None


@dataclass(frozen=True, slots=True)
class VisitOnFile:
    visit_id: int
    patient: PatientOnFile
    setting: VisitSetting
    local_date: date


@dataclass(frozen=True, slots=True)
class SeenDocument:
    """A document the patient presented and what staff read on it (numbers, dates, which PDF).

    Details are short strings; never an individual number (the store refuses 12-digit runs).
    """

    kind: DocumentKind
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ResultEvidence:
    """A terminal answer (or pasted app text) kept verbatim; its SHA-256 goes into the chain."""

    data: bytes = field(repr=False)
    file_name: str
    request_id: str | None
    summary: Mapping[str, Any]
    simulated: bool
    received_at: datetime


@dataclass(frozen=True, slots=True)
class AttemptOnFile:
    """One recorded verification attempt of a visit, as the desk shows it later."""

    verification_id: int
    finished_at: datetime
    path: VerificationPath
    outcome: Outcome
    failure_reason: FailureReason | None
    documents: tuple[SeenDocument, ...]
    rule_ids: tuple[str, ...]
    staff_name: str
    simulated: bool
    terminal_result_id: int | None


@dataclass(frozen=True, slots=True)
class StoredResult:
    """A kept terminal answer (XML as received) or pasted app text, with how it was kept."""

    terminal_result_id: int
    data: bytes = field(repr=False)
    file_name: str
    #: ``reader.terminal.ResultSource`` value from the kept summary (None: not recorded).
    source: str | None
    simulated: bool
    received_at: datetime


@dataclass(frozen=True, slots=True)
class VerificationToRecord:
    visit_id: int
    path: VerificationPath
    outcome: Outcome
    started_at: datetime
    failure_reason: FailureReason | None = None
    documents: tuple[SeenDocument, ...] = ()
    rule_ids: tuple[str, ...] = ()
    evidence: ResultEvidence | None = None
    #: A virtual card or a simulated terminal anywhere in the visit makes this True.
    simulated: bool = False
    note: str | None = None


@dataclass(frozen=True, slots=True)
class RecordedVerification:
    verification_id: int
    visit_id: int
    terminal_result_id: int | None


class DatabaseUnavailable(Exception):
    """The database cannot be reached or used at all (server down, file locked, no keyring).

    Recorders raise this (not their driver's errors) so the desk can show the database as down;
    any other exception is a refused request (e.g. a chart number that exists) and leaves the
    status green.
    """


class ChainRolledBack(Exception):
    """Appending is refused: this PC's witness shows the audit chain rolled back, truncated or
    replaced (storage.witness), and no administrator has recorded a decision on it yet.

    The store raises it (as ``storage.errors.ChainRolledBack``, the same error made a storage
    one) for every write but the logins and the decision; it crosses the Recorder port as is,
    so the desk shows the blocked state instead of failing each visit.
    """


class LoginRefused(Exception):
    """The store would not even check a login: the account is locked until an administrator
    unlocks it (``retry_after_s`` None), or recent wrong passwords on the account or this PC ask
    for a wait of ``retry_after_s`` seconds first.

    ``Recorder.authenticate`` raises it (as ``storage.errors.LoginRefused``, the same error made
    a storage one), so the desk can say which of the two it is; the message is English, for the
    log.
    """

    def __init__(self, message: str, retry_after_s: float | None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s

    @property
    def locked(self) -> bool:
        return self.retry_after_s is None
