"""The desk's status strip and its database side: staff, facility profile, database health.

:class:`StatusBoard` owns what ``DeskStatus`` shows besides the reader and the terminal (those
come from the card watch and the terminal link): the logged-in staff member, the facility
profile and the database's health. Every call to the ``Recorder`` port that is not a record goes
through :meth:`StatusBoard.db_job`, so a database that cannot be used turns the strip red in one
place, and a red strip turns green again when a later call (or the periodic check) succeeds.
A chain this PC's witness saw rolled back (``ChainRolledBack``, at start-up or from any write)
is a state of its own, ``DatabaseStatus.rolled_back``: reading goes on, recording waits, and the
desk shows it until an administrator's decision (:meth:`StatusBoard.accept_restored_chain`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from policies.model import FacilityProfile
from policies.records import ChainRolledBack, DatabaseUnavailable, LoginRefused, StaffRef
from reader.reception.events import DatabaseStatus, DeskMode, DeskStatus, ProblemKind

if TYPE_CHECKING:
    from reader.reception.desk import ReceptionDesk

T = TypeVar("T")


class StatusBoard:
    """Staff, facility and database state; builds and publishes ``DeskStatus``."""

    def __init__(self, desk: ReceptionDesk) -> None:
        self.desk = desk
        self.database = DatabaseStatus(ok=False, description="", error="not checked yet")
        self.staff: StaffRef | None = None
        self.facility: FacilityProfile | None = None
        self._last: DeskStatus | None = None
        self._demo_card_ids: tuple[str, ...] | None = None
        self._checking = False

    def env_simulated(self) -> bool:
        """The set-up itself is simulated: demo mode or a simulated terminal."""
        return self.desk.mode is DeskMode.DEMO or self.desk.terminal_link.simulated()

    def snapshot(self) -> DeskStatus:
        desk = self.desk
        reader = desk.card_watch.active_reader()
        demo = desk.demo_cards
        return DeskStatus(
            mode=desk.mode,
            reader=desk.card_watch.reader_status(reader),
            terminal=desk.terminal_link.terminal_status(),
            database=self.database,
            staff=self.staff,
            facility=self.facility,
            demo_cards=self._demo_ids(),
            demo_card_inserted=demo.inserted() if demo is not None else None,
            simulated=self.env_simulated() or bool(reader and reader.virtual),
        )

    def _demo_ids(self) -> tuple[str, ...]:
        if self.desk.demo_cards is None:
            return ()
        if self._demo_card_ids is None:
            self._demo_card_ids = tuple(self.desk.demo_cards.card_ids())
        return self._demo_card_ids

    def publish(self) -> None:
        """Emit the status when it changed since the last one emitted."""
        status = self.snapshot()
        if status != self._last:
            self._last = status
            self.desk.actor.emit(status)

    # -- the database --

    def db_job(
        self, job: Callable[[], T], done: Callable[[T], None], *, visit_id: int | None = None
    ) -> None:
        """A recorder call; a failure becomes Problem(DATABASE) and a red database status."""

        def finish(result: T | None, error: BaseException | None) -> None:
            if error is not None:
                self.database_error(error)
                self.desk.actor.problem(
                    ProblemKind.DATABASE, str(error), code=type(error).__name__, visit_id=visit_id
                )
                return
            self.database_ok()
            done(result)  # type: ignore[arg-type]

        self.desk.actor.work(self.desk.actor.db_pool, job, finish)

    def database_ok(self) -> None:
        if not self.database.ok:
            self.database = dataclasses.replace(self.database, ok=True, error=None)
            self.publish()

    def database_error(self, error: BaseException) -> None:
        """Only a database that cannot be used turns the status red (not a refused request);
        a chain this PC saw rolled back blocks recording until an administrator decides."""
        if isinstance(error, ChainRolledBack):
            self.database = dataclasses.replace(self.database, rolled_back=str(error))
            self.publish()
        elif isinstance(error, DatabaseUnavailable):
            self.database = dataclasses.replace(self.database, ok=False, error=str(error))
            self.publish()

    def check_database(self) -> None:
        """Periodic: is a red database reachable again?"""
        if self.database.ok or self._checking:
            return
        self._checking = True

        def checked(_: None, error: BaseException | None) -> None:
            self._checking = False
            if error is None:
                self.database_ok()

        self.desk.actor.work(self.desk.actor.db_pool, self.desk.recorder.check, checked)

    def refresh_database(self) -> None:
        recorder = self.desk.recorder

        def job() -> tuple[str, FacilityProfile | None, str | None]:
            description = recorder.describe()
            recorder.check()
            return description, recorder.facility(), recorder.chain_problem()

        def done(value: tuple[str, FacilityProfile | None, str | None]) -> None:
            description, facility, rolled_back = value
            self.database = DatabaseStatus(
                ok=True, description=description, rolled_back=rolled_back
            )
            self.facility = facility
            if facility is None:
                self.desk.actor.problem(
                    ProblemKind.CONFIG,
                    "no facility profile is set: an administrator must set it up",
                    code="no_facility",
                )
            self.publish()

        self.db_job(job, done)

    # -- staff --

    def login(self, username: str, password: str) -> None:
        """Log in; a refusal is Problem(LOGIN): ``login_failed`` (wrong user name or password,
        never saying which), ``login_throttled`` (with ``wait_s``) or ``login_locked``."""
        recorder = self.desk.recorder

        def job() -> StaffRef | LoginRefused | None:
            try:
                return recorder.authenticate(username, password)
            except LoginRefused as refused:  # an answer, not a database failure
                return refused

        def done(answer: StaffRef | LoginRefused | None) -> None:
            if isinstance(answer, LoginRefused):
                if answer.locked:
                    self.desk.actor.problem(ProblemKind.LOGIN, str(answer), code="login_locked")
                else:
                    wait = max(1, math.ceil(answer.retry_after_s or 0))
                    self.desk.actor.problem(
                        ProblemKind.LOGIN, str(answer), code="login_throttled", wait_s=wait
                    )
                return
            if answer is None:
                self.desk.actor.problem(
                    ProblemKind.LOGIN, "wrong user name or password", code="login_failed"
                )
                return
            self.staff = answer
            self.publish()
            self.desk.recording.write_after_login()

        self.db_job(job, done)

    def logout(self) -> None:
        staff, self.staff = self.staff, None
        if staff is not None:
            self.db_job(lambda: self.desk.recorder.logout(staff), lambda _: None)
        self.publish()

    def accept_restored_chain(self, reason: str) -> None:
        """The logged-in administrator's decision on a rolled-back chain; recording resumes
        (a refusal is a Problem, and the desk stays blocked)."""
        staff = self.require_staff()
        if staff is None:
            return

        def done(_: None) -> None:
            self.database = dataclasses.replace(self.database, rolled_back=None)
            self.publish()

        self.db_job(lambda: self.desk.recorder.accept_restored_chain(staff, reason), done)

    def require_staff(self) -> StaffRef | None:
        if self.staff is None:
            self.desk.actor.problem(ProblemKind.LOGIN, "log in first", code="not_logged_in")
        return self.staff
