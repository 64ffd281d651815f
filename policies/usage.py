"""マイナ保険証利用率 against the fee-addition thresholds of the billing period.

A threshold of the billing month B is met by the best レセプト件数ベース rate among the months
``B - k`` for k in its ``reference_months`` (e.g. 3, 4, 5 months before). Thresholds whose
confidence is GUESS are reported as UNVERIFIED and never produce a verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction

from policies.dates import add_months, first_of_month
from policies.model import FacilityKind
from policies.rulebook import Confidence, RuleBook, UsageThreshold


class UsageVerdict(StrEnum):
    MEETS = "meets"
    BELOW = "below"
    NO_REQUIREMENT = "no_requirement"  # the addition has no usage-rate condition in that period
    UNVERIFIED = "unverified"  # the threshold is not sourced: no verdict
    NO_DATA = "no_data"  # no rate for any counted month


@dataclass(frozen=True, slots=True)
class TierResult:
    threshold: UsageThreshold
    verdict: UsageVerdict
    required_percent: Fraction | None


@dataclass(frozen=True, slots=True)
class UsageEvaluation:
    billing_month: date
    scope: str
    rate_percent: Fraction | None  # the rate used (best counted month)
    rate_month: date | None
    tiers: tuple[TierResult, ...]

    def met(self) -> tuple[TierResult, ...]:
        return tuple(t for t in self.tiers if t.verdict is UsageVerdict.MEETS)


def scope_of(kind: FacilityKind) -> str:
    """医科・歯科 thresholds for hospitals/clinics, 調剤 for pharmacies."""
    return (
        "pharmacy"
        if kind in (FacilityKind.PHARMACY, FacilityKind.LARGE_CHAIN_PHARMACY)
        else "medical"
    )


def _percent(value: Fraction | float | int) -> Fraction:
    rate = value if isinstance(value, Fraction) else Fraction(str(value))
    if not 0 <= rate <= 100:
        raise ValueError(f"a usage rate is a percentage 0..100, got {value}")
    return rate


def thresholds_for(rb: RuleBook, billing_month: date, kind: FacilityKind) -> list[UsageThreshold]:
    scope = scope_of(kind)
    month = first_of_month(billing_month)
    return [u for u in rb.usage if u.scope == scope and u.window.contains(month)]


def _judge(u: UsageThreshold, rate: Fraction | None, pediatric: bool) -> TierResult:
    required = (
        u.pediatric_percent if pediatric and u.pediatric_percent is not None else u.min_percent
    )
    if u.min_percent is None:
        verdict = (
            UsageVerdict.UNVERIFIED
            if u.confidence is Confidence.GUESS
            else UsageVerdict.NO_REQUIREMENT
        )
    elif u.confidence is Confidence.GUESS:
        verdict = UsageVerdict.UNVERIFIED
    elif rate is None:
        verdict = UsageVerdict.NO_DATA
    else:
        verdict = UsageVerdict.MEETS if rate >= required else UsageVerdict.BELOW  # type: ignore[operator]
    return TierResult(u, verdict, required)


def evaluate_billing_month(
    rb: RuleBook,
    billing_month: date,
    kind: FacilityKind,
    rates: Mapping[date, Fraction | float | int],
    pediatric_special: bool = False,
) -> UsageEvaluation:
    """Which tiers the facility meets in ``billing_month`` given monthly rates (percent)."""
    month = first_of_month(billing_month)
    by_month = {first_of_month(m): _percent(r) for m, r in rates.items()}
    results = []
    best: tuple[Fraction, date] | None = None
    for u in thresholds_for(rb, month, kind):
        counted = [
            (by_month[m], m) for k in u.reference_months if (m := add_months(month, -k)) in by_month
        ]
        pick = max(counted) if counted else None
        if pick and (best is None or pick > best):
            best = pick
        results.append(_judge(u, pick[0] if pick else None, pediatric_special))
    return UsageEvaluation(
        billing_month=month,
        scope=scope_of(kind),
        rate_percent=best[0] if best else None,
        rate_month=best[1] if best else None,
        tiers=tuple(results),
    )


def evaluate_rate_month(
    rb: RuleBook,
    rate_month: date,
    rate: Fraction | float | int,
    kind: FacilityKind,
    pediatric_special: bool = False,
) -> list[UsageEvaluation]:
    """Monthly report: the tiers this month's rate reaches in each billing month it counts for."""
    month = first_of_month(rate_month)
    offsets = sorted({k for u in rb.usage for k in u.reference_months})
    out = []
    for k in offsets:
        billing = add_months(month, k)
        if any(k in u.reference_months for u in thresholds_for(rb, billing, kind)):
            out.append(evaluate_billing_month(rb, billing, kind, {month: rate}, pediatric_special))
    return out
