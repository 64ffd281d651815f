"""The desk's face pickup: face-reader results the terminal drops, matched to a session.

:class:`FacePickup` owns the results no session was waiting for (kept, 100 at most, until staff
attach one to a visit). A face result goes to the session it was presented for (simulator), else
to the one session that waits for a terminal result and is not another person by the result's
facts; with several such sessions it goes to the current one, and when that is not among them
staff attach it (``FaceResultUnattached`` with the patients on file who may be that person).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from policies.matching import compare, identity_conflict, rank
from policies.model import VerificationPath
from policies.reception import Screen, TerminalAnswered
from policies.records import PatientOnFile
from reader.reception.events import FaceResultUnattached, PatientCandidate, ProblemKind
from reader.reception.results import outcome_event, result_facts
from reader.reception.session import Session, Unattached, VisitRequest
from reader.terminal import (
    FaceResultArrived,
    IdentityCheck,
    QualificationResult,
    new_challenge,
    present_card_to_simulator,
)

if TYPE_CHECKING:
    from reader.reception.desk import ReceptionDesk

_MAX_UNATTACHED = 100


class FacePickup:
    """Face results: fed to the waiting session, or kept for staff to attach."""

    def __init__(self, desk: ReceptionDesk) -> None:
        self.desk = desk
        self._unattached: dict[str, Unattached] = {}

    def _targets(self, result: QualificationResult) -> list[Session]:
        sessions = self.desk.sessions
        pid = result.simulator_value("PresentationId")
        if pid:
            match = [s for s in sessions.all() if s.presentation_id == pid]
            if match or pid in self.desk.terminal_link.presented:
                return match  # ours, but its session moved on (timed out): staff attach it
        targets = [s for s in sessions.all() if self._takes(s, result)]
        if len(targets) > 1:
            current = [s for s in targets if s.visit_id == sessions.current]
            targets = current or []  # ambiguous: let staff attach it
        return targets

    def _waits(self, s: Session) -> bool:
        """The session can take a face-reader result now."""
        screen = s.state.screen
        return (
            self.desk.terminal_link.waits_for_card_answer(s)
            or (
                screen is Screen.WAIT_EXTERNAL
                and s.awaiting_external not in (None, VerificationPath.LIMITED_APP)
            )
            or (screen is Screen.CHOOSE_ROUTE and TerminalAnswered in s.state.allowed)
        )

    def _takes(self, s: Session, result: QualificationResult) -> bool:
        """The session waits for a face result and ``result`` is not another person's."""
        facts = result_facts(result)
        other = facts is not None and identity_conflict(compare(s.patient.facts, facts))
        return self._waits(s) and not other

    def watch(self, s: Session) -> None:
        """The session now waits for a face-reader result: say so clearly when none came in
        ``face_wait_s`` (the session keeps waiting; a later result is still taken)."""
        gen, visit_id, limit = s.gen, s.visit_id, self.desk.face_wait_s

        def over() -> None:
            current = self.desk.sessions.get(visit_id)
            if current is None or current.gen != gen or not self._waits(current):
                return
            message = (
                f"no face-reader result arrived in {limit:g} s: check that the patient used "
                "the face reader, or choose another route (a later result is still taken)"
            )
            self.desk.sessions.tell(current, ProblemKind.TERMINAL, "face_wait_timeout", message)

        self.desk.actor.later(limit, over)

    def arrived(self, event: FaceResultArrived) -> None:
        targets = self._targets(event.result)
        if targets:
            link = self.desk.terminal_link
            link.take_result(targets[0], event.outcome)
            link.feed_outcome(targets[0], event.outcome)
            return
        token = uuid.uuid4().hex[:12]
        self._unattached[token] = Unattached(token, event, self.desk.clock())
        while len(self._unattached) > _MAX_UNATTACHED:
            self._unattached.pop(next(iter(self._unattached)))
        self._announce(self._unattached[token])

    def _announce(self, item: Unattached) -> None:
        facts = result_facts(item.event.result)
        recorder = self.desk.recorder

        def job() -> list[PatientOnFile]:
            if facts is None or facts.birth_date is None:
                return []
            return recorder.find_patients("", birth_date=facts.birth_date)

        def done(people: list[PatientOnFile]) -> None:
            by_id = {p.id: p for p in people}
            ranked = rank(facts, [(p.id, p.facts) for p in people]) if facts else ()
            candidates = tuple(PatientCandidate(by_id[c.key], c.mismatches) for c in ranked)
            self.desk.actor.emit(
                FaceResultUnattached(
                    item.token,
                    item.event.result,
                    item.event.outcome.kind,
                    item.received_at,
                    candidates,
                )
            )

        self.desk.status.db_job(job, done)

    def _kept(self, token: str) -> Unattached | None:
        item = self._unattached.get(token)
        if item is None:
            self.desk.actor.problem(
                ProblemKind.COMMAND, f"no unattached result {token!r}", code="unknown_token"
            )
        return item

    def attach(self, token: str, request: VisitRequest) -> None:
        """Begin a visit for a kept result and feed it to the new session."""
        item = self._kept(token)
        if item is None:
            return
        link = self.desk.terminal_link

        def feed(s: Session) -> None:
            self._unattached.pop(token, None)
            link.take_result(s, item.event.outcome)
            event = outcome_event(
                item.event.outcome, expects_public_expense=bool(request.public_expenses)
            )
            if type(event) not in s.state.allowed:
                message = "the face-reader route is not accepted here today"
                self.desk.sessions.tell(s, ProblemKind.COMMAND, "route_refused", message)
                return
            link.feed_outcome(s, item.event.outcome)

        self.desk.sessions.begin(request, feed)

    def attach_to(self, token: str, visit_id: int) -> None:
        """Feed a kept result to an open session that waits for one (staff's choice)."""
        item = self._kept(token)
        if item is None:
            return
        s = self.desk.sessions.find(visit_id)
        if s is None:
            return
        if not self._takes(s, item.event.result):
            message = (
                "this visit does not wait for a face result, or the result is another person's"
            )
            self.desk.sessions.tell(s, ProblemKind.COMMAND, "not_waiting_face", message)
            return
        del self._unattached[token]
        link = self.desk.terminal_link
        link.take_result(s, item.event.outcome)
        link.feed_outcome(s, item.event.outcome)

    def demo_face(self, card_id: str) -> None:
        """Demo: the patient uses the SIMULATED face reader with demo card ``card_id``."""
        actor, terminal = self.desk.actor, self.desk.terminal
        if terminal is None or not terminal.config.simulated:
            actor.problem(
                ProblemKind.DEMO,
                "the simulated face reader needs the simulated terminal",
                code="no_simulator",
            )
            return
        config, consent = terminal.config, self.desk.limit_consent

        def job() -> str:
            from reader.virtual_card import load_identity  # noqa: PLC0415 - demo only

            identity = load_identity(card_id)
            return present_card_to_simulator(
                config,
                certificate_der=identity.certificate_der,
                challenge=new_challenge(),
                identity_check=IdentityCheck.FACE,
                limit_consent=consent,
            )

        def finish(_: str | None, error: BaseException | None) -> None:
            if error is not None:
                actor.problem(ProblemKind.DEMO, str(error), code=type(error).__name__)

        actor.work(actor.card_pool, job, finish)
