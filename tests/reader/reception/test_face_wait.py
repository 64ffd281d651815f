"""Waiting for a face-reader result: a clear message when none comes, and staff may attach one."""

from __future__ import annotations

from policies.model import FailureReason, Outcome, VerificationPath
from policies.reception import ChooseOption, Failed, Screen
from reader.reception import FaceResultUnattached, Problem, ProblemKind, WaitingFor
from tests.reader.reception.flows import P01, P03, begin, option_for, recorded, session


def _wait_at_the_face_reader(d, patient) -> int:
    """A visit whose patient does not know the PIN, sent to the face reader's 目視確認モード."""
    visit = begin(d, patient).visit_id
    d.desk.dispatch(Failed(FailureReason.PIN_UNKNOWN))
    guide = session(d, visit, lambda s: s.reason is FailureReason.PIN_UNKNOWN)
    d.desk.dispatch(ChooseOption(option_for(guide, VerificationPath.MYNA_FACE_READER_VISUAL)))
    session(d, visit, lambda s: s.waiting_for is WaitingFor.FACE_RESULT)
    return visit


def test_a_face_wait_times_out_with_a_clear_problem_and_still_takes_the_result(
    desk_factory, simulator
) -> None:
    """Issue 14 §8: the desk waited for a face file with no timeout."""
    d = desk_factory(simulator=simulator, face_wait_s=0.5)
    visit = _wait_at_the_face_reader(d, P03)
    problem = d.log.wait(Problem, lambda p: p.code == "face_wait_timeout", timeout=5)
    assert problem.kind is ProblemKind.TERMINAL and problem.visit_id == visit
    assert "0.5 s" in problem.message and "face reader" in problem.message
    still = session(d, visit, lambda s: s.last_error == problem.message)
    assert still.screen is Screen.WAIT_EXTERNAL  # staff decide; nothing was recorded
    assert d.verifications(visit) == []

    d.desk.demo_face_reader("demo-03")  # the patient reaches the face reader after all
    rec = recorded(d, visit)
    assert (rec.path, rec.outcome) == (VerificationPath.MYNA_FACE_READER_VISUAL, Outcome.CONFIRMED)


def test_an_unattached_face_result_is_attached_to_the_waiting_visit(
    desk_factory, simulator
) -> None:
    d = desk_factory(simulator=simulator)
    d.desk.demo_face_reader("demo-01")  # before any visit waits for it
    face = d.log.wait(FaceResultUnattached)
    visit = _wait_at_the_face_reader(d, P01)
    d.desk.attach_face_result_to(face.token, visit)
    rec = recorded(d, visit)
    assert (rec.path, rec.outcome) == (VerificationPath.MYNA_FACE_READER_VISUAL, Outcome.CONFIRMED)
    mark = d.log.mark()
    d.desk.attach_face_result_to(face.token, visit)  # taken once only
    assert d.log.wait(Problem, lambda p: p.code == "unknown_token", after=mark)


def test_a_face_result_of_another_person_is_not_attached(desk_factory, simulator) -> None:
    d = desk_factory(simulator=simulator)
    d.desk.demo_face_reader("demo-01")
    face = d.log.wait(FaceResultUnattached)
    visit = _wait_at_the_face_reader(d, P03)
    mark = d.log.mark()
    d.desk.attach_face_result_to(face.token, visit)
    assert d.log.wait(Problem, lambda p: p.code == "not_waiting_face", after=mark)
    d.desk.wait_idle()
    assert d.verifications(visit) == []
