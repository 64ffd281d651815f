"""The values of one night's 一括照会 of tomorrow's bookings, as both layers see them.

``reader`` runs the check (:mod:`reader.bulk_check`) and ``storage`` supplies the bookings,
records the result and prints the list; neither may import the other, so what crosses between
them is defined here, in the pure package both may import (as :mod:`policies.records` does for
the desk's recorder port). Nothing here carries an individual number: a booking is named by its
chart number, and the audit payload by chart number, flag and changed fields only (and, for a
booking left 未照会, the note saying why, which the desk shows when the patient comes).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from policies.bookings import BookingFlag, Change, KnownCoverage
from policies.records import InsuranceNumbers


@dataclass(frozen=True, slots=True)
class BookedPatient:
    """One booking of the list, with what the clinic has on file for its patient."""

    day: date
    time: time | None
    chart_number: str
    name: str
    kana: str
    birth_date: date | None
    #: The numbers the 一括照会 asks with; None when those on file are incomplete.
    numbers: InsuranceNumbers | None
    known: KnownCoverage
    patient_id: int | None = None


@dataclass(frozen=True, slots=True)
class CheckedBooking:
    """A booking and what tonight's check says about it."""

    booking: BookedPatient
    flag: BookingFlag
    changes: tuple[Change, ...] = ()
    #: For the desk, in Japanese: why a booking is UNCHECKED, when the cover ended, or the values
    #: that changed (負担割合 / 限度額区分; never an insurance number).
    note: str | None = None

    def audit_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "chart_number": self.booking.chart_number,
            "flag": self.flag.value,
            "changes": [c.value for c in self.changes],
        }
        if self.flag is BookingFlag.UNCHECKED and self.note:
            entry["note"] = self.note  # why it was not checked, for the desk the next day
        return entry


@dataclass(frozen=True, slots=True)
class BulkCheckRun:
    """One bulk check of a day's bookings, ready to record and to print."""

    day: date
    #: None (and no answer) when no booking had numbers on file: the terminal was not asked.
    reception_number: str | None
    #: SHA-256 of the answer file exactly as received (zip or XML), hex.
    answer_sha256: str | None
    answer_file: str | None
    simulated: bool
    processing_answers: int
    #: In booking-time order, as the list prints them.
    rows: tuple[CheckedBooking, ...]
    #: (line, reason) of every CSV row that could not be imported.
    problems: tuple[tuple[int, str], ...] = ()
    #: What did not add up in the terminal's answer (counts, unmatched units…).
    warnings: tuple[str, ...] = ()
    #: The answer was downloaded by a later run, under the reception number an earlier run kept.
    resumed: bool = False
    #: Where the chain recorded this check (set by the recorder).
    chain_seq: int | None = None
    chain_hash: str | None = None

    def counts(self) -> dict[str, int]:
        """Bookings per flag, every flag present (0 included) so totals compare across nights."""
        found = Counter(r.flag for r in self.rows)
        return {flag.value: found[flag] for flag in BookingFlag}

    def audit_payload(self) -> dict[str, Any]:
        """The chain event's payload: what was asked, the answer's hash and each booking's flag."""
        return {
            "day": self.day.isoformat(),
            "reception_number": self.reception_number,
            "answer_file": self.answer_file,
            "answer_sha256": self.answer_sha256,
            "simulated": self.simulated,
            "processing_answers": self.processing_answers,
            "resumed": self.resumed,
            "counts": self.counts(),
            "bookings": [r.audit_entry() for r in self.rows],
            "rows_not_imported": len(self.problems),
            "warnings": list(self.warnings),
        }


class BulkStage(StrEnum):
    """Where a running 一括照会 is, for a window that shows it while the terminal works."""

    #: The request is in req; the terminal has not given a reception number yet.
    SENT = "sent"
    #: The terminal accepted the job (``reception_number``) and is asked for the result.
    ACCEPTED = "accepted"
    #: The terminal answered 処理中 (``processing_answers`` times so far).
    PROCESSING = "processing"


@dataclass(frozen=True, slots=True)
class BulkProgress:
    """One step of a running 一括照会 (the terminal client reports it; nothing is recorded)."""

    stage: BulkStage
    reception_number: str | None = None
    processing_answers: int = 0


@dataclass(frozen=True, slots=True)
class PendingBulkCheck:
    """A day's 一括照会 the terminal still had 処理中 when its run gave up: the reception
    number to download it with later (``bookings check --resume``) until its result is recorded."""

    day: date
    reception_number: str
    simulated: bool
    #: 処理中 answers the run that gave up received.
    processing_answers: int = 0
    #: Where the chain recorded it (set by the recorder).
    chain_seq: int | None = None

    def audit_payload(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "reception_number": self.reception_number,
            "simulated": self.simulated,
            "processing_answers": self.processing_answers,
        }


@dataclass(frozen=True, slots=True)
class BulkResultForVisit:
    """What the 一括照会 of a visit's day said about its patient: the desk's starting point.

    It is not a verification of the visit: identity is still confirmed at the desk and the visit
    records its own verification path. ``checked_at`` is when the check was recorded (Tokyo),
    ``chain_seq`` its event.
    """

    day: date
    flag: BookingFlag
    changes: tuple[Change, ...]
    checked_at: datetime
    simulated: bool
    chain_seq: int
    #: Why a 未照会 booking was not checked (its note as recorded; None for the other flags and
    #: for a check recorded before notes were).
    note: str | None = None
