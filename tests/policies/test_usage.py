"""マイナ保険証利用率 vs the thresholds of the billing period (rules-helper research USE-xx)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from policies import FacilityKind as F
from policies.usage import UsageVerdict as V
from policies.usage import evaluate_billing_month, evaluate_rate_month, thresholds_for


def verdicts(ev) -> dict[str, V]:
    return {f"{t.threshold.addition}:{t.threshold.tier}": t.verdict for t in ev.tiers}


@pytest.mark.parametrize(
    ("billing", "tier1"),
    [
        (date(2024, 10, 1), 15),
        (date(2025, 1, 1), 30),
        (date(2025, 4, 1), 45),
        (date(2025, 9, 30), 45),
        (date(2025, 10, 1), 60),
        (date(2026, 2, 28), 60),
        (date(2026, 3, 1), 70),
        (date(2026, 5, 31), 70),
    ],
)
def test_tier1_threshold_by_period(rulebook, billing: date, tier1: int) -> None:
    rows = [u for u in thresholds_for(rulebook, billing, F.CLINIC) if u.tier in ("1", "1・4")]
    assert [u.min_percent for u in rows] == [tier1]


def test_no_requirement_before_october_2024(rulebook) -> None:
    ev = evaluate_billing_month(rulebook, date(2024, 7, 1), F.CLINIC, {})
    assert {t.verdict for t in ev.tiers} == {V.NO_REQUIREMENT}


def test_best_of_three_to_five_months_before(rulebook) -> None:
    rates = {date(2025, 5, 1): 58, date(2025, 6, 1): 61, date(2025, 7, 1): 40, date(2025, 8, 1): 99}
    ev = evaluate_billing_month(rulebook, date(2025, 10, 1), F.CLINIC, rates)
    assert ev.rate_percent == 61 and ev.rate_month == date(2025, 6, 1)  # August does not count yet
    v = verdicts(ev)
    assert v["医療DX推進体制整備加算:1・4"] is V.MEETS
    assert v["医療DX推進体制整備加算:2・5"] is V.MEETS


def test_pediatric_special(rulebook) -> None:
    ev = evaluate_billing_month(
        rulebook, date(2026, 3, 1), F.CLINIC, {date(2025, 12, 1): Fraction(28)}
    )
    assert verdicts(ev)["医療DX推進体制整備加算:3・6"] is V.BELOW
    ped = evaluate_billing_month(
        rulebook, date(2026, 3, 1), F.CLINIC, {date(2025, 12, 1): 28}, pediatric_special=True
    )
    assert verdicts(ped)["医療DX推進体制整備加算:3・6"] is V.MEETS  # 27%


def test_rate_month_for_the_monthly_report(rulebook) -> None:
    """A July 2025 rate counts for October..December 2025 billing (the 60/40/25 period)."""
    out = evaluate_rate_month(rulebook, date(2025, 7, 15), 42.5, F.CLINIC)
    assert [e.billing_month for e in out] == [
        date(2025, 10, 1),
        date(2025, 11, 1),
        date(2025, 12, 1),
    ]
    for e in out:
        v = verdicts(e)
        assert (v["医療DX推進体制整備加算:1・4"], v["医療DX推進体制整備加算:2・5"]) == (
            V.BELOW,
            V.MEETS,
        )


def test_after_the_2026_revision(rulebook) -> None:
    ev = evaluate_billing_month(rulebook, date(2026, 6, 1), F.HOSPITAL, {date(2026, 3, 1): 31})
    v = verdicts(ev)
    assert v == {f"電子的診療情報連携体制整備加算:{t}": V.MEETS for t in "123"}
    assert all(t.threshold.confidence.value == "single_source" for t in ev.tiers)


def test_unsourced_pharmacy_thresholds_give_no_verdict(rulebook) -> None:
    ev = evaluate_billing_month(rulebook, date(2025, 4, 1), F.PHARMACY, {date(2025, 1, 1): 50})
    v = verdicts(ev)
    assert v["医療DX推進体制整備加算:1"] is V.MEETS  # single source (DGS-2869)
    assert v["医療DX推進体制整備加算:3"] is V.UNVERIFIED  # not found: never a verdict
    later = evaluate_billing_month(
        rulebook, date(2025, 10, 1), F.LARGE_CHAIN_PHARMACY, {date(2025, 7, 1): 90}
    )
    assert {t.verdict for t in later.tiers} == {V.UNVERIFIED}


def test_no_data_and_bad_rates(rulebook) -> None:
    ev = evaluate_billing_month(rulebook, date(2025, 4, 1), F.CLINIC, {date(2025, 3, 1): 80})
    assert V.NO_DATA in {t.verdict for t in ev.tiers}
    with pytest.raises(ValueError, match="percentage"):
        evaluate_billing_month(rulebook, date(2025, 4, 1), F.CLINIC, {date(2025, 1, 1): 101})
