"""A property of the whole desk, not only of the pure machine: whatever a clerk does — begin,
fall back, choose a route, cancel, lock (log out and in), re-query a recorded visit, a card
pulled (the runtime's CARD_UNREADABLE) — every opened visit ends in exactly one recorded
outcome, and the day's list, the visit details and the daily log show it the same way.

Seeded random sequences (bounded: a few days of a dozen actions) through the real desk, the
real store and the simulator process. The runtime speaks no language (codes and enums only),
so nothing here depends on the UI's language.
"""

from __future__ import annotations

import random
from datetime import date

import pytest

from policies.model import AcceptAction, FailureReason, Outcome
from policies.reception import Cancel, ChooseOption, Failed, Screen
from policies.records import InsuranceNumbers, SeenDocument
from reader.reception import (
    DeskStatus,
    FollowUpConflict,
    SessionUpdated,
    VisitRecorded,
)
from tests.reader.reception.conftest import ADMIN, Desk
from tests.reader.reception.flows import P03, begin, session, shown_outcomes

#: P03's numbers (the simulator confirms them) and numbers nobody holds (資格情報なし).
KNOWN = InsuranceNumbers("01130012", "25", date(1975, 11, 3), symbol="11223344", branch="00")
UNKNOWN = InsuranceNumbers("138057", "9999999", date(1975, 11, 3), symbol="99")
REASONS = (
    FailureReason.NO_CARD,
    FailureReason.PIN_UNKNOWN,
    FailureReason.CARD_UNREADABLE,  # what a card pulled mid-read becomes
    FailureReason.TERMINAL_DOWN,
)
STEPS = 20


class Clerk:
    """Random clerk actions on the desk, each waited for before the next."""

    def __init__(self, d: Desk, rng: random.Random) -> None:
        self.d, self.rng = d, rng
        self.patient = begin(d, P03).patient.id
        self.opened: list[int] = [d.log.of(SessionUpdated)[-1].visit_id]
        self.logged_in = True

    def last(self, visit: int) -> SessionUpdated:
        return [s for s in self.d.log.of(SessionUpdated) if s.visit_id == visit][-1]

    def open_sessions(self) -> list[SessionUpdated]:
        return [s for v in self.opened if not (s := self.last(v)).final]

    def step(self) -> None:
        action = self.rng.choice(("begin", "act", "act", "act", "relogin", "requery"))
        if action == "begin" or not self.open_sessions():
            if self.logged_in:
                self.opened.append(begin(self.d, self.patient).visit_id)
            return
        if action == "relogin":
            self.relogin()
        elif action == "requery":
            self.requery()
        else:
            self.act(self.rng.choice(self.open_sessions()))

    def changed(self, visit: int, mark: int) -> SessionUpdated:
        return session(self.d, visit, lambda s: True, after=mark)

    def act(self, s: SessionUpdated) -> None:
        d, mark = self.d, self.d.log.mark()
        if s.screen is Screen.COLLECT_DOCUMENTS:
            d.desk.record_documents(
                [SeenDocument(k) for k in s.documents_requested], visit_id=s.visit_id
            )
            self.changed(s.visit_id, mark)
            return
        choice = self.rng.choice(("route", "fail", "cancel"))
        if choice == "cancel" or Failed not in s.allowed:
            d.desk.dispatch(Cancel(), visit_id=s.visit_id)
        elif choice == "fail" or ChooseOption not in s.allowed:
            d.desk.dispatch(Failed(self.rng.choice(REASONS)), visit_id=s.visit_id)
        else:
            offline = [o for o in s.options if o.action is not AcceptAction.ONLINE]
            d.desk.dispatch(ChooseOption(self.rng.choice(offline).id), visit_id=s.visit_id)
        self.changed(s.visit_id, mark)

    def relogin(self) -> None:
        """The idle lock: log out, maybe cancel a visit meanwhile, log in again."""
        d = self.d
        mark = d.log.mark()
        d.desk.logout()
        d.log.wait(DeskStatus, lambda e: e.staff is None, after=mark)
        self.logged_in = False
        if self.rng.random() < 0.5 and (open_ := self.open_sessions()):
            mark = d.log.mark()
            d.desk.dispatch(Cancel(), visit_id=open_[0].visit_id)
            self.changed(open_[0].visit_id, mark)
        mark = d.log.mark()
        d.desk.login(ADMIN[0], ADMIN[2])
        d.log.wait(DeskStatus, lambda e: e.staff is not None, after=mark)
        self.logged_in = True

    def requery(self) -> None:
        done = [v for v in self.opened if (s := self.last(v)).final and s.recorded]
        if not done:
            return
        d, visit, mark = self.d, self.rng.choice(done), self.d.log.mark()
        d.desk.query_numbers(self.rng.choice((KNOWN, UNKNOWN)), visit_id=visit)
        answer = d.log.wait(
            VisitRecorded | FollowUpConflict,
            lambda e: e.visit_id == visit and getattr(e, "follow_up", True),
            after=mark,
        )
        if isinstance(answer, FollowUpConflict):
            mark = d.log.mark()
            d.desk.decide_follow_up(answer.token, keep_recorded=self.rng.random() < 0.5)
            d.log.wait(VisitRecorded, lambda e: e.visit_id == visit and e.follow_up, after=mark)

    def finish(self) -> None:
        """End of the day: cancel what is still open, and wait for every record."""
        for s in self.open_sessions():
            self.d.desk.dispatch(Cancel(), visit_id=s.visit_id)
        for visit in self.opened:
            self.d.log.wait(VisitRecorded, lambda e, v=visit: e.visit_id == v and not e.follow_up)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_every_opened_visit_ends_in_one_outcome_shown_alike(desk_factory, simulator, seed) -> None:
    d = desk_factory(simulator=simulator)
    clerk = Clerk(d, random.Random(seed))
    for _ in range(STEPS):
        clerk.step()
    clerk.finish()
    d.desk.wait_idle()
    recorded = d.log.of(VisitRecorded)
    for visit in clerk.opened:
        first = [e for e in recorded if e.visit_id == visit and not e.follow_up]
        assert len(first) == 1, (visit, first)  # exactly one outcome of the visit itself
        attempts = [e for e in recorded if e.visit_id == visit]
        latest = attempts[-1].outcome
        assert latest in Outcome
        assert shown_outcomes(d, visit) == (latest,) * 3, visit
        assert len(d.verifications(visit)) == len(attempts)
    assert d.store.verify_chain().ok
