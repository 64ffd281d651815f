"""The My Number card usage rate as Madoguchi's printouts define it (stated on every page).

Rate = verifications whose path used the マイナ保険証 online ÷ all recorded verifications, with
ABANDONED (patient left before a path was recorded) excluded from both. The paths counted are
those where the patient's card (or smartphone マイナ保険証) was read and checked online at that
visit. 居宅同意取得型 再照会 is not counted: no card is presented at that visit. This is a desk
figure for the clinic's own tracking; official rates for fee additions are counted by the
authorities from claims and may differ.

:data:`MYNA_CARD_PATHS` is the one definition in the code base: the adapters that hand desk
rates to :mod:`policies.usage` count with it too. (The rule data agrees: they are exactly the
paths of the options whose action is "online"; a test keeps the two in step.)
"""

from __future__ import annotations

from calendar import monthrange
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Final

from policies.model import Outcome, VerificationPath
from storage.reports.model import MonthlyUsage, MonthTotal, UsageThreshold, VerificationRow

P = VerificationPath

MYNA_CARD_PATHS: Final[frozenset[VerificationPath]] = frozenset(
    {
        P.MYNA_FACE_READER,
        P.MYNA_FACE_READER_VISUAL,
        P.MYNA_GENERAL_READER_PIN,
        P.MYNA_GENERAL_READER_VISUAL,
        P.LIMITED_APP,
        P.HOME_VISIT_FIRST,
        P.ONLINE_CONSULTATION,
        P.MOBILE_DEVICE,
        P.MYNA_SMARTPHONE,
    }
)

#: The definition printed in footers, in Japanese.
RATE_DEFINITION: Final[str] = (
    "マイナ保険証利用率＝マイナ保険証でオンライン資格確認した件数"
    "（顔認証・汎用リーダー・スマホ・限定型アプリ・居宅初回・オンライン診療・モバイル端末）"
    "÷記録された全確認件数（いずれも「中止」を除く。居宅再照会は分子に含めない）。"
    "窓口記録に基づく参考値であり、公的な利用率とは算出方法が異なる場合があります。"
)


@dataclass(frozen=True, slots=True)
class UsageRate:
    myna: int
    total: int

    @property
    def ratio(self) -> Fraction | None:
        return Fraction(self.myna, self.total) if self.total else None

    def percent_text(self) -> str:
        """ "60.0%" (one decimal, half-up), or "—" when there is nothing to divide."""
        return format_percent(self.ratio)


def format_percent(ratio: Fraction | Decimal | None) -> str:
    """ "45.0%" from a 0..1 ratio, one decimal rounded half-up; "—" for None."""
    if ratio is None:
        return "—"
    tenths = (Fraction(ratio) * 1000 + Fraction(1, 2)).__floor__()
    return f"{tenths // 10}.{tenths % 10}%"


def counts_toward_rate(row: VerificationRow) -> bool:
    return row.outcome is not Outcome.ABANDONED


def daily_rate(rows: Iterable[VerificationRow]) -> UsageRate:
    counted = [r for r in rows if counts_toward_rate(r)]
    return UsageRate(sum(r.path in MYNA_CARD_PATHS for r in counted), len(counted))


# --- monthly figures, shared by the PDF and the CSV ------------------------------------------


class Verdict(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    NO_DATA = "no_data"
    UNVERIFIED = "unverified"


VERDICT_LABELS: Final[dict[Verdict, str]] = {
    Verdict.MET: "達成",
    Verdict.NOT_MET: "未達",
    Verdict.NO_DATA: "判定不可（記録なし）",
    Verdict.UNVERIFIED: "判定しない（基準未確認）",
}


@dataclass(frozen=True, slots=True)
class ThresholdResult:
    threshold: UsageThreshold
    verdict: Verdict


@dataclass(frozen=True, slots=True)
class MonthFigures:
    """Per-day × per-path counts of the report month, its rate, the trend and the verdicts."""

    days: tuple[date, ...]
    by_day: dict[date, Counter[VerificationPath]]
    by_path: Counter[VerificationPath]
    rate: UsageRate
    trend: tuple[MonthTotal, ...]
    verdicts: tuple[ThresholdResult, ...]

    @property
    def active_paths(self) -> tuple[VerificationPath, ...]:
        """Paths with at least one verification this month, in vocabulary order."""
        return tuple(p for p in VerificationPath if self.by_path[p])

    @classmethod
    def of(cls, data: MonthlyUsage) -> MonthFigures:
        first = date(data.year, data.month, 1)
        last = monthrange(data.year, data.month)[1]
        days = tuple(first + timedelta(days=i) for i in range(last))
        by_day: dict[date, Counter[VerificationPath]] = {d: Counter() for d in days}
        for c in data.day_counts:
            by_day[c.day][c.path] += c.count  # duplicates add up
        by_path: Counter[VerificationPath] = Counter()
        for counter in by_day.values():
            by_path.update(counter)
        total = sum(by_path.values())
        myna = sum(n for p, n in by_path.items() if p in MYNA_CARD_PATHS)
        rate = UsageRate(myna, total)
        current = MonthTotal(data.year, data.month, myna, total)
        verdicts = tuple(ThresholdResult(t, _verdict(rate.ratio, t)) for t in data.thresholds)
        return cls(days, by_day, by_path, rate, (*data.history, current), verdicts)


def _verdict(ratio: Fraction | None, threshold: UsageThreshold) -> Verdict:
    """Unsourced thresholds are never judged (as in :mod:`policies.usage`)."""
    if threshold.unverified or threshold.required_rate is None:
        return Verdict.UNVERIFIED
    if ratio is None:
        return Verdict.NO_DATA
    return Verdict.MET if ratio >= Fraction(threshold.required_rate) else Verdict.NOT_MET


def day_rate(counter: Counter[VerificationPath]) -> UsageRate:
    total = sum(counter.values())
    return UsageRate(sum(n for p, n in counter.items() if p in MYNA_CARD_PATHS), total)
