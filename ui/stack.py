"""What the UI needs from the stack main.py builds, as a Protocol: the UI never imports main.py.

main.py is the composition root (it alone chooses real or virtual card, real or simulated
terminal, SQLite or PostgreSQL); its ``DeskStack`` satisfies :class:`Stack` structurally. The
window gets the reception runtime (``desk``: commands and events), the store (lists, staff,
settings, reports), the few settings main.py resolves for it, and the one operation that needs
the terminal and the store together (the bookings check, and the day's job still pending), and
nothing else.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from policies.bulk_check import BulkCheckRun, BulkProgress, PendingBulkCheck
from reader.reception import ReceptionDesk
from storage.records import StaffInfo
from storage.store import Store


@dataclass(frozen=True, slots=True)
class PcSettings:
    """What the admin screen may change in this PC's madoguchi.toml (used from the next start):
    main.py reads and writes it, the settings dialog edits a copy (``dataclasses.replace``)."""

    #: SQLAlchemy URL or SQLite file path; None: SQLite in the user-data folder.
    database: str | None
    #: The OQS folder (with req/res/face); None: 資格確認限定型, no terminal folder.
    terminal_root: str | None
    medical_institution_code: str = ""
    request_encoding: str = "utf-8"


class Stack(Protocol):
    """The running parts and settings the reception window works with."""

    desk: ReceptionDesk
    store: Store

    def actor(self) -> StaffInfo:
        """The logged-in staff member (PermissionError when nobody is); the store re-checks."""
        ...

    def print_masking(self) -> str: ...
    def idle_lock_minutes(self) -> int: ...

    def pc_settings(self) -> PcSettings | None:
        """This PC's connections; None in demo mode (nothing to edit)."""
        ...

    def save_pc_settings(self, new: PcSettings) -> Path:
        """Written to madoguchi.toml; used from the next start."""
        ...

    def check_bookings(
        self,
        csv_path: Path,
        day: date,
        stop: threading.Event,
        progress: Callable[[BulkProgress], None],
        resume: bool = False,
    ) -> BulkCheckRun:
        """The 一括照会 of the day's bookings in ``csv_path``, recorded (blocking: call it off the
        GUI thread; ``stop`` ends it at once, ``progress`` is told each step on that thread).
        ``resume`` downloads the day's pending job instead of sending a new one. Raises
        ``storage.bookings.BookingsCsvError`` for a list it cannot use; a job the terminal still
        has 処理中 at the deadline raises an error with its ``reception_number``, kept pending."""
        ...

    def pending_bulk_check(self, day: date) -> PendingBulkCheck | None:
        """The day's 一括照会 whose download gave up while 処理中, until its result is recorded."""
        ...
