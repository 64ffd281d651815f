"""Table-driven cases from the notices, with the dates they name: the same patient and documents
accepted on one date and refused on the next."""

from __future__ import annotations

from datetime import date

import pytest

from policies import (
    AcceptAction,
    Condition,
    DocumentKind as D,
    FacilityKind,
    FailureReason as R,
    Flow,
    InsuranceKind as K,
    OqsMode,
    PatientContext,
    PolicyEngine,
    PolicyError,
    VerificationPath as P,
    VisitSetting,
)
from tests.rules.conftest import clinic, facility

MANDATED = clinic(Flow.FACE_READER)
LIMITED = clinic(Flow.GENERAL_READER, mode=OqsMode.LIMITED)
NO_OQS = clinic(mode=OqsMode.NONE)


def pat(kind: K, **kw: object) -> PatientContext:
    return PatientContext(kind, **kw)  # type: ignore[arg-type]


def expiring(kind: D, on: date) -> tuple[tuple[D, date], ...]:
    return ((kind, on),)


# (case, on, facility, patient, reason, documents, accepted, a rule that must be cited)
CASES = [
    # DOC-04: the old card, by insurer kind (国保/後期 2025-07-31, 被用者 2025-12-01)
    (
        "kokuho card last day",
        date(2025, 7, 31),
        MANDATED,
        pat(K.NATIONAL),
        R.NO_CARD,
        [D.INSURANCE_CARD],
        True,
        "DOC-04",
    ),
    (
        "kokuho card day after",
        date(2025, 8, 1),
        MANDATED,
        pat(K.NATIONAL),
        R.NO_CARD,
        [D.INSURANCE_CARD],
        False,
        None,
    ),
    (
        "koki card last day",
        date(2025, 7, 31),
        MANDATED,
        pat(K.LATE_ELDERLY),
        None,
        [D.INSURANCE_CARD],
        True,
        "DOC-04",
    ),
    (
        "koki card day after",
        date(2025, 8, 1),
        MANDATED,
        pat(K.LATE_ELDERLY),
        None,
        [D.INSURANCE_CARD],
        False,
        None,
    ),
    (
        "employee card last day",
        date(2025, 12, 1),
        MANDATED,
        pat(K.EMPLOYEE),
        None,
        [D.INSURANCE_CARD],
        True,
        "DOC-04",
    ),
    (
        "employee card day after",
        date(2025, 12, 2),
        MANDATED,
        pat(K.EMPLOYEE),
        None,
        [D.INSURANCE_CARD],
        False,
        None,
    ),
    (
        "no-OQS site, employee card",
        date(2025, 12, 1),
        NO_OQS,
        pat(K.EMPLOYEE),
        None,
        [D.INSURANCE_CARD],
        True,
        "DOC-09",
    ),
    (
        "no-OQS site, day after",
        date(2025, 12, 2),
        NO_OQS,
        pat(K.EMPLOYEE),
        None,
        [D.INSURANCE_CARD],
        False,
        None,
    ),
    # ... never past the printed expiry
    (
        "printed expiry holds",
        date(2025, 9, 30),
        MANDATED,
        pat(K.EMPLOYEE, printed_expiry=expiring(D.INSURANCE_CARD, date(2025, 9, 30))),
        None,
        [D.INSURANCE_CARD],
        True,
        "DOC-04",
    ),
    (
        "printed expiry passed",
        date(2025, 10, 1),
        MANDATED,
        pat(K.EMPLOYEE, printed_expiry=expiring(D.INSURANCE_CARD, date(2025, 9, 30))),
        None,
        [D.INSURANCE_CARD],
        False,
        None,
    ),
    # DOC-05 暫定 (国保・後期): expired card or お知らせ alone + OQS query, 2025-08-01 .. 2026-03-31
    (
        "DOC-05 not before",
        date(2025, 7, 31),
        MANDATED,
        pat(K.NATIONAL),
        R.NO_CARD,
        [D.EXPIRED_INSURANCE_CARD],
        False,
        None,
    ),
    (
        "DOC-05 first day",
        date(2025, 8, 1),
        MANDATED,
        pat(K.NATIONAL),
        R.NO_CARD,
        [D.EXPIRED_INSURANCE_CARD],
        True,
        "DOC-05",
    ),
    (
        "DOC-05 koki",
        date(2025, 8, 1),
        MANDATED,
        pat(K.LATE_ELDERLY),
        None,
        [D.EXPIRED_INSURANCE_CARD],
        True,
        "DOC-05",
    ),
    (
        "DOC-05 notice alone",
        date(2025, 8, 1),
        MANDATED,
        pat(K.NATIONAL),
        R.NO_CARD,
        [D.QUALIFICATION_NOTICE],
        True,
        "DOC-05",
    ),
    (
        "DOC-05 last day",
        date(2026, 3, 31),
        MANDATED,
        pat(K.NATIONAL),
        R.NO_CARD,
        [D.EXPIRED_INSURANCE_CARD],
        True,
        "DOC-05",
    ),
    (
        "DOC-05 ended",
        date(2026, 4, 1),
        MANDATED,
        pat(K.NATIONAL),
        R.NO_CARD,
        [D.EXPIRED_INSURANCE_CARD],
        False,
        None,
    ),
    # DOC-06 暫定 (all insurers) 2025-12-02 .. 2026-03-31
    (
        "DOC-06 not for employees yet",
        date(2025, 12, 1),
        MANDATED,
        pat(K.EMPLOYEE),
        R.NO_CARD,
        [D.EXPIRED_INSURANCE_CARD],
        False,
        None,
    ),
    (
        "DOC-06 first day",
        date(2025, 12, 2),
        MANDATED,
        pat(K.EMPLOYEE),
        R.NO_CARD,
        [D.EXPIRED_INSURANCE_CARD],
        True,
        "DOC-06",
    ),
    (
        "DOC-06 notice alone",
        date(2025, 12, 2),
        MANDATED,
        pat(K.EMPLOYEE),
        R.NO_CARD,
        [D.QUALIFICATION_NOTICE],
        True,
        "DOC-06",
    ),
    (
        "DOC-06 last day",
        date(2026, 3, 31),
        MANDATED,
        pat(K.EMPLOYEE),
        R.NO_CARD,
        [D.QUALIFICATION_NOTICE],
        True,
        "DOC-06",
    ),
    (
        "DOC-06 ended",
        date(2026, 4, 1),
        MANDATED,
        pat(K.EMPLOYEE),
        R.NO_CARD,
        [D.QUALIFICATION_NOTICE],
        False,
        None,
    ),
    (
        "暫定 needs a number query (limited)",
        date(2026, 1, 10),
        LIMITED,
        pat(K.EMPLOYEE),
        R.NO_CARD,
        [D.EXPIRED_INSURANCE_CARD],
        False,
        None,
    ),
    (
        "暫定 needs the terminal",
        date(2026, 1, 10),
        MANDATED,
        pat(K.EMPLOYEE),
        R.TERMINAL_DOWN,
        [D.QUALIFICATION_NOTICE],
        False,
        None,
    ),
    # DOC-08: お知らせ alone is not valid outside the window; with the card it is (DOC-07)
    (
        "notice alone before 暫定",
        date(2024, 12, 2),
        MANDATED,
        pat(K.NATIONAL),
        R.NO_CARD,
        [D.QUALIFICATION_NOTICE],
        False,
        None,
    ),
    (
        "card + notice after failure",
        date(2026, 11, 23),
        MANDATED,
        pat(K.NATIONAL),
        R.CARD_UNREADABLE,
        [D.MYNA_CARD, D.QUALIFICATION_NOTICE],
        True,
        "DOC-07",
    ),
    (
        "card + portal PDF, terminal down",
        date(2026, 11, 23),
        MANDATED,
        pat(K.EMPLOYEE),
        R.TERMINAL_DOWN,
        [D.MYNA_CARD, D.MYNAPORTAL_PDF],
        True,
        "DOC-07",
    ),
    (
        "card + notice, limited site",
        date(2026, 11, 23),
        LIMITED,
        pat(K.EMPLOYEE),
        R.READER_FAILURE,
        [D.MYNA_CARD, D.QUALIFICATION_NOTICE],
        True,
        "LTD-04",
    ),
    (
        "card + screen at a no-OQS site",
        date(2026, 11, 23),
        NO_OQS,
        pat(K.EMPLOYEE),
        None,
        [D.MYNA_CARD, D.MYNAPORTAL_SCREEN],
        True,
        "DOC-09",
    ),
    (
        "card + notice need the own card",
        date(2026, 11, 23),
        MANDATED,
        pat(K.EMPLOYEE),
        R.IDENTITY_MISMATCH,
        [D.MYNA_CARD, D.QUALIFICATION_NOTICE],
        False,
        None,
    ),
    # DOC-03 / DOC-12: 資格確認書; the 後期 一斉交付 certificates end 2026-07-31
    (
        "certificate",
        date(2026, 11, 23),
        MANDATED,
        pat(K.EMPLOYEE),
        R.NO_CARD,
        [D.QUALIFICATION_CERTIFICATE],
        True,
        "DOC-03",
    ),
    (
        "koki certificate last day",
        date(2026, 7, 31),
        MANDATED,
        pat(
            K.LATE_ELDERLY, printed_expiry=expiring(D.QUALIFICATION_CERTIFICATE, date(2026, 7, 31))
        ),
        None,
        [D.QUALIFICATION_CERTIFICATE],
        True,
        "DOC-12",
    ),
    (
        "koki certificate day after",
        date(2026, 8, 1),
        MANDATED,
        pat(
            K.LATE_ELDERLY, printed_expiry=expiring(D.QUALIFICATION_CERTIFICATE, date(2026, 7, 31))
        ),
        None,
        [D.QUALIFICATION_CERTIFICATE],
        False,
        None,
    ),
    # FAIL-02/03: 申立書 with the card when nothing can be verified
    (
        "declaration, terminal down",
        date(2026, 11, 23),
        MANDATED,
        pat(K.EMPLOYEE),
        R.TERMINAL_DOWN,
        [D.SELF_DECLARATION_FORM, D.MYNA_CARD],
        True,
        "FAIL-03",
    ),
    (
        "declaration needs the card (G-02)",
        date(2026, 11, 23),
        MANDATED,
        pat(K.EMPLOYEE),
        R.NO_CARD,
        [D.SELF_DECLARATION_FORM, D.MYNA_CARD],
        False,
        None,
    ),
    # FAIL-09: paper 医療券/調剤券 for 医療扶助
    (
        "welfare ticket, no welfare OQS",
        date(2026, 11, 23),
        MANDATED,
        pat(K.WELFARE),
        None,
        [D.MEDICAL_TICKET],
        True,
        "FAIL-09",
    ),
    (
        "welfare ticket at a pharmacy",
        date(2026, 11, 23),
        facility(FacilityKind.PHARMACY, OqsMode.MANDATED, Flow.FACE_READER),
        pat(K.WELFARE),
        None,
        [D.DISPENSING_TICKET],
        True,
        "FAIL-09",
    ),
    (
        "no 医療券 at a pharmacy",
        date(2026, 11, 23),
        facility(FacilityKind.PHARMACY, OqsMode.MANDATED, Flow.FACE_READER),
        pat(K.WELFARE),
        None,
        [D.MEDICAL_TICKET],
        False,
        None,
    ),
    (
        "welfare OQS: online first",
        date(2026, 11, 23),
        clinic(Flow.FACE_READER, Flow.WELFARE),
        pat(K.WELFARE),
        None,
        [D.MEDICAL_TICKET],
        False,
        None,
    ),
    (
        "welfare OQS: 未委託 -> paper",
        date(2026, 11, 23),
        clinic(Flow.FACE_READER, Flow.WELFARE),
        pat(K.WELFARE),
        R.NOT_DESIGNATED_WELFARE,
        [D.MEDICAL_TICKET],
        True,
        "FAIL-09",
    ),
    (
        "welfare start",
        date(2024, 12, 2),
        MANDATED,
        pat(K.WELFARE),
        None,
        [D.MEDICAL_TICKET],
        True,
        "MA-06",
    ),
]


def accepted(engine: PolicyEngine, on, fac, patient, reason, docs):
    return engine.accepted_documents(on, fac, patient, reason).accepting(docs)


@pytest.mark.parametrize(
    ("on", "fac", "patient", "reason", "docs", "ok", "rule"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_notice_cases(engine: PolicyEngine, on, fac, patient, reason, docs, ok, rule) -> None:
    option = accepted(engine, on, fac, patient, reason, docs)
    assert (option is not None) == ok
    if ok:
        assert rule in option.rules
        assert option.sources and all(s in engine.rb.sources for s in option.sources)


def test_pairs_flip_on_consecutive_days() -> None:
    """The table really holds 'accepted on D, refused on D+1' pairs for the named boundaries."""
    boundaries = {(c[1], c[6]) for c in CASES}
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
