"""Every failure reason has a route at every facility profile (kind × mode × enabled flows)."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from policies import (
    FacilityKind,
    FacilityProfile,
    FailureReason,
    Flow,
    InsuranceKind,
    OqsMode,
    PatientContext,
    PolicyEngine,
    PublicExpense,
    SubsidyType,
)

ALL_FLOW_SETS = [
    frozenset(c) for n in range(len(Flow) + 1) for c in itertools.combinations(list(Flow), n)
]
PROFILES = [
    FacilityProfile(kind, mode, flows)
    for kind in FacilityKind
    for mode in OqsMode
    for flows in ALL_FLOW_SETS
]
TODAY = date(2026, 11, 23)


def has_route(
    engine: PolicyEngine,
    on: date,
    fac: FacilityProfile,
    patient: PatientContext,
    reason: FailureReason,
) -> bool:
    d = engine.decide_fallback(on, fac, patient, reason)
    if d.guide is None:
        return False
    if reason is FailureReason.PMH_NOT_AVAILABLE:
        return all(a.paper is not None for a in d.acceptance.public_expense)
    return bool(d.options)


def test_profile_count() -> None:
    assert len(PROFILES) == 4 * 3 * 2 ** len(Flow)


@pytest.mark.parametrize("kind", [InsuranceKind.UNKNOWN, InsuranceKind.WELFARE], ids=str)
def test_every_reason_at_every_profile_has_a_route(
    engine: PolicyEngine, kind: InsuranceKind
) -> None:
    patient = PatientContext(
        kind, public_expenses=(PublicExpense(SubsidyType.CHILD, "東京都", "八王子市"),)
    )
    missing = [
        (fac, reason)
        for fac in PROFILES
        for reason in FailureReason
        if not has_route(engine, TODAY, fac, patient, reason)
    ]
    assert missing == []


@pytest.mark.parametrize(
    "on",
    [date(2024, 12, 2), date(2025, 8, 1), date(2025, 12, 2), date(2026, 4, 1), date(2026, 8, 1)],
    ids=str,
)
def test_routes_on_boundary_dates(engine: PolicyEngine, on: date) -> None:
    for kind, mode, flows, insurance, reason in itertools.product(
        FacilityKind, OqsMode, (frozenset(), frozenset(Flow)), InsuranceKind, FailureReason
    ):
        patient = PatientContext(
            insurance, public_expenses=(PublicExpense(SubsidyType.CHILD, "静岡県", "湖西市"),)
        )
        assert has_route(engine, on, FacilityProfile(kind, mode, flows), patient, reason), (
            kind,
            mode,
            flows,
            insurance,
            reason,
        )


def test_primary_route_exists_everywhere(engine: PolicyEngine) -> None:
    for fac, insurance in itertools.product(PROFILES[::7], InsuranceKind):
        assert engine.accepted_documents(TODAY, fac, PatientContext(insurance)).options


def test_fallback_order_follows_fail_02(engine: PolicyEngine) -> None:
    """portal screen/PDF + card, お知らせ + card, 再診 oral confirmation, 申立書 + card, 10割."""
    fac = FacilityProfile(FacilityKind.CLINIC, OqsMode.MANDATED, frozenset({Flow.FACE_READER}))
    d = engine.decide_fallback(
        TODAY,
        fac,
        PatientContext(InsuranceKind.EMPLOYEE, revisit=True),
        FailureReason.TERMINAL_DOWN,
    )
    ids = [o.id for o in d.options]
    order = [
        "myna_card_portal_screen",
        "myna_card_notice",
        "revisit_oral_confirmation",
        "self_declaration_form",
        "self_pay",
    ]
    assert [i for i in ids if i in order] == order
    assert d.guide.rules[0] == "FAIL-01"
