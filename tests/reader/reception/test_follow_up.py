"""Follow-up queries on recorded visits: a later answer never silently replaces a recorded path."""

from __future__ import annotations

from datetime import date

from policies.model import DocumentKind, FailureReason, Outcome, VerificationPath
from policies.reception import ChooseOption, Screen
from policies.records import InsuranceNumbers, SeenDocument
from reader.reception import FollowUpConflict, VisitRecorded
from reader.terminal.outcome import OutcomeKind
from tests.reader.reception.flows import P01, begin, option_for, recorded, session, shown_outcomes

#: Numbers no person of the simulator holds: it answers 資格情報なし.
UNKNOWN_NUMBERS = InsuranceNumbers("138057", "9999999", date(1980, 4, 1), symbol="99")
CERTIFICATE = SeenDocument(DocumentKind.QUALIFICATION_CERTIFICATE, {"valid_until": "2027-03-31"})


def _certificate_visit(d) -> int:
    """A P01 visit recorded with a valid 資格確認書 (expiry 2027-03-31), no card."""
    first = begin(d, P01)
    option = option_for(
        first, VerificationPath.DOCUMENTS, with_documents=[DocumentKind.QUALIFICATION_CERTIFICATE]
    )
    d.desk.dispatch(ChooseOption(option))
    session(d, first.visit_id, lambda s: s.screen is Screen.COLLECT_DOCUMENTS)
    d.desk.record_documents([CERTIFICATE])
    rec = recorded(d, first.visit_id)
    assert (rec.path, rec.outcome) == (VerificationPath.DOCUMENTS, Outcome.CONFIRMED)
    return first.visit_id


def _conflict(d, visit: int) -> FollowUpConflict:
    mark = d.log.mark()
    d.desk.query_numbers(UNKNOWN_NUMBERS, visit_id=visit)
    conflict = d.log.wait(FollowUpConflict, lambda e: e.visit_id == visit, after=mark)
    d.desk.wait_idle()
    assert not [e for e in d.log.events[mark:] if isinstance(e, VisitRecorded)]
    assert len(d.verifications(visit)) == 1  # nothing recorded before staff decide
    assert shown_outcomes(d, visit) == (Outcome.CONFIRMED,) * 3
    return conflict


def test_a_no_record_answer_does_not_replace_a_valid_certificate(desk_factory, simulator) -> None:
    """Issue 14 §1: a 資格確認書 visit became 確認できず（10割） after a re-query, unasked."""
    d = desk_factory(simulator=simulator)
    visit = _certificate_visit(d)
    conflict = _conflict(d, visit)
    assert (conflict.recorded_path, conflict.recorded_outcome) == (
        VerificationPath.DOCUMENTS,
        Outcome.CONFIRMED,
    )
    assert conflict.recorded_documents == (DocumentKind.QUALIFICATION_CERTIFICATE,)
    assert (conflict.answer, conflict.answer_reason) == (
        OutcomeKind.NO_RECORD,
        FailureReason.NO_RECORD,
    )
    assert conflict.recorded_stands and "DOC-03" in conflict.rules  # the rules, from the engine

    d.desk.decide_follow_up(conflict.token, keep_recorded=True)
    kept = recorded(d, visit, follow_up=True)
    assert (kept.path, kept.outcome) == (VerificationPath.DOCUMENTS, Outcome.CONFIRMED)
    assert "FAIL-04" in kept.rule_ids and "DOC-03" in kept.rule_ids
    rows = d.verifications(visit)
    assert [(r.path, r.outcome) for r in rows] == [
        (VerificationPath.DOCUMENTS, Outcome.CONFIRMED),
        (VerificationPath.DOCUMENTS, Outcome.CONFIRMED),
    ]
    assert rows[0].terminal_result_id is None and rows[1].terminal_result_id is not None
    assert shown_outcomes(d, visit) == (Outcome.CONFIRMED,) * 3
    assert d.store.verify_chain().ok


def test_staff_may_take_the_answer_as_a_new_attempt(desk_factory, simulator) -> None:
    d = desk_factory(simulator=simulator)
    visit = _certificate_visit(d)
    conflict = _conflict(d, visit)
    d.desk.decide_follow_up(conflict.token, keep_recorded=False)
    taken = recorded(d, visit, follow_up=True)
    assert (taken.path, taken.outcome) == (VerificationPath.NUMBER_QUERY, Outcome.NOT_CONFIRMED)
    assert [r.outcome for r in d.verifications(visit)] == [
        Outcome.CONFIRMED,
        Outcome.NOT_CONFIRMED,
    ]
    assert shown_outcomes(d, visit) == (Outcome.NOT_CONFIRMED,) * 3
