"""The database's side of the bookings check: :class:`StoreBookings` is reader's ``BookingsPort``.

``reader.bulk_check.run_bulk_check`` runs the 一括照会; this adapter supplies the day's bookings
(``storage.bookings`` import), the answer kept with each patient's last confirmed verification
(for 負担割合 / 限度額), and records the check: the answer file verbatim as a terminal result
(its SHA-256 goes into the chain with it, as for any terminal answer) and one
``AuditKind.BULK_CHECKED`` event with the day, the reception number, the answer's SHA-256 and
each booking's chart number, flag and changed fields — never an individual number. The
terminal client also keeps the file in its own archive (``<data>/archive/bulk``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from policies.bulk_check import BookedPatient, BulkCheckRun
from policies.model import Outcome
from storage.bookings import BookingsCsvError, CsvProblem, read_bookings_csv
from storage.records import StaffInfo
from storage.store import MAX_TERMINAL_RESULT_BYTES, AuditKind, Store

#: Visits looked back through for the last confirmed answer of a patient.
HISTORY_LIMIT = 20


class StoreBookings:
    """``reader.bulk_check.BookingsPort`` on a :class:`Store` (``actor``: None for the CLI)."""

    def __init__(self, store: Store, actor: StaffInfo | None = None) -> None:
        self.store = store
        self.actor = actor

    def bookings(
        self, csv_path: Path, day: date
    ) -> tuple[tuple[BookedPatient, ...], tuple[tuple[int, str], ...]]:
        imported = read_bookings_csv(csv_path, self.store, day)
        found = tuple(
            BookedPatient(
                day=b.day,
                time=b.time,
                chart_number=b.chart_number,
                name=b.patient.name,
                kana=b.patient.kana,
                birth_date=b.patient.birth_date,
                numbers=b.numbers,
                known=b.known,
                patient_id=b.patient.id,
            )
            for b in imported.bookings
            if b.day == day
        )
        if not found:
            first = imported.problems[:1]
            raise BookingsCsvError(
                f"{csv_path.name}: no bookings on {day.isoformat()} to check"
                + "".join(
                    f" (rows not imported: {len(imported.problems)}, first line {line}: {reason})"
                    for line, reason in first
                ),
                CsvProblem.NO_BOOKINGS,
            )
        return found, imported.problems

    def last_confirmed_answer(self, patient_id: int) -> bytes | None:
        for visit in self.store.patient_history(patient_id, limit=HISTORY_LIMIT):
            attempt = visit.latest
            if attempt is not None and attempt.outcome is Outcome.CONFIRMED:
                if attempt.terminal_result_id is None:
                    return None  # confirmed without a kept answer: nothing newer to compare
                return self.store.terminal_result(attempt.terminal_result_id)[1]
        return None

    def record(self, run: BulkCheckRun, raw_answer: bytes | None) -> BulkCheckRun:
        payload = run.audit_payload()
        payload["terminal_result_id"] = None
        if raw_answer is not None and len(raw_answer) <= MAX_TERMINAL_RESULT_BYTES:
            kept = self.store.save_terminal_result(
                self.actor,
                raw_xml=raw_answer,
                file_name=run.answer_file or "bulk-answer",
                arbitrary_file_identifier=run.reception_number,
                summary={"source": "bulk", "day": run.day.isoformat()},
                simulated=run.simulated,
            )
            payload["terminal_result_id"] = kept.id
        head = self.store.append_event(AuditKind.BULK_CHECKED, self.actor, payload)
        return replace(run, chain_seq=head.seq, chain_hash=head.hash)
