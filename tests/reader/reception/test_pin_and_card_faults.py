"""PIN safety and card failures through the whole desk: nothing spent, nothing leaked."""

from __future__ import annotations

import logging
import re
from typing import Any

from policies.model import DocumentKind, FailureReason, Outcome, VerificationPath
from policies.reception import (
    Cancel,
    ChooseOption,
    RetryPin,
    Screen,
    UseVisualCheck,
    VisualCheckDone,
)
from policies.records import InsuranceNumbers, SeenDocument
from reader.reception import DeskStatus, PinRequested, Problem, ProblemKind, ReaderState
from reader.virtual_card import Fault, FaultKind
from tests.reader.reception.conftest import Desk
from tests.reader.reception.flows import (
    P03,
    P40,
    begin,
    option_for,
    recorded,
    session,
    shown_outcomes,
)

#: Distinctive PINs for the leak check (the card's PIN and a wrong one).
PIN = "7391"
WRONG_PIN = "8642"


def _standalone(data: bytes, needle: bytes) -> list[int]:
    """Offsets where ``needle`` stands alone, not inside a longer run of hex/digits (a hash)."""
    hexish = re.compile(rb"[0-9a-fA-F]")
    out = []
    for m in re.finditer(re.escape(needle), data):
        before = data[m.start() - 1 : m.start()]
        after = data[m.end() : m.end() + 1]
        if not (hexish.fullmatch(before or b"g") and hexish.fullmatch(after or b"g")):
            out.append(m.start())
    return out


def _wrong_pin_once(desk_factory, simulator, card_rig_factory) -> tuple[Any, Desk, int, Any]:
    """demo-03 on the reader for a new P03 visit, one wrong PIN entered: PIN_WRONG shown."""
    rig = card_rig_factory("demo-03", insert=False, pin=PIN)
    d = desk_factory(simulator=simulator, reader=rig.reader.name)
    visit = begin(d, P03).visit_id
    rig.insert()
    d.log.wait(PinRequested, lambda e: e.tries_left == 3)
    d.desk.submit_pin(WRONG_PIN)
    return rig, d, visit, session(d, visit, lambda s: s.screen is Screen.PIN_WRONG)


def test_pin_never_leaks_and_wrong_pin_is_not_retried(
    desk_factory, simulator, card_rig_factory, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    rig, d, visit, wrong = _wrong_pin_once(desk_factory, simulator, card_rig_factory)
    assert wrong.pin_tries_left == 2 and RetryPin in wrong.allowed
    d.desk.wait_idle()
    assert rig.model.pin_presentations == 1  # exactly one VERIFY, never retried on our own
    assert rig.model.auth_pin_tries == 2

    mark = d.log.mark()
    d.desk.dispatch(RetryPin())
    again = d.log.wait(PinRequested, after=mark)
    assert (again.tries_left, again.last_try_warning) == (2, False)
    d.desk.submit_pin(PIN)
    event = recorded(d, visit)
    assert event.path is VerificationPath.MYNA_GENERAL_READER_PIN
    assert rig.model.pin_presentations == 2 and rig.model.auth_pin_tries == 3
    d.desk.wait_idle()

    # Neither PIN in any event, any log record (DEBUG), or the database file.
    for pin in (PIN, WRONG_PIN):
        assert all(pin not in repr(e) for e in d.log.events), pin
        assert all(pin not in r.getMessage() and pin not in str(r.args) for r in caplog.records)
        assert pin not in caplog.text
    d.store.close()
    for path in d.db_path.parent.glob("madoguchi.sqlite3*"):
        data = path.read_bytes()
        for pin in (PIN, WRONG_PIN):
            assert _standalone(data, pin.encode()) == [], (path.name, pin)
            assert _standalone(data, pin.encode("utf-16-le")) == [], (path.name, pin)


def test_wrong_pin_then_visual_mismatch_then_cancel_is_recorded(
    desk_factory, simulator, card_rig_factory
) -> None:
    """Issue 14 §3: wrong PIN → 目視確認「一致しない」 → 中止 left no record at all."""
    _, d, visit, wrong = _wrong_pin_once(desk_factory, simulator, card_rig_factory)
    assert UseVisualCheck in wrong.allowed
    d.desk.dispatch(UseVisualCheck())
    session(d, visit, lambda s: s.screen is Screen.VISUAL_CHECK)
    d.desk.dispatch(VisualCheckDone(False))
    session(d, visit, lambda s: s.reason is FailureReason.IDENTITY_MISMATCH)
    d.desk.dispatch(Cancel())
    rec = recorded(d, visit)
    assert (rec.path, rec.outcome) == (
        VerificationPath.MYNA_GENERAL_READER_VISUAL,
        Outcome.ABANDONED,
    )
    assert rec.failure_reason is FailureReason.IDENTITY_MISMATCH and rec.simulated
    assert shown_outcomes(d, visit) == (Outcome.ABANDONED,) * 3


def test_last_try_warns_and_sends_nothing_without_confirmation(
    desk_factory, simulator, card_rig_factory
) -> None:
    rig = card_rig_factory("demo-03", insert=False)
    rig.model.auth_pin_tries = 1
    d = desk_factory(simulator=simulator, reader=rig.reader.name)
    visit = begin(d, P03).visit_id
    rig.insert()
    ask = d.log.wait(PinRequested, lambda e: e.visit_id == visit)
    assert (ask.tries_left, ask.last_try_warning) == (1, True)
    assert session(d, visit, lambda s: s.screen is Screen.ASK_PIN).last_try_warning

    mark = d.log.mark()
    d.desk.submit_pin("1234")  # no confirmation: the card layer refuses to send it
    problem = d.log.wait(Problem, lambda p: p.kind is ProblemKind.PIN, after=mark)
    assert problem.code == "last_try_needs_confirmation"
    assert d.log.wait(PinRequested, after=mark).last_try_warning
    d.desk.wait_idle()
    assert rig.model.pin_presentations == 0 and rig.model.auth_pin_tries == 1

    d.desk.submit_pin("1234", confirm_last_try=True)
    assert recorded(d, visit).path is VerificationPath.MYNA_GENERAL_READER_PIN
    assert rig.model.pin_presentations == 1 and rig.model.auth_pin_tries == 3


def test_pin_locked_card_goes_to_certificate_then_number_query(
    desk_factory, simulator, card_rig_factory
) -> None:
    rig = card_rig_factory("demo-03", insert=False)
    rig.model.auth_pin_tries = 0
    d = desk_factory(simulator=simulator, reader=rig.reader.name)
    visit = begin(d, P03).visit_id
    rig.insert()
    guide = session(d, visit, lambda s: s.reason is FailureReason.PIN_LOCKED)
    assert guide.screen is Screen.CHOOSE_ROUTE and guide.steps
    assert guide.recommended_option == guide.options[0].id
    assert d.log.of(PinRequested) == []
    cert = option_for(
        guide, VerificationPath.DOCUMENTS, with_documents=[DocumentKind.QUALIFICATION_CERTIFICATE]
    )
    d.desk.dispatch(ChooseOption(cert))
    asked = session(d, visit, lambda s: s.screen is Screen.COLLECT_DOCUMENTS)
    assert asked.documents_requested == (DocumentKind.QUALIFICATION_CERTIFICATE,)

    numbers = InsuranceNumbers("01130012", "25", P03.birth_date, "11223344", "00")
    details = {"insurer_number": "01130012", "symbol": "11223344", "number": "25"}
    d.desk.record_documents(
        [SeenDocument(DocumentKind.QUALIFICATION_CERTIFICATE, details)], numbers=numbers
    )
    first = recorded(d, visit)
    assert (first.path, first.failure_reason) == (
        VerificationPath.DOCUMENTS,
        FailureReason.PIN_LOCKED,
    )
    assert session(d, visit, lambda s: s.recorded).can_query_numbers

    d.desk.query_numbers(visit_id=visit)  # confirm online with the certificate's numbers
    second = recorded(d, visit, follow_up=True)
    assert (second.path, second.outcome) == (VerificationPath.NUMBER_QUERY, Outcome.CONFIRMED)

    rows = d.verifications(visit)
    assert [r.path for r in rows] == [VerificationPath.DOCUMENTS, VerificationPath.NUMBER_QUERY]
    assert rows[0].documents[0].details["insurer_number"] == "01130012"
    assert rows[0].failure_reason is FailureReason.PIN_LOCKED
    assert rows[1].terminal_result_id is not None and "FAIL-04" in rows[1].rule_ids
    assert all(r.simulated for r in rows)
    assert rig.model.pin_presentations == 0 and rig.model.auth_pin_tries == 0
    assert d.store.verify_chain().ok


def test_card_pulled_mid_read_routes_card_unreadable_without_spending_a_try(
    desk_factory, simulator, card_rig_factory
) -> None:
    rig = card_rig_factory("demo-03", insert=False)
    rig.card.inject(Fault(FaultKind.REMOVE, at=3))  # pulled during the certificate read
    d = desk_factory(simulator=simulator, reader=rig.reader.name)
    visit = begin(d, P03).visit_id
    rig.card.insert()
    guide = session(d, visit, lambda s: s.reason is FailureReason.CARD_UNREADABLE, timeout=10)
    assert guide.screen is Screen.CHOOSE_ROUTE and guide.last_error
    problem = d.log.wait(Problem, lambda p: p.kind is ProblemKind.CARD)
    assert problem.code == FailureReason.CARD_UNREADABLE.value
    assert d.log.of(PinRequested) == []
    assert rig.model.pin_presentations == 0 and rig.model.auth_pin_tries == 3


def test_expired_card_routes_card_expired(desk_factory, simulator, card_rig_factory) -> None:
    rig = card_rig_factory("demo-40", insert=False)
    d = desk_factory(simulator=simulator, reader=rig.reader.name)
    visit = begin(d, P40).visit_id
    rig.insert()
    guide = session(d, visit, lambda s: s.reason is FailureReason.CARD_EXPIRED)
    assert all(o.path not in (VerificationPath.MYNA_GENERAL_READER_PIN,) for o in guide.options)
    assert d.log.of(PinRequested) == []
    cert = option_for(
        guide, VerificationPath.DOCUMENTS, with_documents=[DocumentKind.QUALIFICATION_CERTIFICATE]
    )
    d.desk.dispatch(ChooseOption(cert))
    session(d, visit, lambda s: s.screen is Screen.COLLECT_DOCUMENTS)
    d.desk.record_documents([SeenDocument(DocumentKind.QUALIFICATION_CERTIFICATE)])
    event = recorded(d, visit)
    assert (event.path, event.failure_reason) == (
        VerificationPath.DOCUMENTS,
        FailureReason.CARD_EXPIRED,
    )
    row = d.verifications(visit)[0]
    assert row.failure_reason is FailureReason.CARD_EXPIRED and row.simulated


def test_silent_card_times_out_with_a_remove_the_card_hint(
    desk_factory, simulator, card_rig_factory
) -> None:
    rig = card_rig_factory("demo-03", insert=False)
    rig.card.inject(Fault(FaultKind.SILENT, at=2))
    d = desk_factory(simulator=simulator, reader=rig.reader.name)
    visit = begin(d, P03).visit_id
    rig.card.insert()
    guide = session(d, visit, lambda s: s.reason is FailureReason.CARD_UNREADABLE, timeout=15)
    assert "remove it, then insert it again" in guide.last_error
    assert rig.model.pin_presentations == 0 and rig.model.auth_pin_tries == 3


def test_no_reader_routes_reader_failure(desk_factory, pcscd_service) -> None:
    d = desk_factory(reader="Madoguchi test reader that is not connected")
    first = begin(d, P03)
    d.log.wait(DeskStatus, lambda s: s.reader.state is ReaderState.NONE)
    d.desk.dispatch(ChooseOption(option_for(first, VerificationPath.MYNA_GENERAL_READER_PIN)))
    guide = session(d, first.visit_id, lambda s: s.reason is FailureReason.READER_FAILURE)
    assert guide.steps and any(o.path is VerificationPath.MOBILE_DEVICE for o in guide.options)
