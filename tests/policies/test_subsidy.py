"""Subsidy caps: rate × cost cap, 千円未満切捨て, checked against every printed figure."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from policies import FacilityKind as F
from policies import OqsMode as M
from policies.subsidy import all_disagreements, floor_thousand, quote, quotes_for


def tier(rulebook, program_id: str, kind: F, variant: str = ""):
    program = next(p for p in rulebook.programs if p.id == program_id)
    return program, next(t for t in program.tiers if kind in t.facilities and t.variant == variant)


def test_rounding() -> None:
    assert floor_thousand(Fraction(54750)) == 54000
    assert floor_thousand(36500) == 36000
    assert floor_thousand(Fraction(999)) == 0


@pytest.mark.parametrize(
    ("program", "kind", "cap"),
    [
        ("welfare-oqs-2025", F.HOSPITAL, 283000),
        ("welfare-oqs-2025", F.LARGE_CHAIN_PHARMACY, 36000),
        ("welfare-oqs-2025", F.CLINIC, 54000),
        ("home-visit-2025", F.HOSPITAL, 411000),
        ("home-visit-2025", F.LARGE_CHAIN_PHARMACY, 85000),
        ("home-visit-2025", F.PHARMACY, 128000),
        ("online-consultation-2025", F.HOSPITAL, 390000),
        ("online-consultation-2025", F.CLINIC, 97000),
        ("unusual-route-2025", F.CLINIC, 128000),
        ("equipment-failure-2025", F.CLINIC, 128000),
        ("limited-type-2025", F.CLINIC, 31000),
        ("pmh-receipt-2025", F.PHARMACY, 54000),
        ("pmh-receipt-2025", F.LARGE_CHAIN_PHARMACY, 36000),
        ("pmh-receipt-2025", F.HOSPITAL, 283000),
    ],
)
def test_computed_caps(rulebook, program: str, kind: F, cap: int) -> None:
    assert quote(*tier(rulebook, program, kind)).cap_yen == cap


def test_the_hospital_figure_of_seed_000_is_flagged(rulebook) -> None:
    flagged = all_disagreements(rulebook)
    assert len(flagged) == 1
    program, _, figure, computed = flagged[0]
    assert (program.id, figure.value_yen, computed, figure.source) == (
        "welfare-oqs-2025",
        238000,
        283000,
        "SEED000",
    )


def test_cost_parts_add_up(rulebook) -> None:
    for program in rulebook.programs:
        for t in program.tiers:
            q = quote(program, t)
            assert q.cost_parts_ok in (None, True), (program.id, t)


def test_payable_for_a_project(rulebook) -> None:
    program, t = tier(rulebook, "home-visit-2025", F.CLINIC)
    assert quote(program, t, cost_yen=100000).payable_yen == 75000
    assert (
        quote(program, t, cost_yen=171001).payable_yen == 128000
    )  # cost capped, then 3/4, floored
    program, t = tier(rulebook, "limited-type-2025", F.CLINIC)
    assert quote(program, t, cost_yen=30000).payable_yen == 22000  # 22,500 floored
    assert quote(program, t, cost_yen=50000).payable_yen == 31000  # stated cap
    with pytest.raises(ValueError, match="negative"):
        quote(program, t, cost_yen=-1)


def open_ids(rulebook, on: date, kind: F = F.CLINIC, mode: M | None = M.MANDATED) -> set[str]:
    return {q.program.id for q in quotes_for(rulebook, kind, mode, on=on)}


def test_programs_open_on_a_date(rulebook) -> None:
    ids = open_ids(rulebook, date(2025, 9, 30))
    assert "welfare-oqs-2025" in ids and "home-visit-2025" in ids
    assert "welfare-oqs-2025" not in open_ids(rulebook, date(2025, 10, 1))
    assert not open_ids(rulebook, date(2026, 1, 16))  # nothing announced for FY2026 (G-11)
    assert all(q.program.for_facilities for q in quotes_for(rulebook, F.HOSPITAL, M.MANDATED))


@pytest.mark.parametrize(
    ("on", "unusual_route", "equipment_failure"),
    [
        (date(2025, 5, 11), False, False),  # before the 事務連絡 of 2025-05-12
        (date(2025, 5, 12), True, False),  # 通常とは異なる動線: continued from 令和6年度
        (date(2025, 6, 30), True, False),
        (date(2025, 7, 1), True, True),  # 機器故障時等: 「令和7年7月頃」
        (date(2026, 1, 15), True, True),  # the common deadline
        (date(2026, 1, 16), False, False),
    ],
    ids=str,
)
def test_the_two_outpatient_parts_open_separately(
    rulebook, on: date, unusual_route: bool, equipment_failure: bool
) -> None:
    ids = open_ids(rulebook, on)
    assert ("unusual-route-2025" in ids, "equipment-failure-2025" in ids) == (
        unusual_route,
        equipment_failure,
    )


def test_the_outpatient_parts_share_the_amounts_of_attachment_3(rulebook) -> None:
    for kind, cap in ((F.HOSPITAL, 411000), (F.LARGE_CHAIN_PHARMACY, 85000), (F.CLINIC, 128000)):
        for pid in ("unusual-route-2025", "equipment-failure-2025"):
            assert quote(*tier(rulebook, pid, kind)).cap_yen == cap


@pytest.mark.parametrize(
    ("mode", "quoted"),
    [(M.MANDATED, False), (M.LIMITED, True), (M.NONE, True), (None, False)],
    ids=str,
)
def test_the_limited_type_grant_needs_a_facility_not_obliged_to_run_oqs(
    rulebook, mode: M | None, quoted: bool
) -> None:
    """SEED001 別添4: 義務化対象外施設 only; an unknown mode is not guessed."""
    assert ("limited-type-2025" in open_ids(rulebook, date(2025, 9, 1), mode=mode)) is quoted
    # the other grants do not depend on the mode
    assert "home-visit-2025" in open_ids(rulebook, date(2025, 9, 1), mode=mode)


@pytest.mark.parametrize(
    ("on", "quoted"),
    [
        (date(2025, 5, 11), False),
        (date(2025, 5, 12), True),
        (date(2026, 1, 15), True),
        (date(2026, 1, 16), False),
    ],
    ids=str,
)
def test_the_limited_type_window_for_an_exempt_facility(rulebook, on: date, quoted: bool) -> None:
    for kind in F:
        assert ("limited-type-2025" in open_ids(rulebook, on, kind, M.LIMITED)) is quoted
        assert "limited-type-2025" not in open_ids(rulebook, on, kind, M.MANDATED)


def test_large_chain_pharmacy_is_defined_in_the_data(rulebook) -> None:
    large = rulebook.facility_classes[F.LARGE_CHAIN_PHARMACY]
    assert large.min_group_prescriptions_per_month == 40_000
    assert "月4万回以上" in large.definition and large.sources == ("SEED000",)


def test_what_the_welfare_grant_pays_for(rulebook) -> None:
    program, _ = tier(rulebook, "welfare-oqs-2025", F.CLINIC)
    items = [(c.item, c.source) for c in program.covers]
    assert any("パッケージソフト適用" in i and s == "SEED000" for i, s in items)
    assert any(i.startswith("運用準備") for i, _ in items)
    assert all(p.covers for p in rulebook.programs if p.for_facilities)


def test_the_misprinted_hospital_figure_is_cited_where_it_is(rulebook) -> None:
    _, t = tier(rulebook, "welfare-oqs-2025", F.HOSPITAL)
    (figure,) = [p for p in t.printed if p.value_yen == 238000]
    assert figure.where.startswith("事務連絡 2.①") and "日医" not in figure.where
    (entry,) = [i for i in rulebook.inconsistencies if i.id == "welfare-hospital-cap"]
    assert entry.where.startswith("SEED000 事務連絡 2.①")


def test_evidence_is_listed(rulebook) -> None:
    program, _ = tier(rulebook, "pmh-receipt-2025", F.PHARMACY)
    assert program.evidence == (
        "領収書",
        "領収書内訳書",
        "システム改修に係るチェックシート（ベンダーが記入）",
    )
    assert program.window.end == date(2026, 1, 15)
