"""The database's side of the bookings check: :class:`StoreBookings` is reader's ``BookingsPort``.

``reader.bulk_check.run_bulk_check`` runs the 一括照会; this adapter supplies the day's bookings
(``storage.bookings`` import), the answer kept with each patient's last confirmed verification
(for 負担割合 / 限度額), and records the check: the answer file verbatim as a terminal result
(its SHA-256 goes into the chain with it, as for any terminal answer) and one
``AuditKind.BULK_CHECKED`` event with the day, the reception number, the answer's SHA-256 and
each booking's chart number, flag and changed fields — never an individual number. The
terminal client also keeps the file in its own archive (``<data>/archive/bulk``).

A download that gave up while the terminal still said 処理中 leaves its reception number in the
chain (``AuditKind.BULK_PENDING``, once per number); the chain is where bulk checks live, so the
pending number and the check that finally records its result are found there — among the events
since :data:`LOOK_BACK` before the day, a range on the events' time index. A number with a
``BULK_CHECKED`` event is no longer pending, and a second record of it is refused, so a download
resumed twice records its result once.

At the visit the desk starts from the check (:func:`result_for`, through the runtime's recorder
port): the latest check of the visit's day that lists the patient's chart number, read back from
its event — flag, changed fields, when, simulated — as ``policies.bulk_check.BulkResultForVisit``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from policies.bookings import BookingFlag, Change
from policies.bulk_check import BookedPatient, BulkCheckRun, BulkResultForVisit, PendingBulkCheck
from policies.model import Outcome
from storage.bookings import BookingsCsvError, CsvProblem, read_bookings_csv
from storage.errors import InvalidInput
from storage.records import StaffInfo, StoredEvent
from storage.store import MAX_TERMINAL_RESULT_BYTES, AuditKind, Store
from storage.timeutil import day_bounds_utc

#: Visits looked back through for the last confirmed answer of a patient.
HISTORY_LIMIT = 20
#: How long before a day its bulk checks are looked for (a check runs the evening before; the
#: bound keeps the read on the events' time index short, also when a visit opens).
LOOK_BACK = timedelta(days=14)


def bulk_events(store: Store, kind: str, day: date) -> list[StoredEvent]:
    """The ``kind`` events (BULK_CHECKED / BULK_PENDING) about ``day``, oldest first."""
    since = day_bounds_utc(day - LOOK_BACK)[0]
    return [e for e in store.events(kind, since) if e.payload.get("day") == day.isoformat()]


def result_for(store: Store, chart_number: str, day: date) -> BulkResultForVisit | None:
    """What the latest 一括照会 of ``day`` listing ``chart_number`` said about that booking."""
    for event in reversed(bulk_events(store, AuditKind.BULK_CHECKED, day)):
        for booking in event.payload.get("bookings", ()):
            if booking.get("chart_number") != chart_number:
                continue
            try:  # a value this version does not know (a newer one wrote it) is no start
                flag = BookingFlag(booking["flag"])
                changes = tuple(Change(c) for c in booking.get("changes", ()))
            except (KeyError, TypeError, ValueError):
                return None
            note = booking.get("note")
            return BulkResultForVisit(
                day=day,
                flag=flag,
                changes=changes,
                checked_at=event.occurred_at,
                simulated=bool(event.payload.get("simulated")),
                chain_seq=event.seq,
                note=note if isinstance(note, str) and note else None,
            )
    return None


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

    def _recorded(self, day: date) -> dict[str, int]:
        """Reception number → chain seq of the checks of ``day`` recorded already."""
        return {
            str(e.payload["reception_number"]): e.seq
            for e in bulk_events(self.store, AuditKind.BULK_CHECKED, day)
            if e.payload.get("reception_number")
        }

    def pending(self, day: date) -> PendingBulkCheck | None:
        """The day's newest download left 処理中, unless a check of the day was recorded after it:
        its own result, or a later check that supersedes it (the terminal may have dropped it)."""
        checks = bulk_events(self.store, AuditKind.BULK_CHECKED, day)
        last_check = max((e.seq for e in checks), default=0)
        kept = bulk_events(self.store, AuditKind.BULK_PENDING, day)
        if not kept or kept[-1].seq < last_check:
            return None
        e = kept[-1]
        return PendingBulkCheck(
            day,
            str(e.payload["reception_number"]),
            bool(e.payload.get("simulated")),
            int(e.payload.get("processing_answers", 0)),
            e.seq,
        )

    def keep_pending(self, pending: PendingBulkCheck) -> PendingBulkCheck:
        kept = self.pending(pending.day)
        if kept is not None and kept.reception_number == pending.reception_number:
            return kept  # a resumed download that gave up again: kept already
        head = self.store.append_event(AuditKind.BULK_PENDING, self.actor, pending.audit_payload())
        return replace(pending, chain_seq=head.seq)

    def record(self, run: BulkCheckRun, raw_answer: bytes | None) -> BulkCheckRun:
        number = run.reception_number
        seq = self._recorded(run.day).get(number) if number else None
        if seq is not None:
            raise InvalidInput(
                f"the 一括照会 {number} of {run.day.isoformat()} is recorded already "
                f"(chain seq {seq}): nothing recorded again"
            )
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
