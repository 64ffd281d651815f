"""Plain input values of the report layer: the seam between the store/policy engine and paper.

The renderers know nothing about SQL rows or policy objects; an adapter (a later step) turns the
store's query results and the policy engine's thresholds and subsidy programs into these frozen
values. Enum fields accept either the :mod:`policies.model` member or its persisted string value,
so an adapter can pass database values through; anything else is a :class:`ReportInputError`
raised at construction, before a half-written PDF exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import TypeVar

from policies.dates import JST
from policies.individual_number import contains_twelve_digits
from policies.model import (
    DocumentKind,
    FacilityKind,
    FailureReason,
    InsuranceKind,
    OqsMode,
    Outcome,
    Sex,
    VerificationPath,
)
from storage.reports.errors import ReportInputError

#: Japan has no daylight saving time; a fixed offset avoids needing tzdata on Windows.

_E = TypeVar("_E", bound=StrEnum)
_HEX = re.compile(r"^[0-9a-f]+$")


def _enum(kind: type[_E], value: object, what: str) -> _E:
    if isinstance(value, kind):
        return value
    try:
        return kind(value)
    except ValueError:
        raise ReportInputError(f"{what}: unknown {kind.__name__} value {value!r}") from None


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)  # normalising a frozen dataclass in __post_init__


def _non_negative(value: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ReportInputError(f"{what} must be a non-negative integer, got {value!r}")


class PatientMasking(StrEnum):
    """How much of a patient's identity a printout shows (paper leaves the building)."""

    FULL = "full"  # name, kana, full birth date, chart number
    PARTIAL = "partial"  # family name + ○○, birth year, chart number
    CHART_ONLY = "chart_only"  # chart number only


@dataclass(frozen=True, slots=True)
class Facility:
    """The facility as printed in every header."""

    name: str
    medical_institution_code: str
    #: None while the facility profile has not been entered: printed as 未設定, never guessed.
    kind: FacilityKind | None
    mode: OqsMode | None

    def __post_init__(self) -> None:
        if self.kind is not None:
            _set(self, "kind", _enum(FacilityKind, self.kind, "facility kind"))
        if self.mode is not None:
            _set(self, "mode", _enum(OqsMode, self.mode, "facility OQS mode"))


@dataclass(frozen=True, slots=True)
class GenerationInfo:
    """What produced the document. Deliberately no "generated now": reprints must match.

    ``reprinted_at`` is the only wall-clock value ever printed, and only when the caller asks
    for a 再印刷 line.
    """

    app_version: str = ""
    reprinted_at: datetime | None = None
    reprinted_by: str = ""


@dataclass(frozen=True, slots=True)
class PatientDisplay:
    """The patient fields reception may print; never the individual number (個人番号)."""

    chart_no: str
    name: str = ""
    kana: str = ""
    birth_date: date | None = None


@dataclass(frozen=True, slots=True)
class VerificationRow:
    """One recorded verification of the day, as the daily log prints it."""

    #: Time of the verification; tz-aware (printed in JST) or naive JST wall-clock time.
    at: datetime
    patient: PatientDisplay
    path: VerificationPath
    outcome: Outcome
    staff: str
    terminal_id: str
    failure_reason: FailureReason | None = None
    documents: tuple[DocumentKind, ...] = ()
    simulated: bool = False
    #: Stable id (e.g. the verification's primary key): tie-break for equal times.
    record_id: str = ""
    #: Elements of the kept terminal answer Madoguchi does not map (paths): a new terminal
    #: version shows up here the first day. None: no answer kept, or kept before they were
    #: counted.
    unmapped_elements: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        _set(self, "path", _enum(VerificationPath, self.path, "verification path"))
        _set(self, "outcome", _enum(Outcome, self.outcome, "outcome"))
        if self.failure_reason is not None:
            _set(self, "failure_reason", _enum(FailureReason, self.failure_reason, "reason"))
        _set(
            self,
            "documents",
            tuple(_enum(DocumentKind, d, "document kind") for d in self.documents),
        )
        if not isinstance(self.at, datetime):
            raise ReportInputError(f"verification time must be a datetime, got {self.at!r}")

    @property
    def local_at(self) -> datetime:
        """The time on the desk's clock (JST), naive, for printing and ordering."""
        if self.at.tzinfo is None:
            return self.at
        return self.at.astimezone(JST).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The audit chain's last event at the end of the day: paper and database can be compared."""

    seq: int
    hash_hex: str
    at: datetime | None = None

    def __post_init__(self) -> None:
        _non_negative(self.seq, "chain head seq")
        h = self.hash_hex.lower() if isinstance(self.hash_hex, str) else ""
        if len(h) < 16 or not _HEX.match(h):
            raise ReportInputError(f"chain head hash must be hexadecimal, got {self.hash_hex!r}")
        _set(self, "hash_hex", h)


@dataclass(frozen=True, slots=True)
class DailyLog:
    """Everything one daily log prints."""

    facility: Facility
    day: date
    rows: tuple[VerificationRow, ...]
    chain_head: ChainHead | None
    generation: GenerationInfo = field(default_factory=GenerationInfo)
    #: False when printed before the day ended: the head is then "as of printing", not final.
    day_closed: bool = True
    #: What failed when the records did not verify and printing was asked for anyway (each
    #: page then carries a red banner); None: the chain and the rows verified.
    unverified: str | None = None

    def __post_init__(self) -> None:
        rows = tuple(self.rows)
        for row in rows:
            if row.local_at.date() != self.day:
                raise ReportInputError(
                    f"verification {row.record_id or row.at.isoformat()} is on "
                    f"{row.local_at.date()}, not on the log's day {self.day}"
                )
        # Numeric ids sort as numbers ("9" before "10"), other ids as text.
        _set(
            self,
            "rows",
            tuple(sorted(rows, key=lambda r: (r.local_at, len(r.record_id), r.record_id))),
        )

    @property
    def any_simulated(self) -> bool:
        return any(r.simulated for r in self.rows)

    @property
    def terminals(self) -> tuple[str, ...]:
        return tuple(sorted({r.terminal_id for r in self.rows if r.terminal_id}))


# --- monthly usage -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DayPathCount:
    """Verifications on ``day`` by ``path``, ABANDONED excluded (the usage-rate population)."""

    day: date
    path: VerificationPath
    count: int

    def __post_init__(self) -> None:
        _set(self, "path", _enum(VerificationPath, self.path, "verification path"))
        _non_negative(self.count, f"count for {self.day} {self.path}")


@dataclass(frozen=True, slots=True)
class MonthTotal:
    """One month of the trend: My Number card verifications out of all (ABANDONED excluded)."""

    year: int
    month: int
    myna_count: int
    total_count: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ReportInputError(f"month must be 1..12, got {self.month!r}")
        _non_negative(self.myna_count, "myna count")
        _non_negative(self.total_count, "total count")
        if self.myna_count > self.total_count:
            raise ReportInputError(
                f"{self.year}-{self.month:02d}: {self.myna_count} My Number card verifications "
                f"out of only {self.total_count}"
            )

    @property
    def rate(self) -> Fraction | None:
        return Fraction(self.myna_count, self.total_count) if self.total_count else None


@dataclass(frozen=True, slots=True)
class UsageThreshold:
    """A usage-rate requirement (fee addition or subsidy) that the month is measured against."""

    label: str
    period: str
    #: Required rate as a ratio 0..1 (Decimal("0.45") = 45%); None only when unverified.
    required_rate: Decimal | None
    source: str
    #: Not found in a source (policy confidence "guess"): shown, never judged.
    unverified: bool = False
    note: str = ""

    def __post_init__(self) -> None:
        if self.required_rate is None:
            if not self.unverified:
                raise ReportInputError(f"{self.label}: a verified threshold needs a rate")
            return
        rate = Decimal(str(self.required_rate))
        if not Decimal(0) <= rate <= Decimal(1):
            raise ReportInputError(f"{self.label}: required rate {rate} is not within 0..1")
        _set(self, "required_rate", rate)


@dataclass(frozen=True, slots=True)
class MonthlyUsage:
    """Input of the monthly usage report."""

    facility: Facility
    year: int
    month: int
    day_counts: tuple[DayPathCount, ...]
    thresholds: tuple[UsageThreshold, ...] = ()
    #: Earlier months for the trend (the report month is computed from ``day_counts``).
    history: tuple[MonthTotal, ...] = ()
    #: Verifications of the month that came from the virtual card / simulated terminal.
    simulated_count: int = 0
    #: Report date (printed, used as the PDF creation date).
    as_of: date | None = None
    generation: GenerationInfo = field(default_factory=GenerationInfo)
    #: Explanations printed under the thresholds (how the rate is counted, sources).
    notes: tuple[str, ...] = ()
    #: What failed when the records did not verify and printing was asked for anyway (each
    #: page then carries a red banner); None: the chain and the rows verified.
    unverified: str | None = None

    def __post_init__(self) -> None:
        _set(self, "notes", tuple(self.notes))
        if not 1 <= self.month <= 12:
            raise ReportInputError(f"month must be 1..12, got {self.month!r}")
        _non_negative(self.simulated_count, "simulated count")
        counts = tuple(self.day_counts)
        for c in counts:
            if (c.day.year, c.day.month) != (self.year, self.month):
                raise ReportInputError(f"count for {c.day} is outside {self.year}-{self.month:02d}")
        _set(self, "day_counts", counts)
        _set(self, "thresholds", tuple(self.thresholds))
        history = tuple(sorted(self.history, key=lambda m: (m.year, m.month)))
        if any((m.year, m.month) >= (self.year, self.month) for m in history):
            raise ReportInputError("history must hold only months before the report month")
        _set(self, "history", history)


# --- subsidies -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubsidyProgram:
    """One subsidy program tier (a rate and caps for a set of facility classes)."""

    name: str
    facility_classes: tuple[FacilityKind, ...]
    rate: Fraction
    #: Project-cost cap (事業費上限); None when the notice states only the subsidy cap.
    cost_cap: int | None
    subsidy_cap: int
    #: Last day applications are accepted; None = no end announced.
    deadline: date | None
    evidence: tuple[str, ...]
    source: str
    applies: bool
    entered_cost: int | None = None
    #: Amount for ``entered_cost`` from :mod:`policies.subsidy` (the notices' rounding).
    computed_amount: int | None = None
    note: str = ""
    #: Program id in the policy data: the key of ``report subsidy --cost ID=YEN``.
    program_id: str = ""
    #: First day applications are accepted, when known.
    opens: date | None = None

    def __post_init__(self) -> None:
        _set(
            self,
            "facility_classes",
            tuple(_enum(FacilityKind, k, "facility class") for k in self.facility_classes),
        )
        rate = Fraction(self.rate)
        if not 0 < rate <= 1:
            raise ReportInputError(f"{self.name}: subsidy rate {rate} is not within (0, 1]")
        _set(self, "rate", rate)
        if self.cost_cap is not None:
            _non_negative(self.cost_cap, f"{self.name}: cost cap")
        _non_negative(self.subsidy_cap, f"{self.name}: subsidy cap")
        _set(self, "evidence", tuple(self.evidence))
        if self.entered_cost is not None:
            _non_negative(self.entered_cost, f"{self.name}: entered cost")
        if self.computed_amount is not None:
            _non_negative(self.computed_amount, f"{self.name}: computed amount")
            if self.entered_cost is None:
                raise ReportInputError(f"{self.name}: an amount without an entered cost")

    @property
    def amount(self) -> int | None:
        return self.computed_amount

    def is_closed(self, as_of: date) -> bool:
        return self.deadline is not None and as_of > self.deadline

    def not_yet_open(self, as_of: date) -> bool:
        return self.opens is not None and as_of < self.opens


@dataclass(frozen=True, slots=True)
class SubsidySheet:
    """Input of the subsidy sheet; ``as_of`` decides which deadlines are past (受付終了)."""

    facility: Facility
    as_of: date
    programs: tuple[SubsidyProgram, ...]
    generation: GenerationInfo = field(default_factory=GenerationInfo)
    #: Printed under the table: the full citation of every source named in it.
    notes: tuple[str, ...] = ()
    #: What failed when the records did not verify and printing was asked for anyway (each
    #: page then carries a red banner); None: the chain and the rows verified.
    unverified: str | None = None

    def __post_init__(self) -> None:
        _set(self, "programs", tuple(self.programs))
        _set(self, "notes", tuple(self.notes))


# --- 被保険者資格申立書 ------------------------------------------------------------------------


#: 一部負担金の割合 a declaration can state (FAIL-03: 3割, 未就学 2割, 70歳以上 1〜3割).
BURDEN_PERCENTS: tuple[int, ...] = (10, 20, 30)


@dataclass(frozen=True, slots=True)
class SelfDeclarationForm:
    """What the desk already knows when it prints a 被保険者資格申立書 (FAIL-02/03).

    Every field but ``facility`` and ``basis`` is optional: empty ones print as blanks for the
    patient to fill in. There is no field for the individual number, and any text that looks
    like one is refused (the form must never carry it).
    """

    facility: Facility
    #: Citations of the notice the form rests on (printed at its foot); at least one.
    basis: tuple[str, ...]
    declared_on: date | None = None
    name: str = ""
    kana: str = ""
    birth_date: date | None = None
    sex: Sex | None = None
    address: str = ""
    phone: str = ""
    chart_no: str = ""
    #: 保険証（資格確認書）の有無; None = not asked yet.
    has_insurance_document: bool | None = None
    insurance_kind: InsuranceKind | None = None
    insurer_name: str = ""
    employer_name: str = ""
    #: 交付時期, as the patient remembers it ("2025年4月頃").
    issued_when: str = ""
    burden_percent: int | None = None
    #: Why online verification failed (printed in the facility's box).
    reason: FailureReason | None = None
    simulated: bool = False
    #: What failed when the records did not verify and printing was asked for anyway (each
    #: page then carries a red banner); None: the chain and the rows verified.
    unverified: str | None = None

    def __post_init__(self) -> None:
        basis = tuple(b for b in self.basis if b.strip())
        if not basis:
            raise ReportInputError("a 申立書 must cite the notice it rests on (basis)")
        _set(self, "basis", basis)
        if self.sex is not None:
            _set(self, "sex", _enum(Sex, self.sex, "sex"))
        if self.insurance_kind is not None:
            _set(self, "insurance_kind", _enum(InsuranceKind, self.insurance_kind, "insurance"))
        if self.reason is not None:
            _set(self, "reason", _enum(FailureReason, self.reason, "reason"))
        if self.burden_percent is not None and self.burden_percent not in BURDEN_PERCENTS:
            raise ReportInputError(
                f"一部負担金の割合 must be one of {BURDEN_PERCENTS} percent, "
                f"got {self.burden_percent!r}"
            )
        for name in (
            "name",
            "kana",
            "address",
            "phone",
            "chart_no",
            "insurer_name",
            "employer_name",
            "issued_when",
        ):
            if contains_twelve_digits(getattr(self, name)):
                raise ReportInputError(
                    f"{name}: holds a 12-digit number; the 申立書 never carries an individual "
                    "number (個人番号)"
                )
