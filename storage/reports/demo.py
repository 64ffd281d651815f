"""Deterministic synthetic report inputs: for tests, the benchmark and sample printouts.

Every patient here is invented; rows are flagged simulated unless asked otherwise, because a
sample printout must never pass for a real day's log.
"""

from __future__ import annotations

import random
import sys
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from policies.model import (
    DocumentKind,
    FacilityKind,
    FailureReason,
    OqsMode,
    Outcome,
    VerificationPath,
)
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
    SubsidyProgram,
    SubsidySheet,
    UsageThreshold,
    VerificationRow,
)

P, R, D = VerificationPath, FailureReason, DocumentKind

_FAMILY = (
    ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"),
    ("伊藤", "イトウ"), ("渡辺", "ワタナベ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"),
    ("小林", "コバヤシ"), ("加藤", "カトウ"), ("長谷川", "ハセガワ"), ("勅使河原", "テシガワラ"),
)  # fmt: skip
_GIVEN = (
    ("太郎", "タロウ"), ("花子", "ハナコ"), ("翔太", "ショウタ"), ("陽菜", "ヒナ"),
    ("健一", "ケンイチ"), ("美咲", "ミサキ"), ("大和", "ヤマト"), ("結衣", "ユイ"),
    ("左衛門三郎", "サエモンサブロウ"), ("さくら", "サクラ"),
)  # fmt: skip
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

DEMO_FACILITY = Facility(
    name="医療法人 窓口会 まどぐちクリニック（デモ）",
    medical_institution_code="1312345678",
    kind=FacilityKind.CLINIC,
    mode=OqsMode.MANDATED,
)
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
        fam, fam_k = rng.choice(_FAMILY)
        giv, giv_k = rng.choice(_GIVEN)
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
    """The SEED000/001/003 programs for a clinic (figures from research §8, SUB-01..03)."""
    clinic = (FacilityKind.CLINIC,)
    receipts = ("領収書", "領収書内訳書（必要な場合）")
    return SubsidySheet(
        facility=DEMO_FACILITY,
        as_of=as_of,
        programs=(
            SubsidyProgram(
                "医療扶助のオンライン資格確認導入に係る医療機関等助成事業",
                (*clinic, FacilityKind.PHARMACY),
                Fraction(3, 4),
                73_000,
                54_000,
                date(2025, 9, 30),
                receipts,
                "SEED000 日医発第382号（2025-06-03）; SEED002",
                True,
                entered_cost=80_000,
            ),
            SubsidyProgram(
                "医療扶助のオンライン資格確認導入に係る医療機関等助成事業",
                (FacilityKind.HOSPITAL,),
                Fraction(1, 2),
                566_000,
                283_000,
                date(2025, 9, 30),
                receipts,
                "SEED000 日医発第382号（2025-06-03）",
                False,
            ),
            SubsidyProgram(
                "オンライン資格確認の導入（居宅同意取得型・訪問診療等）",
                (*clinic, FacilityKind.PHARMACY),
                Fraction(3, 4),
                171_000,
                128_000,
                date(2026, 1, 15),
                receipts,
                "SEED001 事務連絡 2025-05-12 別添1",
                True,
                entered_cost=120_000,
            ),
            SubsidyProgram(
                "医療費助成（PMH）・マイナ診察券 レセコン改修助成（令和7年度）",
                clinic,
                Fraction(3, 4),
                73_000,
                54_000,
                date(2026, 1, 15),
                ("領収書", "領収書内訳書", "システム改修に係るチェックシート（ベンダー記入）"),
                "SEED003 事務連絡 2025-05-22",
                True,
                note="予算の範囲内で先着順",
            ),
        ),
        generation=DEMO_GENERATION,
    )


def write_samples(out_dir: Path) -> list[Path]:
    """Write every printout of the demo data into ``out_dir`` (docs/samples, test artefacts)."""
    from storage.reports.csvout import (  # noqa: PLC0415 - keep `import demo` light for tests
        write_daily_csv,
        write_monthly_csv,
        write_subsidy_csv,
        write_threshold_csv,
        write_usage_trend_csv,
    )
    from storage.reports.daily import render_daily_log  # noqa: PLC0415
    from storage.reports.monthly import render_monthly_report  # noqa: PLC0415
    from storage.reports.subsidy import render_subsidy_sheet  # noqa: PLC0415

    out_dir.mkdir(parents=True, exist_ok=True)
    day, month, sheet = (
        demo_daily_log(),
        demo_monthly_usage(),
        demo_subsidy_sheet(date(2025, 12, 1)),
    )
    jobs = (
        ("daily_log_sample.pdf", lambda p: render_daily_log(day, p)),
        ("daily_log_sample.csv", lambda p: write_daily_csv(day, p)),
        ("monthly_usage_sample.pdf", lambda p: render_monthly_report(month, p)),
        ("monthly_usage_sample.csv", lambda p: write_monthly_csv(month, p)),
        ("usage_trend_sample.csv", lambda p: write_usage_trend_csv(month, p)),
        ("usage_thresholds_sample.csv", lambda p: write_threshold_csv(month, p)),
        ("subsidy_sheet_sample.pdf", lambda p: render_subsidy_sheet(sheet, p)),
        ("subsidy_sheet_sample.csv", lambda p: write_subsidy_csv(sheet, p)),
    )
    written = []
    for name, job in jobs:
        job(out_dir / name)
        written.append(out_dir / name)
    return written


if __name__ == "__main__":
    # python -m storage.reports.demo OUTDIR: sample printouts from the demo data.
    for path in write_samples(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/samples")):
        print(path)
