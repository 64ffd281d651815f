"""The reception state machine: the flows of the brief, and property tests that every run ends
in exactly one recorded verification and never asks for or accepts what the date's rules refuse."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as tally
from hypothesis import strategies as st

from policies import (
    Condition,
    EventNotAllowed,
    FacilityKind,
    FacilityProfile,
    Flow,
    OqsMode,
    Outcome,
    PatientContext,
    PolicyEngine,
    PublicExpense,
    SubsidyType,
    VisitSetting,
)
from policies import (
    DocumentKind as D,
)
from policies import (
    FailureReason as R,
)
from policies import (
    InsuranceKind as K,
)
from policies import (
    VerificationPath as P,
)
from policies.reception import (
    AskDocuments,
    AskPin,
    AskPublicExpenseCertificate,
    AwaitExternalResult,
    Cancel,
    CardRead,
    CertParsed,
    ChooseOption,
    DocumentsRecorded,
    Event,
    Failed,
    PinEntered,
    PinResult,
    PinTriesRead,
    PublicExpenseResolved,
    QueryKind,
    QueryTerminal,
    ReadCard,
    ReadPinTries,
    ReceptionContext,
    RecordVerification,
    RejectDocuments,
    RetryPin,
    Screen,
    ShowOptions,
    TerminalAnswered,
    TerminalTimedOut,
    Transition,
    UseVisualCheck,
    VerificationRecord,
    VisualCheckDone,
    handle,
    start,
)
from policies.reception import (
    TerminalOutcome as TO,
)

TODAY = date(2026, 11, 23)
FACE = FacilityProfile(FacilityKind.CLINIC, OqsMode.MANDATED, frozenset({Flow.FACE_READER}))
GENERAL = FacilityProfile(FacilityKind.CLINIC, OqsMode.MANDATED, frozenset({Flow.GENERAL_READER}))
EMP = PatientContext(K.EMPLOYEE)


class Run:
    """Drives the machine like the runtime would, keeping every effect."""

    def __init__(
        self,
        engine: PolicyEngine,
        facility: FacilityProfile,
        patient: PatientContext,
        on: date = TODAY,
    ) -> None:
        self.ctx = ReceptionContext(engine, on, facility)
        t = start(self.ctx, patient)
        self.state = t.state
        self.effects = list(t.effects)

    def send(self, *events: Event) -> Transition:
        t = Transition(self.state, ())
        for event in events:
            t = handle(self.ctx, self.state, event)
            self.state = t.state
            self.effects += t.effects
        return t

    @property
    def record(self) -> VerificationRecord:
        records = [e.record for e in self.effects if isinstance(e, RecordVerification)]
        assert len(records) == 1
        assert self.state.final and self.state.allowed == frozenset()
        return records[0]

    def option_ids(self) -> list[str]:
        return [o.id for o in self.state.offered]


def test_face_reader_result(engine: PolicyEngine) -> None:
    run = Run(engine, FACE, EMP)
    assert run.state.screen is Screen.CHOOSE_ROUTE and isinstance(run.effects[0], ShowOptions)
    assert TerminalAnswered in run.state.allowed and CardRead not in run.state.allowed
    run.send(TerminalAnswered(TO.VALID))
    r = run.record
    assert (r.path, r.outcome, r.reason, r.documents) == (
        P.MYNA_FACE_READER,
        Outcome.CONFIRMED,
        None,
        (D.MYNA_CARD,),
    )
    assert "DOC-02" in r.rules and not r.simulated


def test_face_auth_failed_then_visual_mode(engine: PolicyEngine) -> None:
    run = Run(engine, FACE, EMP)
    run.send(Failed(R.FACE_AUTH_FAILED))
    assert run.option_ids()[0] == "myna_face_reader_visual"
    t = run.send(ChooseOption("myna_face_reader_visual"))
    assert t.effects == (AwaitExternalResult(P.MYNA_FACE_READER_VISUAL),)
    run.send(TerminalAnswered(TO.VALID, simulated=True))
    r = run.record
    assert r.path is P.MYNA_FACE_READER_VISUAL and r.reason is R.FACE_AUTH_FAILED and r.simulated
    assert Condition.SWITCH_READER_BACK in r.conditions


def test_general_reader_pin_never_retried_automatically(engine: PolicyEngine) -> None:
    run = Run(engine, GENERAL, EMP)
    assert run.send(CardRead()).effects == (ReadCard(),)
    assert run.send(CertParsed(date(2029, 1, 1))).effects == (ReadPinTries(),)
    assert run.send(PinTriesRead(3)).effects == (AskPin(3, last_try_warning=False),)
    t = run.send(PinEntered(PinResult.WRONG, tries_left=2))
    assert t.effects == () and run.state.screen is Screen.PIN_WRONG  # no new AskPin by itself
    assert {RetryPin, UseVisualCheck} <= run.state.allowed
    run.send(RetryPin(), PinEntered(PinResult.WRONG, tries_left=1))
    assert run.send(RetryPin()).effects == (AskPin(1, last_try_warning=True),)
    assert run.state.last_try_warning
    assert run.send(PinEntered(PinResult.OK)).effects == (QueryTerminal(QueryKind.CARD),)
    run.send(TerminalAnswered(TO.VALID))
    assert run.record.path is P.MYNA_GENERAL_READER_PIN


def test_pin_locked_goes_to_visual_check(engine: PolicyEngine) -> None:
    run = Run(engine, GENERAL, EMP)
    run.send(CardRead(), CertParsed(date(2029, 1, 1)), PinTriesRead(0))  # locked: not one PIN asked
    assert not any(isinstance(e, AskPin) for e in run.effects)
    assert run.state.reason is R.PIN_LOCKED
    run.send(ChooseOption("myna_general_reader_visual"))
    run.send(CertParsed(date(2029, 1, 1)), VisualCheckDone(True), TerminalAnswered(TO.VALID))
    assert run.record.path is P.MYNA_GENERAL_READER_VISUAL


def test_visual_mismatch_excludes_the_card(engine: PolicyEngine) -> None:
    run = Run(engine, GENERAL, EMP)
    run.send(
        CardRead(), CertParsed(date(2029, 1, 1)), PinTriesRead(2), PinEntered(PinResult.WRONG, 1)
    )
    run.send(UseVisualCheck(), VisualCheckDone(False))
    assert run.state.reason is R.IDENTITY_MISMATCH
    assert all(D.MYNA_CARD not in o.documents for o in run.state.offered)


def test_expired_certificate_skips_the_pin(engine: PolicyEngine) -> None:
    run = Run(engine, GENERAL, EMP)
    run.send(CardRead(), CertParsed(date(2026, 7, 31)))  # grace ended 2026-10-31
    assert run.state.reason is R.CARD_EXPIRED and run.state.screen is Screen.CHOOSE_ROUTE
    assert not any(isinstance(e, ReadPinTries) for e in run.effects)


def test_certificate_in_grace_records_the_condition(engine: PolicyEngine) -> None:
    run = Run(engine, GENERAL, EMP)
    run.send(CardRead(), CertParsed(date(2026, 9, 15)), PinTriesRead(3), PinEntered(PinResult.OK))
    run.send(TerminalAnswered(TO.VALID))
    assert Condition.QUALIFICATION_ONLY_IN_GRACE in run.record.conditions


def test_limited_app_pasted_result(engine: PolicyEngine) -> None:
    fac = FacilityProfile(FacilityKind.PHARMACY, OqsMode.LIMITED, frozenset())
    run = Run(engine, fac, EMP)
    assert run.option_ids()[0] == "limited_app"
    run.send(ChooseOption("limited_app"), TerminalAnswered(TO.VALID))
    assert run.record.path is P.LIMITED_APP and "LTD-04" in run.record.rules


def test_fallback_guide_documents(engine: PolicyEngine) -> None:
    run = Run(engine, FACE, EMP)
    assert run.send(ChooseOption("myna_face_reader")).effects == (
        AwaitExternalResult(P.MYNA_FACE_READER),
    )
    run.send(TerminalTimedOut())
    assert run.state.reason is R.TERMINAL_DOWN and run.state.steps
    t = run.send(ChooseOption("myna_card_notice"))
    assert t.effects == (AskDocuments("myna_card_notice", (D.MYNA_CARD, D.QUALIFICATION_NOTICE)),)
    t = run.send(DocumentsRecorded(frozenset({D.MYNA_CARD})))
    assert t.effects == (RejectDocuments("myna_card_notice", (D.QUALIFICATION_NOTICE,)),)
    run.send(DocumentsRecorded(frozenset({D.MYNA_CARD, D.QUALIFICATION_NOTICE})))
    r = run.record
    assert (r.path, r.reason, r.failures) == (P.DOCUMENTS, R.TERMINAL_DOWN, (R.TERMINAL_DOWN,))
    assert {"DOC-07", "FAIL-02"} <= set(r.rules)


def test_self_declaration_is_provisional(engine: PolicyEngine) -> None:
    run = Run(engine, FACE, EMP)
    run.send(TerminalAnswered(TO.NO_RECORD))
    assert run.state.reason is R.NO_RECORD
    run.send(
        ChooseOption("self_declaration_form"),
        DocumentsRecorded(frozenset({D.SELF_DECLARATION_FORM, D.MYNA_CARD})),
    )
    assert (run.record.path, run.record.outcome) == (P.SELF_DECLARATION, Outcome.PROVISIONAL)


def test_provisional_handling_by_date(engine: PolicyEngine) -> None:
    run = Run(engine, FACE, PatientContext(K.NATIONAL), on=date(2026, 3, 31))
    run.send(Failed(R.NO_CARD), ChooseOption("provisional_expired_card_doc05"))
    t = run.send(DocumentsRecorded(frozenset({D.EXPIRED_INSURANCE_CARD})))
    assert t.effects == (QueryTerminal(QueryKind.NUMBERS),)
    run.send(TerminalAnswered(TO.VALID))
    assert run.record.path is P.NUMBER_QUERY and {"DOC-05", "DOC-06"} <= set(run.record.rules)
    later = Run(engine, FACE, PatientContext(K.NATIONAL), on=date(2026, 4, 1))
    later.send(Failed(R.NO_CARD))
    with pytest.raises(EventNotAllowed):
        later.send(ChooseOption("provisional_expired_card_doc05"))


def test_home_visit_first_and_requery(engine: PolicyEngine) -> None:
    fac = FacilityProfile(
        FacilityKind.CLINIC, OqsMode.MANDATED, frozenset({Flow.FACE_READER, Flow.HOME_VISIT})
    )
    first = Run(engine, fac, PatientContext(K.LATE_ELDERLY, setting=VisitSetting.HOME_VISIT))
    first.send(ChooseOption("home_visit_first"), TerminalAnswered(TO.VALID))
    assert first.record.path is P.HOME_VISIT_FIRST
    patient = PatientContext(
        K.LATE_ELDERLY, setting=VisitSetting.HOME_VISIT, home_first_check=date(2026, 10, 1)
    )
    later = Run(engine, fac, patient)
    assert later.send(ChooseOption("home_visit_requery")).effects == (
        QueryTerminal(QueryKind.REQUERY),
    )
    later.send(TerminalAnswered(TO.VALID))
    assert later.record.path is P.HOME_VISIT_REQUERY and later.record.documents == ()


def test_online_consultation_and_unusual_route(engine: PolicyEngine) -> None:
    fac = FacilityProfile(
        FacilityKind.HOSPITAL,
        OqsMode.MANDATED,
        frozenset({Flow.FACE_READER, Flow.ONLINE_CONSULTATION, Flow.UNUSUAL_ROUTE}),
    )
    online = Run(engine, fac, PatientContext(K.EMPLOYEE, setting=VisitSetting.ONLINE_CONSULTATION))
    online.send(ChooseOption("online_consultation"), TerminalAnswered(TO.VALID))
    assert online.record.path is P.ONLINE_CONSULTATION
    fever = Run(engine, fac, PatientContext(K.EMPLOYEE, setting=VisitSetting.UNUSUAL_ROUTE))
    fever.send(ChooseOption("mobile_device_unusual_route"), TerminalAnswered(TO.VALID))
    assert fever.record.path is P.MOBILE_DEVICE and "HOME-05" in fever.record.rules
    broken = Run(engine, fac, EMP)
    broken.send(Failed(R.READER_FAILURE))
    assert broken.option_ids()[0] == "mobile_device_equipment_failure"
    broken.send(ChooseOption("mobile_device_equipment_failure"), TerminalAnswered(TO.VALID))
    assert (broken.record.path, broken.record.reason) == (P.MOBILE_DEVICE, R.READER_FAILURE)


def test_welfare_online_then_not_designated(engine: PolicyEngine) -> None:
    fac = FacilityProfile(
        FacilityKind.CLINIC, OqsMode.MANDATED, frozenset({Flow.FACE_READER, Flow.WELFARE})
    )
    run = Run(engine, fac, PatientContext(K.WELFARE))
    run.send(TerminalAnswered(TO.NOT_DESIGNATED))
    assert run.state.reason is R.NOT_DESIGNATED_WELFARE
    assert run.option_ids() == ["welfare_medical_ticket", "welfare_contact_office"]  # no 10割
    run.send(ChooseOption("welfare_contact_office"))
    assert (run.record.path, run.record.outcome) == (P.WELFARE_PAPER_TICKET, Outcome.PROVISIONAL)
    assert "MA-05" in run.record.rules


def test_welfare_paper_ticket_without_welfare_oqs(engine: PolicyEngine) -> None:
    run = Run(engine, FACE, PatientContext(K.WELFARE))
    assert "myna_face_reader" not in run.option_ids()
    run.send(
        ChooseOption("welfare_medical_ticket"), DocumentsRecorded(frozenset({D.MEDICAL_TICKET}))
    )
    assert run.record.path is P.WELFARE_PAPER_TICKET and run.record.documents == (D.MEDICAL_TICKET,)


HACHIOJI_CHILD = PublicExpense(SubsidyType.CHILD, "東京都", "八王子市")
PMH_FACE = FacilityProfile(
    FacilityKind.CLINIC, OqsMode.MANDATED, frozenset({Flow.FACE_READER, Flow.PMH})
)


def test_pmh_covers_the_public_expense(engine: PolicyEngine) -> None:
    run = Run(engine, PMH_FACE, PatientContext(K.EMPLOYEE, public_expenses=(HACHIOJI_CHILD,)))
    run.send(TerminalAnswered(TO.VALID, public_expense_found=True))
    (pe,) = run.record.public_expense
    assert pe.via == "pmh" and "PMH-01" in pe.rules
    assert not any(isinstance(e, AskPublicExpenseCertificate) for e in run.effects)


@pytest.mark.parametrize(
    ("facility", "found", "expense"),
    [
        (PMH_FACE, False, HACHIOJI_CHILD),  # PMH answered without it (an error): paper
        (FACE, True, HACHIOJI_CHILD),  # institution not connected to PMH
        (PMH_FACE, True, PublicExpense(SubsidyType.CHILD, "東京都", "調布市")),  # types unknown
    ],
)
def test_paper_recipient_certificate(engine: PolicyEngine, facility, found, expense) -> None:
    run = Run(engine, facility, PatientContext(K.EMPLOYEE, public_expenses=(expense,)))
    t = run.send(TerminalAnswered(TO.VALID, public_expense_found=found))
    assert t.effects == (AskPublicExpenseCertificate((expense,)),)
    run.send(PublicExpenseResolved(True))
    assert D.PUBLIC_EXPENSE_CERTIFICATE in run.record.documents
    assert run.record.public_expense[0].via == "paper" and run.record.public_expense[0].rules == (
        "PMH-05",
    )


def test_leaving_at_the_public_expense_step_keeps_the_check(engine: PolicyEngine) -> None:
    run = Run(engine, FACE, PatientContext(K.EMPLOYEE, public_expenses=(HACHIOJI_CHILD,)))
    run.send(TerminalAnswered(TO.VALID), Cancel())
    assert (
        run.record.outcome is Outcome.CONFIRMED
        and run.record.public_expense[0].via == "not_presented"
    )


@pytest.mark.parametrize("reason", [R.PIN_UNKNOWN, R.PIN_LOCKED])
def test_the_recommended_fallback_fits_the_general_reader_in_use(
    engine: PolicyEngine, reason: R
) -> None:
    """Issue 14 §8: on the general reader, 暗証番号が分からない recommended the face reader's
    目視確認モード; the reader's own 目視確認 comes first, the face-reader device after."""
    both = replace(GENERAL, flows=frozenset({Flow.GENERAL_READER, Flow.FACE_READER}))
    run = Run(engine, both, EMP)
    run.send(CardRead(), CertParsed(date(2029, 1, 1)), PinTriesRead(3), Failed(reason))
    paths = [o.path for o in run.state.offered]
    assert paths[0] is P.MYNA_GENERAL_READER_VISUAL
    assert P.MYNA_FACE_READER_VISUAL in paths  # still offered, not recommended
    shown = [e for e in run.effects if isinstance(e, ShowOptions)][-1]
    assert shown.options == run.state.offered
    # Without the general reader in use the rules' order stands.
    face = Run(engine, both, EMP)
    face.send(Failed(reason))
    assert face.state.offered[0].path is not P.MYNA_GENERAL_READER_VISUAL


def test_cancel_records_abandoned_once(engine: PolicyEngine) -> None:
    run = Run(engine, FACE, EMP)
    run.send(Failed(R.TERMINAL_DOWN), ChooseOption("myna_card_notice"), Cancel())
    r = run.record
    assert (r.path, r.outcome, r.option_id) == (None, Outcome.ABANDONED, None)
    with pytest.raises(EventNotAllowed):
        run.send(Cancel())


def test_events_not_allowed_leave_the_state_alone(engine: PolicyEngine) -> None:
    run = Run(engine, FACE, EMP)
    before = run.state
    for event in (
        PinEntered(PinResult.OK),
        CertParsed(TODAY),
        DocumentsRecorded(frozenset()),
        CardRead(),
    ):
        with pytest.raises(EventNotAllowed):
            run.send(event)
    assert run.state == before


def test_self_pay_does_not_ask_for_the_public_expense(engine: PolicyEngine) -> None:
    run = Run(engine, FACE, PatientContext(K.EMPLOYEE, public_expenses=(HACHIOJI_CHILD,)))
    run.send(Failed(R.NO_CARD), ChooseOption("self_pay"))
    assert (run.record.path, run.record.outcome) == (P.SELF_PAY, Outcome.NOT_CONFIRMED)


# -- properties -------------------------------------------------------------------------------

DAYS = st.dates(min_value=date(2024, 12, 2), max_value=date(2027, 3, 31))
FACILITIES = st.builds(
    FacilityProfile,
    kind=st.sampled_from(FacilityKind),
    oqs_mode=st.sampled_from(OqsMode),
    flows=st.frozensets(st.sampled_from(Flow)),
)
EXPENSES = st.sampled_from(
    [
        PublicExpense(SubsidyType.CHILD, "東京都", "八王子市"),
        PublicExpense(SubsidyType.PEDIATRIC_CHRONIC, "山梨県", "甲府市"),
        PublicExpense(SubsidyType.INTRACTABLE_DISEASE, "愛知県"),
        PublicExpense(SubsidyType.DISABILITY, "北海道", "札幌市"),
    ]
)
PATIENTS = st.builds(
    PatientContext,
    insurance_kind=st.sampled_from(K),
    birth_date=st.none() | st.dates(min_value=date(1920, 1, 1), max_value=date(2024, 12, 1)),
    revisit=st.booleans(),
    setting=st.sampled_from(VisitSetting),
    public_expenses=st.lists(EXPENSES, max_size=2, unique=True).map(tuple),
    cert_expiry=st.none() | DAYS,
    home_first_check=st.none() | DAYS,
)
VISITS = st.tuples(DAYS, FACILITIES, PATIENTS)


def candidates(state, data, *, steer: bool = True) -> list[Event]:
    """Every kind of event, with drawn payloads; the machine must cope with all of them."""
    docs = st.frozensets(st.sampled_from(D), max_size=3)
    chosen = state.chosen.documents if state.chosen else ()
    events: list[Event] = [
        *(ChooseOption(o.id) for o in state.offered),
        CardRead(simulated=data.draw(st.booleans())),
        CertParsed(
            data.draw(DAYS | st.dates(min_value=date(2027, 1, 1), max_value=date(2035, 1, 1)))
        ),
        PinTriesRead(data.draw(st.integers(0, 3))),
        PinEntered(data.draw(st.sampled_from(PinResult)), data.draw(st.none() | st.integers(0, 3))),
        RetryPin(),
        UseVisualCheck(),
        VisualCheckDone(data.draw(st.booleans())),
        TerminalAnswered(
            data.draw(st.sampled_from([TO.VALID] * 5 + list(TO))),
            data.draw(st.booleans()),
            data.draw(st.none() | st.booleans()),
        ),
        TerminalTimedOut(),
        Failed(data.draw(st.sampled_from(R))),
        DocumentsRecorded(
            data.draw(docs) | (frozenset(chosen) if data.draw(st.integers(0, 3)) else frozenset())
        ),
        PublicExpenseResolved(data.draw(st.booleans())),
    ]
    if not steer:
        return [*events, Cancel()]
    if data.draw(st.integers(0, 14)) == 0:  # leaving is always possible, but rare
        return [Cancel()]
    if data.draw(st.integers(0, 3)):  # failures happen, but mostly things go on
        events = [e for e in events if not isinstance(e, Failed | TerminalTimedOut)]
    return events


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(visit=VISITS, data=st.data())
def test_every_run_ends_in_exactly_one_record_and_never_asks_for_refused_documents(
    engine: PolicyEngine, visit: tuple[date, FacilityProfile, PatientContext], data: st.DataObject
) -> None:
    on, facility, patient = visit
    ctx = ReceptionContext(engine, on, facility)
    t = start(ctx, patient)
    state, effects = t.state, list(t.effects)
    for _ in range(30):
        if state.final:
            break
        assert Cancel in state.allowed  # the desk can always end a visit
        options = [e for e in candidates(state, data) if type(e) in state.allowed] or [Cancel()]
        event = data.draw(st.sampled_from(options))
        if (
            isinstance(event, Failed)
            and event.reason is R.PMH_NOT_AVAILABLE
            and state.screen is Screen.PUBLIC_EXPENSE
        ):
            continue
        t = handle(ctx, state, event)
        for effect in t.effects:
            if isinstance(effect, AskDocuments):  # asked only what the rules of the date accept
                today = engine.accepted_documents(on, facility, t.state.patient, t.state.reason)
                assert today.option(effect.option_id) is not None
                assert effect.documents == today.option(effect.option_id).documents
            if isinstance(effect, AskPin):
                assert isinstance(event, PinTriesRead | RetryPin)  # never an automatic retry
                assert (
                    effect.last_try_warning == (effect.tries_left == 1) and effect.tries_left >= 1
                )
        state = t.state
        effects += t.effects
    tally(f"forced cancel={not state.final}")
    if not state.final:
        t = handle(ctx, state, Cancel())
        state = t.state
        effects += t.effects
    records = [e.record for e in effects if isinstance(e, RecordVerification)]
    assert len(records) == 1 and state.final and state.record == records[0]
    record = records[0]
    tally(f"outcome={record.outcome.value}")
    tally(f"path={record.path.value if record.path else None}")
    if record.outcome is Outcome.ABANDONED:
        assert record.path is None
        return
    # the recorded path is one the rules of that date accept for that reason and patient
    today = engine.accepted_documents(on, facility, state.patient, record.reason)
    option = today.option(record.option_id)
    assert option is not None and option.path is record.path
    assert option.satisfied_by(record.documents) or option.action.value == "online"
    assert record.rules and all(r in engine.rb.research for r in record.rules)


@settings(max_examples=60, deadline=None)
@given(visit=VISITS, data=st.data())
def test_refused_events_raise_and_change_nothing(
    engine: PolicyEngine, visit: tuple[date, FacilityProfile, PatientContext], data: st.DataObject
) -> None:
    ctx = ReceptionContext(engine, visit[0], visit[1])
    state = start(ctx, visit[2]).state
    refused = [e for e in candidates(state, data, steer=False) if type(e) not in state.allowed]
    event = data.draw(st.sampled_from(refused))
    with pytest.raises(EventNotAllowed):
        handle(ctx, state, event)
    bogus = ChooseOption("no-such-option")
    if ChooseOption in state.allowed:
        with pytest.raises(EventNotAllowed):
            handle(ctx, replace(state), bogus)
