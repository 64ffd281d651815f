"""Commands the state does not allow, refused requests, cancellations: typed, nothing lost."""

from __future__ import annotations

from datetime import date

import pytest

from policies.model import DocumentKind, FailureReason, Outcome, VerificationPath, VisitSetting
from policies.reception import Cancel, CertParsed, ChooseOption, Failed, Screen
from policies.records import InsuranceNumbers, SeenDocument
from reader.reception import (
    DeskStatus,
    Problem,
    ProblemKind,
    SameDayVisit,
    SessionClosed,
    SessionUpdated,
    VisitRecorded,
    VisitRequest,
)
from tests.reader.reception.conftest import ADMIN
from tests.reader.reception.flows import (
    P03,
    begin,
    option_for,
    recorded,
    session,
    shown_outcomes,
)


def _problem(d, code: str, mark: int) -> Problem:
    return d.log.wait(Problem, lambda p: p.code == code, after=mark)


def test_refused_commands_are_typed_and_change_nothing(desk_factory) -> None:
    d = desk_factory()
    first = begin(d, P03)
    visit = first.visit_id

    mark = d.log.mark()
    d.desk.dispatch(CertParsed(date(2030, 1, 1)))  # the desk's own event, not a staff intent
    assert _problem(d, "not_staff_event", mark).kind is ProblemKind.COMMAND
    d.desk.submit_pin("1234")
    assert _problem(d, "not_waiting_pin", mark).kind is ProblemKind.PIN
    d.desk.dispatch(ChooseOption("no-such-option"))
    assert _problem(d, "not_allowed", mark).visit_id == visit
    d.desk.query_numbers()
    assert _problem(d, "not_finished", mark).visit_id == visit
    d.desk.wait_idle()
    assert session(d, visit).screen is Screen.CHOOSE_ROUTE
    assert d.verifications(visit) == []

    # A refused database request (chart number exists) is a Problem, the database stays green.
    mark = d.log.mark()
    d.desk.begin_visit(VisitRequest(new_patient=P03))
    problem = d.log.wait(Problem, lambda p: p.kind is ProblemKind.DATABASE, after=mark)
    assert "exists" in problem.message
    d.desk.wait_idle()
    statuses = [e for e in d.log.events[mark:] if isinstance(e, DeskStatus)]
    assert all(s.database.ok for s in statuses)


def test_cancel_before_a_route_is_recorded_as_abandoned(desk_factory) -> None:
    """Every opened visit ends in one recorded outcome, even when no route was chosen."""
    d = desk_factory()
    visit = begin(d, P03).visit_id
    d.desk.dispatch(Failed(FailureReason.NO_CARD))
    guide = session(d, visit, lambda s: s.reason is FailureReason.NO_CARD)
    d.desk.dispatch(Cancel())
    rec = recorded(d, visit)
    assert rec.outcome is Outcome.ABANDONED and rec.failure_reason is FailureReason.NO_CARD
    assert rec.path is guide.options[0].path  # no route tried: the first route offered
    assert shown_outcomes(d, visit) == (Outcome.ABANDONED,) * 3
    assert len(d.verifications(visit)) == 1
    assert d.store.verify_chain().ok


def test_cancel_on_a_route_records_abandoned_with_that_path(desk_factory) -> None:
    d = desk_factory()
    first = begin(d, P03)
    d.desk.dispatch(ChooseOption(option_for(first, VerificationPath.DOCUMENTS)))
    session(d, first.visit_id, lambda s: s.screen is Screen.COLLECT_DOCUMENTS)
    d.desk.dispatch(Cancel())
    rec = recorded(d, first.visit_id)
    assert (rec.path, rec.outcome) == (VerificationPath.DOCUMENTS, Outcome.ABANDONED)
    row = d.verifications(first.visit_id)[0]
    assert row.outcome is Outcome.ABANDONED and not row.simulated
    closing = d.log.mark()
    d.desk.close_session(first.visit_id)
    assert d.log.wait(SessionClosed, after=closing).visit_id == first.visit_id
    assert not [e for e in d.log.events[closing:] if isinstance(e, SessionUpdated)]


def test_enum_inputs_may_be_plain_strings_as_qt_returns_them(desk_factory) -> None:
    """Qt gives a combo box's StrEnum data back as str: the desk takes the value itself."""
    d = desk_factory()
    mark = d.log.mark()
    d.desk.begin_visit(
        VisitRequest(new_patient=P03, setting="outpatient", insurance_kind="employee")  # type: ignore[arg-type]
    )
    first = d.log.wait(SessionUpdated, lambda s: True, after=mark)
    assert first.setting is VisitSetting.OUTPATIENT
    d.desk.dispatch(Failed("no_card"))  # type: ignore[arg-type]
    guide = session(d, first.visit_id, lambda s: s.reason is FailureReason.NO_CARD)
    option = option_for(
        guide, VerificationPath.DOCUMENTS, with_documents=[DocumentKind.QUALIFICATION_CERTIFICATE]
    )
    d.desk.dispatch(ChooseOption(option))
    session(d, first.visit_id, lambda s: s.screen is Screen.COLLECT_DOCUMENTS)
    numbers = InsuranceNumbers("01130012", "25", date(1975, 11, 3), "11223344", "00")
    d.desk.record_documents(
        [SeenDocument("qualification_certificate", {"insurer_number": "01130012"})],  # type: ignore[arg-type]
        numbers=numbers,
    )
    event = recorded(d, first.visit_id)
    assert event.failure_reason is FailureReason.NO_CARD
    assert [doc.kind for doc in event.documents] == [DocumentKind.QUALIFICATION_CERTIFICATE]
    with pytest.raises(ValueError, match=r"Failed\.reason: .no-card."):
        d.desk.dispatch(Failed("no-card"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"VisitRequest\.setting"):
        d.desk.begin_visit(VisitRequest(patient_id=1, setting="clinic"))  # type: ignore[arg-type]


def test_a_second_visit_of_the_same_patient_today_warns(desk_factory) -> None:
    """Issue 14 §9: the same patient could be checked in twice a day without a word."""
    d = desk_factory()
    first = begin(d, P03)
    assert d.log.of(SameDayVisit) == []
    patient = first.patient.id
    second = begin(d, patient).visit_id  # the first is still open: allowed, with a warning
    warning = d.log.wait(SameDayVisit, lambda e: e.visit_id == second)
    assert warning.earlier == (first.visit_id,) and warning.patient.id == patient
    d.desk.dispatch(Cancel(), visit_id=first.visit_id)
    recorded(d, first.visit_id)
    third = begin(d, patient).visit_id
    warning = d.log.wait(SameDayVisit, lambda e: e.visit_id == third)
    assert warning.earlier == (first.visit_id, second)


def test_a_visit_cancelled_while_locked_is_recorded_at_the_next_login(desk_factory) -> None:
    """The idle lock logs staff out; a visit finished meanwhile is not left unrecorded."""
    d = desk_factory()
    visit = begin(d, P03).visit_id
    mark = d.log.mark()
    d.desk.logout()
    d.log.wait(DeskStatus, lambda e: e.staff is None, after=mark)
    d.desk.dispatch(Cancel(), visit_id=visit)
    assert _problem(d, "not_logged_in", mark).visit_id == visit
    d.desk.wait_idle()
    assert d.verifications(visit) == []
    mark = d.log.mark()
    d.desk.login(ADMIN[0], ADMIN[2])
    rec = d.log.wait(VisitRecorded, lambda e: e.visit_id == visit, after=mark)
    assert rec.outcome is Outcome.ABANDONED
    assert shown_outcomes(d, visit) == (Outcome.ABANDONED,) * 3
