"""The desk's terminal link: queries to the verification terminal and the answers coming back.

:class:`TerminalLink` owns the terminal's health as the status strip shows it, the card
presentations made to the simulator and the follow-up queries in flight. It sends individual
queries (with numbers from documents or the patient on file), follow-up queries on recorded
visits (FAIL-04), reads pasted マイナ資格確認アプリ text, and feeds every answer to its session.
An answer is dropped when its session moved on meanwhile (the generation counter changed, or the
session waits for another request).

REAL terminal, card route: the OQS file interface has no card-based request (research
oqs-interface.md). After the PIN or the visual check the desk therefore waits for the terminal's
own face-style result (the patient on the face reader / terminal) or for pasted マイナ資格確認アプリ
text; ``SessionUpdated.waiting_for`` is ``FACE_OR_PASTE`` then. Only the SIMULATED terminal has a
card channel (``present_card_to_simulator``), used when the terminal is simulated.
"""

from __future__ import annotations

from concurrent.futures import Future
from datetime import datetime
from typing import TYPE_CHECKING

from policies.matching import compare
from policies.model import FailureReason, VerificationPath, VisitSetting
from policies.reception import ChooseOption, Failed, QueryKind, Screen
from policies.records import InsuranceNumbers, PatientOnFile, VisitOnFile
from reader.reception.events import ProblemKind, TerminalState, TerminalStatus
from reader.reception.results import outcome_event, result_facts
from reader.reception.session import Session
from reader.terminal import (
    FaceResultArrived,
    IdentityCheck,
    IndividualQuery,
    PastedTextError,
    PendingQuery,
    ResultArrived,
    TerminalError,
    TerminalEvent,
    TerminalProblem,
    TerminalProblemKind,
    new_challenge,
    outcome_for_result,
    parse_limited_app_text,
    present_card_to_simulator,
)
from reader.terminal.outcome import OutcomeKind, QueryOutcome
from reader.terminal.queries import HomeVisitNumbers, TerminalQueryKind

if TYPE_CHECKING:
    from reader.reception.desk import ReceptionDesk

#: Terminal problems that mean the terminal cannot be reached (status red, sessions fall back).
_DOWN = (
    TerminalProblemKind.FOLDER_UNAVAILABLE,
    TerminalProblemKind.NO_ANSWER,
    TerminalProblemKind.REQUEST_NOT_COLLECTED,
)


class TerminalLink:
    """The terminal's health, the queries sent and the answers fed to the sessions."""

    def __init__(self, desk: ReceptionDesk) -> None:
        self.desk = desk
        terminal = desk.terminal
        self._state = (
            TerminalState.CONNECTED if terminal is not None else TerminalState.NOT_CONFIGURED
        )
        self._error: str | None = None
        self._error_kind: str | None = None
        #: Card presentations this desk made to the simulator (their late answers stay apart).
        self.presented: set[str] = set()
        self._followups: dict[str, tuple[int, PatientOnFile, VerificationPath]] = {}

    def start(self) -> None:
        terminal = self.desk.terminal
        if terminal is not None:
            post = self.desk.actor.post
            self.desk.unsubscribers.append(terminal.subscribe(lambda e: post(lambda: self._on(e))))
            terminal.start()

    def simulated(self) -> bool:
        return self.desk.terminal is not None and self.desk.terminal.config.simulated

    def terminal_status(self) -> TerminalStatus:
        terminal = self.desk.terminal
        if terminal is None:
            return TerminalStatus(self._state, self.simulated(), self._error)
        health = terminal.health()
        return TerminalStatus(
            self._state,
            self.simulated(),
            self._error,
            health.last_answer_at,
            str(terminal.config.root),
            health.watching,
            health.watch_problem,
        )

    # -- health --

    def _on(self, event: TerminalEvent) -> None:
        if isinstance(event, FaceResultArrived):
            self._ok()
            self.desk.face_pickup.arrived(event)
        elif isinstance(event, ResultArrived):
            if event.outcome.kind is not OutcomeKind.NO_ANSWER:
                self._ok()
            if event.outcome.late:
                self.desk.actor.problem(
                    ProblemKind.TERMINAL,
                    f"a late answer to query {event.request_id} arrived after the fallback; "
                    "it is archived, nothing was changed",
                    code="late_answer",
                )
        elif isinstance(event, TerminalProblem):
            if event.kind in _DOWN:
                self.down(event.message, event.kind.value)
            else:
                self.desk.actor.problem(ProblemKind.TERMINAL, event.message, code=event.kind.value)

    def _ok(self) -> None:
        if self._state is not TerminalState.CONNECTED or self._error:
            self._state = TerminalState.CONNECTED
            self._error = None
            self._error_kind = None
        self.desk.status.publish()

    def down(self, message: str, kind: str) -> None:
        self._state = TerminalState.UNREACHABLE
        self._error = message
        self._error_kind = kind
        self.desk.status.publish()
        self.desk.actor.problem(ProblemKind.TERMINAL, message, code=kind)

    def check(self) -> None:
        """Periodic: folders back after they were unavailable (no event tells us)."""
        terminal = self.desk.terminal
        if (
            terminal is not None
            and self._state is TerminalState.UNREACHABLE
            and self._error_kind in ("folder_unavailable", "request_write")
            and terminal.health().folders_ok
        ):
            self._ok()

    # -- queries for a session --

    def query(self, s: Session, kind: QueryKind) -> None:
        if kind is QueryKind.CARD:
            self._query_card(s)
            return
        numbers = s.numbers or s.patient.numbers
        if numbers is None:
            s.needs_numbers = kind
            s.last_error = "the insurance numbers and birth date are needed for this query"
            self.desk.actor.problem(
                ProblemKind.COMMAND, s.last_error, code="numbers_needed", visit_id=s.visit_id
            )
            return
        self._submit_query(s, kind, numbers)

    def _submit_query(self, s: Session, kind: QueryKind, numbers: InsuranceNumbers) -> None:
        s.needs_numbers = None
        consent = self.desk.limit_consent
        if kind is QueryKind.REQUERY:
            first = s.state.patient.home_first_check or s.ctx.on
            query = HomeVisitNumbers(numbers, first, consent).requery()
        else:
            query = IndividualQuery(numbers, consent, TerminalQueryKind.INDIVIDUAL)
        pending = self._submit(query, s)
        if pending is None:
            return
        s.request_id = pending.request_id
        gen, visit_id, rid = s.gen, s.visit_id, pending.request_id
        post = self.desk.actor.post

        def answered(future: Future[QueryOutcome]) -> None:
            outcome = future.result()
            post(lambda: self._query_answered(visit_id, gen, rid, outcome))

        pending.future.add_done_callback(answered)

    def _submit(self, query: IndividualQuery, s: Session | None) -> PendingQuery | None:
        """Send a query; a failure to even send it routes the session as TERMINAL_DOWN."""
        error: str | None = None
        if self.desk.terminal is None:
            error = "no verification terminal is configured on this PC"
        else:
            try:
                return self.desk.terminal.submit(query)
            except (TerminalError, OSError) as exc:
                error = str(exc)
                self.down(error, "request_write")
        if s is not None:
            s.last_error = error
            self.desk.sessions.runtime(s, Failed(FailureReason.TERMINAL_DOWN))
        else:
            self.desk.actor.problem(ProblemKind.TERMINAL, error or "", code="not_sent")
        return None

    def _query_answered(self, visit_id: int, gen: int, rid: str, outcome: QueryOutcome) -> None:
        s = self.desk.sessions.get(visit_id)
        if s is None or s.request_id != rid or s.gen != gen:
            return
        if outcome.kind is OutcomeKind.NO_ANSWER:
            s.last_error = outcome.error_message or "no answer from the terminal"
        else:
            self.take_result(s, outcome)
        self.feed_outcome(s, outcome)

    def feed_outcome(self, s: Session, outcome: QueryOutcome) -> None:
        """Hand an answer to the session's state machine."""
        event = outcome_event(outcome, expects_public_expense=bool(s.request.public_expenses))
        if not outcome.ok and outcome.kind is not OutcomeKind.NO_ANSWER:
            s.last_error = outcome.error_message or outcome.kind.value
        self.desk.sessions.runtime(s, event)

    def take_result(self, s: Session, outcome: QueryOutcome) -> None:
        """Keep an answer's result on the session, with its mismatches with the patient."""
        s.outcome = outcome
        s.result = outcome.result
        s.result_at = self.desk.clock()
        s.simulated = s.simulated or outcome.simulated
        facts = result_facts(outcome.result)
        s.mismatches = compare(s.patient.facts, facts) if facts else ()

    def _query_card(self, s: Session) -> None:
        s.card_query = True
        terminal = self.desk.terminal
        if terminal is None or not terminal.config.simulated:
            # REAL terminal (or none): the file interface cannot query with a card. Wait for
            # the terminal's face-style result or pasted マイナ資格確認アプリ text (see module doc).
            if terminal is not None:
                self.desk.face_pickup.watch(s)
            return
        sessions = self.desk.sessions
        if s.cert is None:
            s.last_error = "the card's certificate was not read"
            sessions.runtime(s, Failed(FailureReason.CARD_UNREADABLE))
            return
        identity = IdentityCheck.PIN if s.signature else IdentityCheck.VISUAL
        challenge = s.challenge if s.signature and s.challenge else new_challenge()
        try:
            pid = present_card_to_simulator(
                terminal.config,
                certificate_der=s.cert.der,
                challenge=challenge,
                identity_check=identity,
                signature=s.signature,
                limit_consent=self.desk.limit_consent,
            )
        except (TerminalError, OSError) as exc:
            s.last_error = str(exc)
            self.down(str(exc), "sim_present")
            sessions.runtime(s, Failed(FailureReason.TERMINAL_DOWN))
            return
        s.presentation_id = pid
        self.presented.add(pid)
        gen, visit_id = s.gen, s.visit_id

        def timed_out() -> None:
            current = sessions.get(visit_id)
            if current is None or current.gen != gen or current.presentation_id != pid:
                return
            message = "no answer from the (simulated) terminal to the card presentation"
            current.last_error = message
            self.down(message, "no_answer")
            self.feed_outcome(
                current, QueryOutcome(OutcomeKind.NO_ANSWER, error_message=message, simulated=True)
            )

        self.desk.actor.later(terminal.config.answer_timeout_s, timed_out)

    # -- pasted app text --

    def waits_for_card_answer(self, s: Session) -> bool:
        """A REAL terminal's card route: the session waits for a face-style result or a paste."""
        return s.state.screen is Screen.WAIT_TERMINAL and s.card_query and not self.simulated()

    def paste(self, text: str, visit_id: int | None) -> None:
        sessions, today = self.desk.sessions, self.desk.clock().date()
        s = sessions.find(visit_id)
        if s is None:
            return
        try:
            result = parse_limited_app_text(text, received_on=today)
        except PastedTextError as exc:
            message = exc.summary or "the pasted text cannot be used"
            sessions.tell(s, ProblemKind.PASTE, "pasted_text", message, lines=exc.problems)
            return
        if s.state.screen is Screen.CHOOSE_ROUTE:
            option = next(
                (o for o in s.state.offered if o.path is VerificationPath.LIMITED_APP), None
            )
            if option is not None:
                sessions.runtime(s, ChooseOption(option.id))
        waits = (
            s.state.screen is Screen.WAIT_EXTERNAL
            and s.awaiting_external is VerificationPath.LIMITED_APP
        ) or self.waits_for_card_answer(s)
        if not waits:
            self.desk.actor.problem(
                ProblemKind.COMMAND,
                "this session is not waiting for マイナ資格確認アプリ text",
                code="not_waiting_paste",
                visit_id=s.visit_id,
            )
            return
        facility = self.desk.status.facility
        code = facility.medical_institution_code if facility else None
        outcome = outcome_for_result(result, today=today, institution_code=code or None)
        self.take_result(s, outcome)
        self.feed_outcome(s, outcome)

    # -- follow-up queries --

    def query_numbers(self, numbers: InsuranceNumbers | None, visit_id: int | None) -> None:
        sessions, actor = self.desk.sessions, self.desk.actor
        s = sessions.find(visit_id, quiet=visit_id is not None)
        if s is not None and s.needs_numbers is not None:
            numbers = numbers or s.numbers or s.patient.numbers
            if numbers is None:
                actor.problem(
                    ProblemKind.COMMAND,
                    "numbers needed",
                    code="numbers_needed",
                    visit_id=s.visit_id,
                )
                return
            s.numbers = numbers
            self._submit_query(s, s.needs_numbers, numbers)
            sessions.show(s)
            return
        if s is not None:
            if not s.state.final or s.recording or s.pending_record is not None:
                actor.problem(
                    ProblemKind.COMMAND,
                    "finish (or record) this visit before a follow-up query",
                    code="not_finished",
                    visit_id=s.visit_id,
                )
                return
            visit = VisitOnFile(s.visit_id, s.patient, s.request.setting, s.ctx.on)
            self._follow_up(visit, numbers or s.numbers or s.patient.numbers)
            return
        if visit_id is None:
            sessions.find(None)  # reports "no session"
            return
        if self.desk.status.require_staff() is None:
            return
        self.desk.status.db_job(
            lambda: self.desk.recorder.visit(visit_id),
            lambda visit: self._follow_up(visit, numbers or visit.patient.numbers),
            visit_id=visit_id,
        )

    def _follow_up(self, visit: VisitOnFile, numbers: InsuranceNumbers | None) -> None:
        if numbers is None:
            self.desk.actor.problem(
                ProblemKind.COMMAND,
                "no insurance numbers known for this patient: enter them from a document",
                code="numbers_needed",
                visit_id=visit.visit_id,
            )
            return
        kind = (
            TerminalQueryKind.HOME_VISIT_REQUERY
            if visit.setting is VisitSetting.HOME_VISIT
            else TerminalQueryKind.INDIVIDUAL
        )
        query = IndividualQuery(numbers, self.desk.limit_consent, kind)
        pending = self._submit(query, None)
        if pending is None:
            return
        rid = pending.request_id
        self._followups[rid] = (visit.visit_id, visit.patient, query.verification_path)
        started = self.desk.clock()
        post = self.desk.actor.post

        def answered(future: Future[QueryOutcome]) -> None:
            outcome = future.result()
            post(lambda: self._follow_up_answered(rid, outcome, started))

        pending.future.add_done_callback(answered)

    def _follow_up_answered(self, rid: str, outcome: QueryOutcome, started: datetime) -> None:
        visit_id, patient, path = self._followups.pop(rid)
        if outcome.kind is OutcomeKind.NO_ANSWER:
            self.desk.actor.problem(
                ProblemKind.TERMINAL,
                "no answer to the follow-up query: nothing was recorded, try again later",
                code="no_answer",
                visit_id=visit_id,
            )
            return
        self.desk.recording.follow_up_answered(visit_id, patient, path, outcome, started)
