"""Subsidy caps: rate × cost cap, 千円未満切捨て, checked against every printed figure."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from policies import FacilityKind as F
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


def test_programs_open_on_a_date(rulebook) -> None:
    ids = {q.program.id for q in quotes_for(rulebook, F.CLINIC, on=date(2025, 9, 30))}
    assert "welfare-oqs-2025" in ids and "home-visit-2025" in ids
    assert "welfare-oqs-2025" not in {
        q.program.id for q in quotes_for(rulebook, F.CLINIC, on=date(2025, 10, 1))
    }
    assert not quotes_for(
        rulebook, F.CLINIC, on=date(2026, 1, 16)
    )  # nothing announced for FY2026 (G-11)
    assert all(q.program.for_facilities for q in quotes_for(rulebook, F.HOSPITAL))


def test_evidence_is_listed(rulebook) -> None:
    program, _ = tier(rulebook, "pmh-receipt-2025", F.PHARMACY)
    assert program.evidence == (
        "領収書",
        "領収書内訳書",
        "システム改修に係るチェックシート（ベンダーが記入）",
    )
    assert program.window.end == date(2026, 1, 15)
