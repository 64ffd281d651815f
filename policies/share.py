"""The patient's share (負担割合) staff should expect, and where that figure comes from.

The terminal sends a ratio only for some people: 一部負担金割合 for 後期高齢者
(InsuredPartialContributionRatio) and the 高齢受給者 ratio for 70–74. For everyone else the share
follows from age (FAIL-03: 3割; 未就学 2割; 70歳以上 1–3割). A figure derived from age is shown as
such, never as if the terminal had said it. Pure: the date is passed in, the ages come from the
rule book's ``self_declaration_burden`` table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from policies.dates import add_months, age_on, first_of_month, preschool
from policies.model import InsuranceKind
from policies.rulebook import SelfDeclarationBurden

#: 後期高齢者医療 from the 75th birthday (高齢者の医療の確保に関する法律 第50条); 65–74 with a
#: recognised disability are in it too, which only the insurer number (39…) tells.
LATE_ELDERLY_FROM_AGE = 75


class ShareBasis(StrEnum):
    TERMINAL = "terminal"  # 一部負担金割合 the terminal sent (後期高齢者)
    ELDERLY_CERTIFICATE = "elderly_certificate"  # 高齢受給者 ratio the terminal sent (70–74)
    PRESCHOOL = "preschool"  # 未就学: 2割 from the birth date
    AGE = "age"  # 3割 from the birth date
    ELDERLY_NOT_SENT = "elderly_not_sent"  # 70–74, no ratio sent: 2割, 3割 if 現役並み所得
    LATE_ELDERLY_NOT_SENT = "late_elderly_not_sent"  # 後期, no ratio sent: 1, 2 or 3割
    WELFARE = "welfare"  # 医療扶助: no share (本人支払額 on the 医療券 if any)
    UNKNOWN = "unknown"  # no birth date


@dataclass(frozen=True, slots=True)
class ShareEstimate:
    #: The share in 割 when one figure applies (None: a range or nothing).
    wari: int | None
    basis: ShareBasis
    #: (lowest, highest) in 割 when only a range is known.
    span: tuple[int, int] | None = None
    rules: tuple[str, ...] = ()

    @property
    def sent_by_terminal(self) -> bool:
        return self.basis in (ShareBasis.TERMINAL, ShareBasis.ELDERLY_CERTIFICATE)


def elderly_from(birth: date, age: int) -> date:
    """高齢受給者 from the first day of the month after turning ``age`` (legally the day before
    the birthday), so someone born on the 1st starts in the birthday's own month."""
    turns = add_months(birth, 12 * age)
    return first_of_month(turns) if turns.day == 1 else add_months(first_of_month(turns), 1)


def expected_share(
    burden: SelfDeclarationBurden,
    *,
    on: date,
    birth_date: date | None,
    insurance_kind: InsuranceKind = InsuranceKind.UNKNOWN,
    partial_ratio_wari: int | None = None,
    elderly_ratio_wari: int | None = None,
) -> ShareEstimate:
    """The share to expect on ``on``.

    ``partial_ratio_wari``: InsuredPartialContributionRatio as 割 (None: not sent);
    ``elderly_ratio_wari``: the 高齢受給者 ratio as 割 (None: not sent).
    """
    rules = burden.rules
    if insurance_kind is InsuranceKind.WELFARE:
        return ShareEstimate(0, ShareBasis.WELFARE, rules=rules)
    late = insurance_kind is InsuranceKind.LATE_ELDERLY or (
        birth_date is not None and age_on(birth_date, on) >= LATE_ELDERLY_FROM_AGE
    )
    if late:
        if partial_ratio_wari is not None:
            return ShareEstimate(partial_ratio_wari, ShareBasis.TERMINAL, rules=rules)
        return ShareEstimate(None, ShareBasis.LATE_ELDERLY_NOT_SENT, (1, 3), rules)
    if birth_date is not None and on >= elderly_from(birth_date, burden.elderly_from_age):
        if elderly_ratio_wari is not None:
            return ShareEstimate(elderly_ratio_wari, ShareBasis.ELDERLY_CERTIFICATE, rules=rules)
        if partial_ratio_wari is not None:
            return ShareEstimate(partial_ratio_wari, ShareBasis.TERMINAL, rules=rules)
        return ShareEstimate(None, ShareBasis.ELDERLY_NOT_SENT, (2, 3), rules)
    if partial_ratio_wari is not None:
        return ShareEstimate(partial_ratio_wari, ShareBasis.TERMINAL, rules=rules)
    if birth_date is None:
        return ShareEstimate(None, ShareBasis.UNKNOWN, rules=rules)
    if preschool(birth_date, on, burden.preschool_until_age):
        return ShareEstimate(burden.preschool_percent // 10, ShareBasis.PRESCHOOL, rules=rules)
    return ShareEstimate(burden.default_percent // 10, ShareBasis.AGE, rules=rules)
