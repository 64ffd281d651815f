"""Subsidy calculator: caps from rate × cost cap with the notices' rounding, and the check of
every printed figure against that arithmetic.

Rounding: 千円未満切捨て (SEED003 補助額 "※千円未満切捨て"), applied to every program; all other
printed caps in SEED000/001 agree with it except SEED000's 23.8万円 for hospitals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from policies.model import FacilityKind, OqsMode
from policies.rulebook import PrintedFigure, RuleBook, SubsidyProgram, SubsidyTier


def floor_thousand(amount: Fraction | int) -> int:
    """Round down to the thousand yen (千円未満切捨て)."""
    return int(Fraction(amount) // 1000) * 1000


@dataclass(frozen=True, slots=True)
class SubsidyQuote:
    program: SubsidyProgram
    tier: SubsidyTier
    cap_yen: int  # computed cap (or the stated cap when no cost cap is printed)
    disagreements: tuple[PrintedFigure, ...]  # printed figures that differ from cap_yen
    payable_yen: int | None  # for a given cost, when one was passed
    cost_parts_ok: bool | None  # the printed cost breakdown adds up to the cost cap

    @property
    def open_until(self) -> date | None:
        return self.program.window.end


def tier_cap(tier: SubsidyTier) -> int:
    if tier.cost_cap_yen is not None:
        cap = floor_thousand(tier.rate * tier.cost_cap_yen)
        return min(cap, tier.subsidy_cap_yen) if tier.subsidy_cap_yen is not None else cap
    assert tier.subsidy_cap_yen is not None  # the loader requires one of the two
    return tier.subsidy_cap_yen


def quote(program: SubsidyProgram, tier: SubsidyTier, cost_yen: int | None = None) -> SubsidyQuote:
    """The cap for a tier, and what a project of ``cost_yen`` would receive."""
    cap = tier_cap(tier)
    payable = None
    if cost_yen is not None:
        if cost_yen < 0:
            raise ValueError("cost must not be negative")
        base = min(cost_yen, tier.cost_cap_yen) if tier.cost_cap_yen is not None else cost_yen
        payable = min(floor_thousand(tier.rate * base), cap)
    parts_ok = None
    if tier.cost_parts and tier.cost_cap_yen is not None:
        parts_ok = sum(v for _, v in tier.cost_parts) == tier.cost_cap_yen
    return SubsidyQuote(
        program=program,
        tier=tier,
        cap_yen=cap,
        disagreements=tuple(p for p in tier.printed if p.value_yen != cap),
        payable_yen=payable,
        cost_parts_ok=parts_ok,
    )


def quotes_for(
    rb: RuleBook,
    kind: FacilityKind,
    mode: OqsMode | None,
    on: date | None = None,
    cost_yen: int | None = None,
) -> list[SubsidyQuote]:
    """Quotes of every facility program tier open to ``kind`` with ``mode`` (and on ``on``).

    The mode is part of the eligibility: the 資格確認限定型 grant is only for facilities not
    obliged to run OQS (SEED001 別添4), so a fully equipped clinic is never quoted it; with the
    mode unknown (None) programs that name modes are left out rather than guessed.
    """
    out: list[SubsidyQuote] = []
    for program in rb.programs:
        if not program.for_facilities or (on is not None and not program.window.contains(on)):
            continue
        out.extend(
            quote(program, t, cost_yen) for t in program.tiers if program.open_to(t, kind, mode)
        )
    return out


def all_disagreements(rb: RuleBook) -> list[tuple[SubsidyProgram, SubsidyTier, PrintedFigure, int]]:
    """Printed figures that differ from the computed cap: (program, tier, figure, computed)."""
    out = []
    for program in rb.programs:
        for tier in program.tiers:
            q = quote(program, tier)
            out.extend((program, tier, p, q.cap_yen) for p in q.disagreements)
    return out
