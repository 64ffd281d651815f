"""Tomorrow's bookings checked tonight: bookings list → 一括照会 → one flag per booking → chain.

The operation needs both the terminal (``reader``) and the database (``storage``), and neither
layer may import the other. It lives here, in reader, behind a port — :class:`BookingsPort`, a
Protocol that ``storage.bulk_checks.StoreBookings`` implements, as ``reader.reception.ports``
does for the desk — rather than in main.py: the window's 「明日の予約」 view, the command line and
a nightly job then all run the same code, and main.py only hands the two halves to each other.
The values that cross the port are the plain dataclasses of :mod:`policies.bulk_check`.

What is compared: the numbers on file (insurer, 記号, 番号, 枝番) always; 負担割合 and 限度額区分
only when the patient's last confirmed verification kept a terminal answer (read again here with
the project's parser, exactly as a bulk unit is read). Without one, only the numbers and the
validity are compared — an unknown value is never reported as a change (``policies.bookings``).

The call blocks (minutes while the terminal says 処理中): run it on a worker thread and set
``stop`` to end it at once; ``schedule.deadline_s`` bounds the whole download. The command line
runs it on its main thread with :func:`run_until_interrupted` (Ctrl+C sets ``stop``), in demo
mode against :func:`demo_terminal`.
"""

from __future__ import annotations

import hashlib
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, time
from pathlib import Path
from typing import Protocol

from policies.bookings import (
    BookingCheck,
    BookingFlag,
    Change,
    Coverage,
    CoverageStatus,
    KnownCoverage,
    check_booking,
)
from policies.bulk_check import BookedPatient, BulkCheckRun, CheckedBooking, PendingBulkCheck
from reader.terminal.bulk import (
    BulkAnswer,
    BulkClient,
    BulkSchedule,
    BulkSearch,
    Progress,
    coverage_of,
    no_progress,
)
from reader.terminal.config import TerminalConfig
from reader.terminal.errors import BulkError, BulkTimeout, TerminalConfigError, TerminalError
from reader.terminal.parser import parse_result
from reader.terminal.results import ResultSource

NO_NUMBERS = "保険証の番号が未登録（来院時に確認）"
NO_ANSWER = "一括照会の回答なし（来院時に確認）"
MULTIPLE = "複数の資格が該当（来院時に確認）"


class BookingsPort(Protocol):
    """What the bulk check needs from the database (``storage.bulk_checks.StoreBookings``)."""

    def bookings(
        self, csv_path: Path, day: date
    ) -> tuple[tuple[BookedPatient, ...], tuple[tuple[int, str], ...]]:
        """The day's bookings of the CSV resolved to patients, and (line, reason) of the rows
        that could not be imported; raises when the file cannot be read at all."""
        ...

    def last_confirmed_answer(self, patient_id: int) -> bytes | None:
        """The terminal answer kept with the patient's last confirmed verification, if any."""
        ...

    def record(self, run: BulkCheckRun, raw_answer: bytes | None) -> BulkCheckRun:
        """Keep the answer and append the chain event; the run with the event's seq and hash.
        Raises when a check with the run's reception number is recorded already."""
        ...

    def keep_pending(self, pending: PendingBulkCheck) -> PendingBulkCheck:
        """Record in the chain the reception number of a download that gave up (once per
        number); the pending check with the event's seq."""
        ...

    def pending(self, day: date) -> PendingBulkCheck | None:
        """The latest kept reception number of ``day`` whose result is not recorded yet."""
        ...


def _known(port: BookingsPort, booking: BookedPatient) -> KnownCoverage:
    """The numbers on file, with 負担割合 and 限度額区分 of the last confirmed answer if kept."""
    raw = port.last_confirmed_answer(booking.patient_id) if booking.patient_id else None
    if not raw:
        return booking.known
    try:
        last = coverage_of(parse_result(raw, source=ResultSource.QUERY))
    except TerminalError:  # pasted app text, or an answer this version no longer reads
        return booking.known
    return replace(booking.known, ratio_wari=last.ratio_wari, limit_category=last.limit_category)


def _note(on: date, known: KnownCoverage, coverage: Coverage, check: BookingCheck) -> str | None:
    """What the desk should know beyond the flag (dates and values, never numbers)."""
    parts: list[str] = []
    if check.flag is BookingFlag.ENDED:
        if coverage.disqualification_date is not None and coverage.disqualification_date <= on:
            parts.append(f"資格喪失日 {coverage.disqualification_date.isoformat()}")
        elif coverage.valid_until is not None and coverage.valid_until < on:
            parts.append(f"有効期限 {coverage.valid_until.isoformat()}")
    if Change.INSURER in check.changes:
        replaced = coverage.status is CoverageStatus.REPLACED
        parts.append("新しい保険の資格あり" if replaced else "保険者番号・記号・番号が登録と異なる")
    if Change.RATIO in check.changes:
        parts.append(f"負担割合 {known.ratio_wari}割→{coverage.ratio_wari}割")
    if Change.LIMIT in check.changes:
        parts.append(f"限度額区分 {known.limit_category}→{coverage.limit_category}")
    if coverage.status is CoverageStatus.MULTIPLE:
        parts.append(MULTIPLE)
    return "、".join(parts) or None


def _checked(
    port: BookingsPort, booking: BookedPatient, answer: BulkAnswer | None
) -> CheckedBooking:
    if booking.numbers is None:
        return CheckedBooking(booking, BookingFlag.UNCHECKED, note=NO_NUMBERS)
    unit = answer.unit_for(booking.numbers) if answer is not None else None
    if unit is None:
        return CheckedBooking(booking, BookingFlag.UNCHECKED, note=NO_ANSWER)
    coverage, known = unit.coverage, _known(port, booking)
    check = check_booking(booking.day, known, coverage)
    if coverage.status is CoverageStatus.ERROR:
        r = unit.result
        said = " ".join(x for x in (r.processing_result_code, r.processing_result_message) if x)
        return CheckedBooking(
            booking, check.flag, note=f"照会エラー{' ' + said if said else ''}（来院時に確認）"
        )
    return CheckedBooking(
        booking, check.flag, check.changes, _note(booking.day, known, coverage, check)
    )


def _order(row: CheckedBooking) -> tuple[time, str]:
    return row.booking.time or time.max, row.booking.chart_number


def _ask(
    port: BookingsPort,
    client: BulkClient,
    searches: list[BulkSearch],
    day: date,
    *,
    stop: threading.Event | None,
    resume: bool,
    progress: Progress,
) -> BulkAnswer:
    """The whole exchange, or (``resume``) only the download of the day's kept reception number.
    A download still 処理中 at the deadline keeps its reception number in the chain (what the
    terminal's own screen and the vendor know the job by) and names it."""
    pending = port.pending(day) if resume else None
    if resume and pending is None:
        raise BulkError(
            f"no 一括照会 of {day.isoformat()} is waiting to be downloaded "
            "(none gave up, or its result is recorded already)"
        )
    try:
        if pending is not None:
            return client.resume(
                pending.reception_number, searches, day, stop=stop, progress=progress
            )
        return client.check(searches, day, stop=stop, progress=progress)
    except BulkTimeout as exc:
        if exc.reception_number is None:
            raise
        port.keep_pending(
            PendingBulkCheck(
                day, exc.reception_number, client.config.simulated, exc.processing_answers
            )
        )
        raise BulkTimeout(
            f"{exc} (ReceptionNumber {exc.reception_number}, kept: download it later with resume)",
            reception_number=exc.reception_number,
            processing_answers=exc.processing_answers,
        ) from None


def run_bulk_check(
    port: BookingsPort,
    config: TerminalConfig | None,
    csv_path: Path,
    day: date,
    *,
    schedule: BulkSchedule | None = None,
    stop: threading.Event | None = None,
    limit_consent: bool = False,
    progress: Progress = no_progress,
    resume: bool = False,
) -> BulkCheckRun:
    """Import the day's bookings, ask the terminal about every patient whose numbers are on
    file, flag each booking and record the check in the audit chain.

    With ``resume`` no new 一括照会 is sent: the day's reception number kept by a run whose
    download gave up is downloaded (``02req`` only) and its result recorded — once: a recorded
    number is not pending any more, so resuming again is an error and records nothing.

    Raises the port's error for an unreadable list, and ``reader.terminal.errors.BulkError`` (a
    ``BulkTimeout`` carries the reception number, kept through the port) when the terminal gives
    no result; no check is recorded then. Bookings without numbers are UNCHECKED, with a note.
    ``progress`` is told each step of the exchange (on this thread). ``config`` None (a desk
    without a terminal folder) raises ``TerminalConfigError`` before anything is read.
    """
    if config is None:
        raise TerminalConfigError("no terminal folder is configured (資格確認限定型)")
    bookings, problems = port.bookings(csv_path, day)
    searches = [BulkSearch(b.numbers, limit_consent) for b in bookings if b.numbers is not None]
    if resume and not searches:
        raise BulkError(f"no booking of {day.isoformat()} has numbers to download results for")
    client = BulkClient(config, schedule)
    answer = (
        _ask(port, client, searches, day, stop=stop, resume=resume, progress=progress)
        if searches
        else None
    )
    rows = sorted((_checked(port, b, answer) for b in bookings), key=_order)
    run = BulkCheckRun(
        day=day,
        reception_number=answer.receipt.reception_number if answer else None,
        answer_sha256=hashlib.sha256(answer.raw).hexdigest() if answer else None,
        answer_file=answer.file_name if answer else None,
        simulated=answer.simulated if answer else config.simulated,
        processing_answers=answer.processing_answers if answer else 0,
        rows=tuple(rows),
        problems=problems,
        warnings=answer.warnings if answer else (),
        resumed=resume,
    )
    return port.record(run, answer.raw if answer else None)


@contextmanager
def _interrupt_sets(stop: threading.Event) -> Iterator[None]:
    """Ctrl+C sets ``stop`` instead of raising (main thread only), so a long wait ends cleanly."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run_until_interrupted(
    port: BookingsPort,
    config: TerminalConfig,
    csv_path: Path,
    day: date,
    *,
    deadline_s: float,
    wait_s: float | None = None,
    limit_consent: bool = False,
    resume: bool = False,
) -> BulkCheckRun:
    """:func:`run_bulk_check` for the command line: ``wait_s`` between download requests (None:
    the schedule's own waits); Ctrl+C stops the wait, and the client withdraws a request the
    terminal has not collected. ``resume``: as in :func:`run_bulk_check`."""
    waits = {"waits_s": (wait_s,)} if wait_s else {}
    stop = threading.Event()
    with _interrupt_sets(stop):
        return run_bulk_check(
            port,
            config,
            csv_path,
            day,
            schedule=BulkSchedule(deadline_s=deadline_s, **waits),
            stop=stop,
            limit_consent=limit_consent,
            resume=resume,
        )


@contextmanager
def demo_terminal(demo_dir: Path, medical_institution_code: str) -> Iterator[TerminalConfig]:
    """The demo's SIMULATED terminal: its simulator process on the demo folder, for one run."""
    from reader.reception import SimulatedTerminalProcess  # noqa: PLC0415  (a process, demo only)

    config = TerminalConfig.demo(demo_dir, medical_institution_code)
    sim = SimulatedTerminalProcess(config.root).start()
    try:
        yield config
    finally:
        sim.stop()
