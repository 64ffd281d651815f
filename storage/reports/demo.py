"""Deterministic synthetic report inputs built in memory: for the renderers' own tests and the
render-only benchmark (the sample printouts come from a demo database: storage.demo_data).

Every patient here is invented; rows are flagged simulated unless asked otherwise, because a
printout of made-up data must never pass for a real day's log.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from policies.model import (
    DocumentKind,
    FailureReason,
    Outcome,
    VerificationPath,
)
from storage.demo_data import DEMO_PROFILE, FAMILY_NAMES, GIVEN_NAMES
from storage.reports.from_store import facility_of
from storage.reports.model import (
    JST,
    ChainHead,
    DailyLog,
    DayPathCount,
    Facility,
    GenerationInfo,
    MonthlyUsage,
    MonthTotal,
    PatientDisplay,
    SubsidySheet,
    UsageThreshold,
    VerificationRow,
)

P, R, D = VerificationPath, FailureReason, DocumentKind

_STAFF = ("受付 青木", "受付 石井", "事務 上田")

_Mix = tuple[VerificationPath, Outcome, FailureReason | None, tuple[DocumentKind, ...], int]
#: (path, outcome, reason, documents, weight): a plausible desk mix.
_MIX: tuple[_Mix, ...] = (
    (P.MYNA_FACE_READER, Outcome.CONFIRMED, None, (D.MYNA_CARD,), 40),
    (P.MYNA_FACE_READER_VISUAL, Outcome.CONFIRMED, R.FACE_AUTH_FAILED, (D.MYNA_CARD,), 4),
    (P.MYNA_GENERAL_READER_PIN, Outcome.CONFIRMED, None, (D.MYNA_CARD,), 6),
    (P.MYNA_GENERAL_READER_VISUAL, Outcome.CONFIRMED, R.PATIENT_CANNOT_OPERATE, (D.MYNA_CARD,), 2),
    (P.NUMBER_QUERY, Outcome.CONFIRMED, R.NO_CARD, (D.QUALIFICATION_CERTIFICATE,), 20),
    (P.NUMBER_QUERY, Outcome.CONFIRMED, R.CARD_UNREADABLE,
     (D.MYNA_CARD, D.MYNAPORTAL_SCREEN, D.ELDERLY_RECIPIENT_CERTIFICATE, D.LIMIT_CERTIFICATE), 3),
    (P.DOCUMENTS, Outcome.CONFIRMED, R.TERMINAL_DOWN, (D.QUALIFICATION_CERTIFICATE,), 5),
    (P.SELF_DECLARATION, Outcome.PROVISIONAL, R.NO_RECORD,
     (D.MYNA_CARD, D.SELF_DECLARATION_FORM), 2),
    (P.WELFARE_PAPER_TICKET, Outcome.CONFIRMED, R.NOT_DESIGNATED_WELFARE, (D.MEDICAL_TICKET,), 2),
    (P.SELF_PAY, Outcome.NOT_CONFIRMED, R.NO_CARD, (), 1),
    (P.MYNA_FACE_READER, Outcome.ABANDONED, None, (), 1),
)  # fmt: skip

DEMO_FACILITY = facility_of(DEMO_PROFILE)
DEMO_GENERATION = GenerationInfo(app_version="0.1.0")


def demo_daily_log(
    day: date = date(2026, 11, 20),
    rows: int = 40,
    *,
    seed: int = 7,
    simulated: bool = True,
    facility: Facility = DEMO_FACILITY,
) -> DailyLog:
    """A day of ``rows`` verifications between 08:30 and 18:30, in time order."""
    rng = random.Random(seed)  # noqa: S311 - reproducible fake data, not security
    start = datetime.combine(day, time(8, 30), JST)
    span = 10 * 3600
    out: list[VerificationRow] = []
    weights = [m[4] for m in _MIX]
    for i in range(rows):
        path, outcome, reason, docs, _ = rng.choices(_MIX, weights)[0]
        fam, fam_k = rng.choice(FAMILY_NAMES)
        giv, giv_k, _ = rng.choice(GIVEN_NAMES)
        birth = date(rng.randint(1930, 2024), rng.randint(1, 12), rng.randint(1, 28))
        at = start + timedelta(seconds=int(span * i / max(rows, 1)) + rng.randint(0, 30))
        out.append(
            VerificationRow(
                at=at,
                patient=PatientDisplay(
                    chart_no=f"{rng.randint(1, 99999):05d}",
                    name=f"{fam} {giv}",
                    kana=f"{fam_k} {giv_k}",
                    birth_date=birth,
                ),
                path=path,
                outcome=outcome,
                failure_reason=reason,
                documents=docs,
                staff=rng.choice(_STAFF),
                terminal_id=rng.choice(("受付1", "受付2")),
                simulated=simulated,
                record_id=f"v{i:06d}",
            )
        )
    end = datetime.combine(day, time(18, 45), JST)
    head = ChainHead(seq=100_000 + rows * 3, hash_hex=f"{rng.getrandbits(256):064x}", at=end)
    return DailyLog(
        DEMO_FACILITY if facility is None else facility, day, tuple(out), head, DEMO_GENERATION
    )


def demo_monthly_usage(year: int = 2026, month: int = 10, *, seed: int = 11) -> MonthlyUsage:
    """A month of day × path counts on weekdays, a year of history and two thresholds."""
    rng = random.Random(seed)  # noqa: S311 - reproducible fake data, not security
    counts: list[DayPathCount] = []
    day = date(year, month, 1)
    while day.month == month:
        if day.weekday() < 5:  # closed at weekends
            for path, outcome, _, _, weight in _MIX:
                if outcome is Outcome.ABANDONED:
                    continue
                n = rng.randint(0, weight)
                if n:
                    counts.append(DayPathCount(day, path, n))
        day += timedelta(days=1)
    history = []
    y, m = year, month
    for k in range(11):
        m -= 1
        if m == 0:
            y, m = y - 1, 12
        total = rng.randint(700, 900)
        history.append(MonthTotal(y, m, int(total * (0.62 - 0.02 * k)), total))
    return MonthlyUsage(
        facility=DEMO_FACILITY,
        year=year,
        month=month,
        day_counts=tuple(counts),
        thresholds=(
            UsageThreshold(
                "（例）加算の利用率基準A",
                "2026年10月〜2026年12月",
                Decimal("0.45"),
                "デモ用の値（実際の基準は施策データを参照）",
            ),
            UsageThreshold(
                "（例）加算の利用率基準B",
                "2026年10月〜2026年12月",
                Decimal("0.70"),
                "デモ用の値（実際の基準は施策データを参照）",
            ),
        ),
        history=tuple(history),
        simulated_count=sum(c.count for c in counts),
        as_of=date(year + (month == 12), month % 12 + 1, 1),
        generation=DEMO_GENERATION,
    )


def demo_subsidy_sheet(as_of: date = date(2025, 8, 1)) -> SubsidySheet:
    """The rule book's subsidy programs for the demo clinic, with two project costs entered."""
    from resources.policies import shipped_rulebook  # noqa: PLC0415 - rule data only when asked for
    from storage.reports.from_policies import subsidy_sheet  # noqa: PLC0415

    return subsidy_sheet(
        shipped_rulebook(),
        DEMO_FACILITY,
        as_of,
        {"welfare-oqs-2025": 80_000, "home-visit-2025": 120_000},
        generation=DEMO_GENERATION,
    )
