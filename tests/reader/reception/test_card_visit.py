"""A normal card visit end to end: pcscd + vpcd card, simulator subprocess, real database."""

from __future__ import annotations

import pytest

from policies.model import DocumentKind, Outcome, VerificationPath
from policies.reception import Screen
from reader.reception import DeskStatus, PinRequested, ReaderState, VisitDetails, WaitingFor
from tests.reader.reception.flows import P03, begin, recorded, session


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_normal_card_visit_records_pin_path_simulated(
    engine, desk_factory, simulator, card_rig_factory
) -> None:
    rig = card_rig_factory("demo-03", insert=False)
    d = desk_factory(simulator=simulator, reader=rig.reader.name, engine=engine)
    first = begin(d, P03)
    assert first.screen is Screen.CHOOSE_ROUTE
    assert {o.path for o in first.options} >= {
        VerificationPath.MYNA_FACE_READER,
        VerificationPath.MYNA_GENERAL_READER_PIN,
    }
    visit = first.visit_id

    rig.insert()  # the patient puts the card on the reader: the desk reads it by itself
    d.log.wait(
        DeskStatus, lambda s: s.reader.state is ReaderState.CARD_PRESENT and s.reader.virtual
    )
    ask = d.log.wait(PinRequested, lambda e: e.visit_id == visit)
    assert (ask.tries_left, ask.last_try_warning) == (3, False)
    assert rig.model.pin_presentations == 0  # tries were read without spending one

    d.desk.submit_pin("1234")
    event = recorded(d, visit)
    assert event.path is VerificationPath.MYNA_GENERAL_READER_PIN
    assert event.outcome is Outcome.CONFIRMED and event.simulated
    done = session(d, visit, lambda s: s.recorded)
    assert done.screen is Screen.DONE and done.mismatches == ()
    assert done.result is not None and done.result.record.name == "見本 一郎"

    # What the database holds, not just what the events said.
    rows = d.verifications(visit)
    assert len(rows) == 1
    row = rows[0]
    assert row.path is VerificationPath.MYNA_GENERAL_READER_PIN
    assert row.outcome is Outcome.CONFIRMED and row.failure_reason is None
    assert row.simulated is True
    assert row.staff_username == "desk-admin"
    assert [doc.kind for doc in row.documents] == [DocumentKind.MYNA_CARD]
    assert "DOC-02" in row.rule_ids
    result, raw = d.store.terminal_result(row.terminal_result_id)
    assert result.simulated and result.file_name.startswith("OQSsiquc01res_face_")
    assert result.summary["identity_check"] == "pin" and b"<XmlMsg" in raw
    assert d.store.verify_chain().ok
    assert rig.model.auth_pin_tries == 3


def test_visual_check_path(desk_factory, simulator, card_rig_factory) -> None:
    rig = card_rig_factory("demo-03", insert=False)
    d = desk_factory(simulator=simulator, reader=rig.reader.name)
    first = begin(d, P03)
    visual = next(
        o.id for o in first.options if o.path is VerificationPath.MYNA_GENERAL_READER_VISUAL
    )
    from policies.reception import ChooseOption, VisualCheckDone

    d.desk.dispatch(ChooseOption(visual))
    waiting = session(d, first.visit_id, lambda s: s.screen is Screen.WAIT_CARD)
    assert waiting.waiting_for is WaitingFor.CARD
    rig.insert()
    session(d, first.visit_id, lambda s: s.screen is Screen.VISUAL_CHECK)
    assert d.log.of(PinRequested) == []  # no PIN on this route
    d.desk.dispatch(VisualCheckDone(matches=True))
    event = recorded(d, first.visit_id)
    assert event.path is VerificationPath.MYNA_GENERAL_READER_VISUAL
    row = d.verifications(first.visit_id)[0]
    assert row.path is VerificationPath.MYNA_GENERAL_READER_VISUAL and row.simulated
    result, _ = d.store.terminal_result(row.terminal_result_id)
    assert result.summary["identity_check"] == "visual"
    assert rig.model.pin_presentations == 0 and rig.model.auth_pin_tries == 3


def test_show_visit_rereads_the_kept_answer(desk_factory, simulator, card_rig_factory) -> None:
    """A recorded visit: its attempts, the kept XML parsed again, mismatches with the patient
    on file as it is now, and the share derived from age (the terminal sent none)."""
    rig = card_rig_factory("demo-03", insert=False)
    d = desk_factory(simulator=simulator, reader=rig.reader.name)
    visit = begin(d, P03).visit_id
    rig.insert()
    d.log.wait(PinRequested, lambda e: e.visit_id == visit)
    d.desk.submit_pin("1234")
    event = recorded(d, visit)
    done = session(d, visit, lambda s: s.recorded)
    assert done.share is not None and (done.share.wari, done.share.basis.value) == (3, "age")

    admin = d.store.list_staff()[0]
    d.store.update_patient(admin, done.patient.id, name="見本 次郎")  # the master changed since
    d.desk.show_visit(visit)
    details = d.log.wait(VisitDetails, lambda e: e.visit_id == visit)
    (attempt,) = details.attempts
    assert attempt.verification_id == event.verification_id
    assert attempt.path is VerificationPath.MYNA_GENERAL_READER_PIN
    assert attempt.staff_name and "DOC-02" in attempt.rule_ids
    assert details.result is not None and details.result.record.name == "見本 一郎"
    assert details.result_outcome is not None and details.result_outcome.value == "ok"
    assert [m.field.value for m in details.mismatches] == ["name"]
    assert details.share is not None and details.share.wari == 3 and details.simulated
    assert details.result_error is None
