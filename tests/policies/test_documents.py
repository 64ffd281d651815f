"""Table-driven cases from the notices, with the dates they name: the same patient and documents
accepted on one date and refused on the next."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

import pytest

from policies import (
    AcceptAction,
    Condition,
    FacilityKind,
    FacilityProfile,
    Flow,
    OqsMode,
    PatientContext,
    PolicyEngine,
    PolicyError,
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
from tests.policies.conftest import clinic, facility

MANDATED = clinic(Flow.FACE_READER)
LIMITED = clinic(Flow.GENERAL_READER, mode=OqsMode.LIMITED)
NO_OQS = clinic(mode=OqsMode.NONE)


def pat(kind: K, **kw: object) -> PatientContext:
    return PatientContext(kind, **kw)  # type: ignore[arg-type]


def expiring(kind: D, on: date) -> tuple[tuple[D, date], ...]:
    return ((kind, on),)


class Case(NamedTuple):
    name: str
    on: date
    fac: FacilityProfile
    patient: PatientContext
    reason: R | None
    docs: list[D]
    ok: bool
    rule: str | None = None


d = date
M, LTD, NONE = MANDATED, LIMITED, NO_OQS
NAT, EMP, KOKI, WEL = pat(K.NATIONAL), pat(K.EMPLOYEE), pat(K.LATE_ELDERLY), pat(K.WELFARE)
NAT_1130 = pat(K.NATIONAL, printed_expiry=expiring(D.INSURANCE_CARD, d(2025, 11, 30)))
EMP_0930 = pat(K.EMPLOYEE, printed_expiry=expiring(D.INSURANCE_CARD, d(2025, 9, 30)))
KOKI_0731 = pat(
    K.LATE_ELDERLY, printed_expiry=expiring(D.QUALIFICATION_CERTIFICATE, d(2026, 7, 31))
)
PH = facility(FacilityKind.PHARMACY, OqsMode.MANDATED, Flow.FACE_READER)
WOQS = clinic(Flow.FACE_READER, Flow.WELFARE)
CARD, XCARD, NOTICE = D.INSURANCE_CARD, D.EXPIRED_INSURANCE_CARD, D.QUALIFICATION_NOTICE
MYNA, CERT, DECL = D.MYNA_CARD, D.QUALIFICATION_CERTIFICATE, D.SELF_DECLARATION_FORM
TICKET, DISP = D.MEDICAL_TICKET, D.DISPENSING_TICKET
PDF, SCREEN = D.MYNAPORTAL_PDF, D.MYNAPORTAL_SCREEN
T, R_UNDESIGNATED = d(2026, 11, 23), R.NOT_DESIGNATED_WELFARE

# fmt: off
CASES = [
    # DOC-04: the old card by insurer kind (国保/後期 2025-07-31, 被用者 2025-12-01)
    Case("kokuho card last day", d(2025, 7, 31), M, NAT, R.NO_CARD, [CARD], True, "DOC-04"),
    Case("kokuho card day after", d(2025, 8, 1), M, NAT, R.NO_CARD, [CARD], False),
    Case("koki card last day", d(2025, 7, 31), M, KOKI, None, [CARD], True, "DOC-04"),
    Case("koki card day after", d(2025, 8, 1), M, KOKI, None, [CARD], False),
    Case("employee card last day", d(2025, 12, 1), M, EMP, None, [CARD], True, "DOC-04"),
    Case("employee card day after", d(2025, 12, 2), M, EMP, None, [CARD], False),
    Case("no-OQS site, employee card", d(2025, 12, 1), NONE, EMP, None, [CARD], True, "DOC-09"),
    Case("no-OQS site, day after", d(2025, 12, 2), NONE, EMP, None, [CARD], False),
    # 国保 cards printed with a later date ran to it (at most 2025-12-01)
    Case("kokuho printed 11-30", d(2025, 11, 30), M, NAT_1130, R.NO_CARD, [CARD], True, "DOC-04"),
    Case("kokuho printed 11-30, after", d(2025, 12, 1), M, NAT_1130, R.NO_CARD, [CARD], False),
    Case("kokuho 11-30, no OQS", d(2025, 11, 30), NONE, NAT_1130, None, [CARD], True, "DOC-09"),
    # ... and never past the printed expiry
    Case("printed expiry holds", d(2025, 9, 30), M, EMP_0930, None, [CARD], True, "DOC-04"),
    Case("printed expiry passed", d(2025, 10, 1), M, EMP_0930, None, [CARD], False),
    # DOC-05 暫定 (国保・後期): expired card or お知らせ alone + OQS query, 2025-08-01..2026-03-31
    Case("DOC-05 not before", d(2025, 7, 31), M, NAT, R.NO_CARD, [XCARD], False),
    Case("DOC-05 first day", d(2025, 8, 1), M, NAT, R.NO_CARD, [XCARD], True, "DOC-05"),
    Case("DOC-05 koki", d(2025, 8, 1), M, KOKI, None, [XCARD], True, "DOC-05"),
    Case("DOC-05 notice alone", d(2025, 8, 1), M, NAT, R.NO_CARD, [NOTICE], True, "DOC-05"),
    Case("DOC-05 last day", d(2026, 3, 31), M, NAT, R.NO_CARD, [XCARD], True, "DOC-05"),
    Case("DOC-05 ended", d(2026, 4, 1), M, NAT, R.NO_CARD, [XCARD], False),
    # DOC-06 暫定 (all insurers) 2025-12-02..2026-03-31
    Case("DOC-06 not for employees yet", d(2025, 12, 1), M, EMP, R.NO_CARD, [XCARD], False),
    Case("DOC-06 first day", d(2025, 12, 2), M, EMP, R.NO_CARD, [XCARD], True, "DOC-06"),
    Case("DOC-06 notice alone", d(2025, 12, 2), M, EMP, R.NO_CARD, [NOTICE], True, "DOC-06"),
    Case("DOC-06 last day", d(2026, 3, 31), M, EMP, R.NO_CARD, [NOTICE], True, "DOC-06"),
    Case("DOC-06 ended", d(2026, 4, 1), M, EMP, R.NO_CARD, [NOTICE], False),
    Case("暫定 needs a number query", d(2026, 1, 10), LTD, EMP, R.NO_CARD, [XCARD], False),
    Case("暫定 needs the terminal", d(2026, 1, 10), M, EMP, R.TERMINAL_DOWN, [NOTICE], False),
    # DOC-08: お知らせ alone is not valid outside the window; with the card it is (DOC-07)
    Case("notice alone before 暫定", d(2024, 12, 2), M, NAT, R.NO_CARD, [NOTICE], False),
    Case("card + notice", T, M, NAT, R.CARD_UNREADABLE, [MYNA, NOTICE], True, "DOC-07"),
    Case("card + PDF", T, M, EMP, R.TERMINAL_DOWN, [MYNA, PDF], True, "DOC-07"),
    Case("limited site", T, LTD, EMP, R.READER_FAILURE, [MYNA, NOTICE], True, "LTD-04"),
    Case("no-OQS site", T, NONE, EMP, None, [MYNA, SCREEN], True, "DOC-09"),
    Case("someone else's card", T, M, EMP, R.IDENTITY_MISMATCH, [MYNA, NOTICE], False),
    # DOC-03 / DOC-12: 資格確認書; the 後期 一斉交付 certificates end 2026-07-31
    Case("certificate", T, M, EMP, R.NO_CARD, [CERT], True, "DOC-03"),
    Case("koki certificate last day", d(2026, 7, 31), M, KOKI_0731, None, [CERT], True, "DOC-12"),
    Case("koki certificate day after", d(2026, 8, 1), M, KOKI_0731, None, [CERT], False),
    # FAIL-02/03: 申立書 with the card when nothing can be verified
    Case("declaration", T, M, EMP, R.TERMINAL_DOWN, [DECL, MYNA], True, "FAIL-03"),
    Case("declaration w/o card", T, M, EMP, R.NO_CARD, [DECL, MYNA], False),
    # FAIL-09: paper 医療券/調剤券 for 医療扶助
    Case("医療券, no welfare OQS", T, M, WEL, None, [TICKET], True, "FAIL-09"),
    Case("調剤券 at a pharmacy", T, PH, WEL, None, [DISP], True, "FAIL-09"),
    Case("no 医療券 at a pharmacy", T, PH, WEL, None, [TICKET], False),
    Case("welfare OQS: online first", T, WOQS, WEL, None, [TICKET], False),
    Case("未委託 -> paper", T, WOQS, WEL, R_UNDESIGNATED, [TICKET], True, "FAIL-09"),
    Case("welfare from coverage start", d(2024, 12, 2), M, WEL, None, [TICKET], True, "MA-06"),
]
# fmt: on


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_notice_cases(engine: PolicyEngine, case: Case) -> None:
    a = engine.accepted_documents(case.on, case.fac, case.patient, case.reason)
    option = a.accepting(case.docs)
    assert (option is not None) == case.ok
    if option is not None:
        assert case.rule in option.rules
        assert option.sources and all(s in engine.rb.sources for s in option.sources)


def test_pairs_flip_on_consecutive_days() -> None:
    """The table really holds 'accepted on D, refused on D+1' pairs for the named boundaries."""
    boundaries = {(c.on, c.ok) for c in CASES}
    for day in (date(2025, 7, 31), date(2025, 12, 1), date(2026, 3, 31), date(2026, 7, 31)):
        assert (day, True) in boundaries
        assert (date.fromordinal(day.toordinal() + 1), False) in boundaries


def test_before_coverage_is_an_error(engine: PolicyEngine) -> None:
    with pytest.raises(PolicyError):
        engine.accepted_documents(date(2024, 12, 1), MANDATED, pat(K.EMPLOYEE))


# -- DOC-11: the e-certificate grace, to the END of the expiry month plus 3 months --------------


@pytest.mark.parametrize(
    ("expiry", "on", "usable", "in_grace"),
    [
        (date(2025, 6, 10), date(2025, 6, 10), True, False),
        (date(2025, 6, 10), date(2025, 6, 11), True, True),
        (date(2025, 6, 10), date(2025, 9, 30), True, True),  # not 2025-09-10
        (date(2025, 6, 10), date(2025, 10, 1), False, False),
        (date(2025, 11, 30), date(2026, 2, 28), True, True),
        (date(2025, 11, 30), date(2026, 3, 1), False, False),
    ],
)
def test_certificate_grace(engine: PolicyEngine, expiry, on, usable, in_grace) -> None:
    a = engine.accepted_documents(on, MANDATED, pat(K.EMPLOYEE, cert_expiry=expiry))
    face = a.option("myna_face_reader")
    assert (face is not None) == usable
    if face is not None:
        assert (Condition.QUALIFICATION_ONLY_IN_GRACE in face.conditions) == in_grace
        assert face.valid_until == engine.cert_usable_until(expiry, on)


def test_expired_certificate_falls_back_to_documents(engine: PolicyEngine) -> None:
    d = engine.decide_fallback(
        date(2026, 11, 23), MANDATED, pat(K.EMPLOYEE, cert_expiry=date(2026, 1, 5)), R.CARD_EXPIRED
    )
    paths = {o.path for o in d.options}
    assert P.MYNA_FACE_READER not in paths and P.DOCUMENTS in paths
    assert "DOC-11" in d.guide.rules


# -- new routes and their start dates -------------------------------------------------------------


def test_smartphone_from_2025_09_19(engine: PolicyEngine) -> None:
    fac = clinic(Flow.FACE_READER, Flow.SMARTPHONE_READER)
    before = engine.accepted_documents(date(2025, 9, 18), fac, pat(K.EMPLOYEE))
    after = engine.accepted_documents(date(2025, 9, 19), fac, pat(K.EMPLOYEE))
    assert before.option("myna_smartphone") is None
    assert after.option("myna_smartphone").rules == ("DOC-10",)


def test_mobile_device_for_equipment_failure_from_2025_04(engine: PolicyEngine) -> None:
    fac = clinic(Flow.FACE_READER, Flow.UNUSUAL_ROUTE)
    before = engine.decide_fallback(date(2025, 3, 31), fac, pat(K.EMPLOYEE), R.READER_FAILURE)
    after = engine.decide_fallback(date(2025, 4, 1), fac, pat(K.EMPLOYEE), R.READER_FAILURE)
    assert before.acceptance.option("mobile_device_equipment_failure") is None
    assert after.recommended.id == "mobile_device_equipment_failure"
    assert after.recommended.path is P.MOBILE_DEVICE


def test_visual_check_when_the_pin_is_unknown(engine: PolicyEngine) -> None:
    d = engine.decide_fallback(date(2026, 11, 23), MANDATED, pat(K.EMPLOYEE), R.PIN_UNKNOWN)
    assert d.recommended.path is P.MYNA_FACE_READER_VISUAL
    assert Condition.SWITCH_READER_BACK in d.recommended.conditions
    limited = engine.decide_fallback(date(2026, 11, 23), LIMITED, pat(K.EMPLOYEE), R.PIN_UNKNOWN)
    assert P.MYNA_GENERAL_READER_VISUAL not in {o.path for o in limited.options}  # G-05: unknown
    assert any("G-05" in n.rules for n in limited.acceptance.notes)


def test_home_visit_first_and_requery(engine: PolicyEngine) -> None:
    fac = clinic(Flow.FACE_READER, Flow.HOME_VISIT)
    first = engine.accepted_documents(
        date(2026, 11, 23), fac, pat(K.LATE_ELDERLY, setting=VisitSetting.HOME_VISIT)
    )
    assert [o.id for o in first.options][:1] == ["home_visit_first"]
    assert first.option("home_visit_requery") is None
    later = engine.accepted_documents(
        date(2026, 11, 23),
        fac,
        pat(K.LATE_ELDERLY, setting=VisitSetting.HOME_VISIT, home_first_check=date(2026, 6, 1)),
    )
    requery = later.option("home_visit_requery")
    assert requery.action is AcceptAction.QUERY_OQS and requery.documents == ()
    house_call = engine.accepted_documents(
        date(2026, 11, 23),
        fac,
        pat(K.LATE_ELDERLY, setting=VisitSetting.HOUSE_CALL, home_first_check=date(2026, 6, 1)),
    )
    assert house_call.option("home_visit_requery") is None  # 往診: a fresh check every visit
    assert house_call.option("home_visit_first") is not None


def test_online_consultation(engine: PolicyEngine) -> None:
    fac = clinic(Flow.FACE_READER, Flow.ONLINE_CONSULTATION)
    a = engine.accepted_documents(
        date(2026, 11, 23), fac, pat(K.EMPLOYEE, setting=VisitSetting.ONLINE_CONSULTATION)
    )
    o = a.options[0]
    assert o.path is P.ONLINE_CONSULTATION and Condition.PIN_REQUIRED in o.conditions


def test_no_card_today(engine: PolicyEngine) -> None:
    """2026-11-23: the 暫定 window is over; a patient with no card has few options."""
    first = engine.decide_fallback(date(2026, 11, 23), MANDATED, pat(K.NATIONAL), R.NO_CARD)
    assert [o.id for o in first.options] == ["qualification_certificate", "self_pay"]
    assert any("G-02" in n.rules for n in first.acceptance.notes)
    revisit = engine.decide_fallback(
        date(2026, 11, 23), MANDATED, pat(K.NATIONAL, revisit=True), R.NO_CARD
    )
    assert "revisit_known_patient" in [o.id for o in revisit.options]
    assert any("G-01" in n.rules for n in first.acceptance.notes)


def test_unknown_claim_and_burden(engine: PolicyEngine) -> None:
    on = date(2026, 3, 31)
    d = engine.decide_fallback(
        on, MANDATED, pat(K.EMPLOYEE, birth_date=date(1990, 1, 1)), R.TERMINAL_DOWN
    )
    claim = d.unknown_claim
    assert (claim.insurer_number, claim.insurer_number_alt, claim.number) == (
        "77777777",
        "77777779",
        "777777777",
    )
    assert claim.number_late_elderly == "77777777" and claim.remark_prefix == "不詳"
    assert d.burden_percent == 30
    child = engine.decide_fallback(
        on, MANDATED, pat(K.EMPLOYEE, birth_date=date(2019, 4, 2)), R.TERMINAL_DOWN
    )
    assert child.burden_percent == 20  # 6 on 2025-04-02: still 未就学 until 2026-03-31
    april_first = engine.decide_fallback(
        on, MANDATED, pat(K.EMPLOYEE, birth_date=date(2019, 4, 1)), R.TERMINAL_DOWN
    )
    assert april_first.burden_percent == 30  # 4/1 births start school a year earlier
    elderly = engine.decide_fallback(
        on, MANDATED, pat(K.LATE_ELDERLY, birth_date=date(1950, 1, 1)), R.TERMINAL_DOWN
    )
    assert elderly.burden_percent is None  # 1–3割: depends


def test_self_pay_is_always_the_last_option(engine: PolicyEngine) -> None:
    for reason in (None, R.TERMINAL_DOWN, R.NO_CARD, R.IDENTITY_MISMATCH):
        a = engine.accepted_documents(date(2026, 11, 23), MANDATED, pat(K.UNKNOWN), reason)
        assert a.options[-1].path is P.SELF_PAY


@pytest.mark.parametrize("reason", [None, *R], ids=str)
def test_welfare_is_never_sent_to_ryoyohi(engine: PolicyEngine, reason: R | None) -> None:
    """MA-09: a recipient has no insurer to claim 療養費 from; the 福祉事務所 route comes last."""
    for fac in (M, WOQS, PH, LTD, NONE):
        a = engine.accepted_documents(T, fac, WEL, reason)
        assert all(o.action is not AcceptAction.SELF_PAY for o in a.options), (fac, reason)
        if reason is R.PMH_NOT_AVAILABLE:
            continue
        last = a.options[-1]
        assert last.action is AcceptAction.CONTACT_WELFARE_OFFICE, (fac, reason)
        assert "welfare_ticket_later" in last.option_ids and "MA-09" in last.rules
        assert Condition.TICKET_LATER in last.conditions
    # the insured keep the 10割 route as the last resort
    assert engine.accepted_documents(T, M, NAT, R.NO_CARD).options[-1].path is P.SELF_PAY


def test_welfare_ticket_later_from_coverage_start(engine: PolicyEngine) -> None:
    first = engine.accepted_documents(d(2024, 12, 2), M, WEL, R.NO_CARD)
    assert [o.id for o in first.options] == ["welfare_medical_ticket", "welfare_ticket_later"]
    with pytest.raises(PolicyError):
        engine.accepted_documents(d(2024, 12, 1), M, WEL, R.NO_CARD)


def test_undesignated_welfare_joins_the_office_routes(engine: PolicyEngine) -> None:
    """未委託: ask for the 医療券 (MA-05) and see the patient meanwhile (MA-09), one answer."""
    a = engine.accepted_documents(T, WOQS, WEL, R_UNDESIGNATED)
    office = a.option("welfare_contact_office")
    assert office is not None and office.option_ids == (
        "welfare_contact_office",
        "welfare_ticket_later",
    )
    assert {Condition.RECHECK_LATER, Condition.TICKET_LATER} <= set(office.conditions)
    # the 未委託 advice is not given for other failures
    no_card = engine.accepted_documents(T, WOQS, WEL, R.NO_CARD).option("welfare_ticket_later")
    assert no_card is not None and Condition.RECHECK_LATER not in no_card.conditions
