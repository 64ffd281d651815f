"""PMH lookup: does this payer run this subsidy type on PMH on this date?

The seeds give per-type counts, not per-payer types, so most payers answer UNKNOWN: the desk then
asks for the paper 受給者証 (PMH-05). A stated type with a known start answers LIVE; anything the
data does not know answers NOT_LIVE. A start known only to the fiscal year stays UNKNOWN until
that year has ended, so the desk never skips the paper on a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from policies.dates import day_after, fiscal_year_end
from policies.model import PublicExpense, SubsidyType
from policies.rulebook import PmhGroup, PmhStatus, RuleBook


@dataclass(frozen=True, slots=True)
class PmhAnswer:
    status: PmhStatus
    groups: tuple[str, ...]  # ids of the groups that decided the answer
    rules: tuple[str, ...]
    sources: tuple[str, ...]


def _live_from(group: PmhGroup) -> date:
    if group.precision == "fiscal_year":
        return day_after(fiscal_year_end(group.window.start))
    return group.window.start  # "day", and "month" already written as the 1st


def pmh_status(
    rb: RuleBook, on: date, prefecture: str, municipality: str, subsidy_type: SubsidyType
) -> PmhAnswer:
    """Status for the payer (prefecture, municipality or "" for the prefecture itself)."""
    member = (prefecture, municipality)
    live: list[PmhGroup] = []
    unknown: list[PmhGroup] = []
    for g in rb.pmh_groups:
        if member not in g.members or not g.window.contains(on):
            continue
        if not g.types:
            unknown.append(g)
        elif subsidy_type in g.types:
            (live if on >= _live_from(g) else unknown).append(g)
    decided = live or unknown
    status = PmhStatus.LIVE if live else PmhStatus.UNKNOWN if unknown else PmhStatus.NOT_LIVE
    return PmhAnswer(
        status=status,
        groups=tuple(g.id for g in decided),
        rules=tuple(dict.fromkeys(r for g in decided for r in g.rules)) or ("PMH-05",),
        sources=tuple(dict.fromkeys(s for g in decided for s in g.sources)),
    )


def pmh_status_for(rb: RuleBook, on: date, expense: PublicExpense) -> PmhAnswer:
    return pmh_status(rb, on, expense.prefecture, expense.municipality, expense.subsidy_type)


def pmh_members(rb: RuleBook, on: date, level: str) -> set[tuple[str, str]]:
    """Payers of ``level`` ("prefecture"/"municipality") on PMH in any type on ``on``."""
    return {
        m for g in rb.pmh_groups if g.level == level and g.window.contains(on) for m in g.members
    }
