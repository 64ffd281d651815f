"""CSV exports for Excel and for machines: UTF-8 with BOM, CRLF, fixed column order.

Each file has one header row of Japanese column names; coded columns (``…コード``) carry the
stable :mod:`policies.model` values next to their Japanese labels, so a spreadsheet user and a
script read the same file. Text taken from the data is neutralised against spreadsheet formula
injection (a patient name such as ``=HYPERLINK(…)`` is written as ``'=HYPERLINK(…)``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction

from policies.model import VerificationPath
from storage.reports.labels import label
from storage.reports.masking import clean, masked_birth, masked_kana, masked_name
from storage.reports.model import (
    JST,
    DailyLog,
    MonthlyUsage,
    PatientMasking,
    SubsidyProgram,
    SubsidySheet,
)
from storage.reports.pdfkit import UNVERIFIED_BANNER, OutputTarget, write_output
from storage.reports.usage import (
    MYNA_CARD_PATHS,
    VERDICT_LABELS,
    MonthFigures,
    counts_toward_rate,
    format_percent,
)

DAILY_COLUMNS: tuple[str, ...] = (
    "日付",
    "時刻",
    "日時",
    "記録ID",
    "カルテ番号",
    "氏名",
    "カナ",
    "生年月日",
    "確認方法",
    "確認方法コード",
    "結果",
    "結果コード",
    "理由",
    "理由コード",
    "確認書類",
    "確認書類コード",
    "担当",
    "端末",
    "模擬",
    "利用率の分子",
    "利用率の分母",
    "未対応の項目数",
    "未対応の項目",
)
MONTHLY_COLUMNS: tuple[str, ...] = (
    "年月",
    "日付",
    "確認方法",
    "確認方法コード",
    "件数",
    "利用率の分子",
)
TREND_COLUMNS: tuple[str, ...] = ("年月", "マイナ保険証件数", "全件数", "利用率(%)")
THRESHOLD_COLUMNS: tuple[str, ...] = (
    "基準",
    "期間",
    "必要利用率(%)",
    "当月利用率(%)",
    "判定",
    "判定コード",
    "出典",
)
SUBSIDY_COLUMNS: tuple[str, ...] = (
    "制度",
    "対象施設区分",
    "対象施設区分コード",
    "当施設対象",
    "補助率",
    "事業費上限(円)",
    "補助上限(円)",
    "入力費用(円)",
    "補助額(円)",
    "申請期限",
    "受付状況",
    "受付状況コード",
    "必要書類",
    "出典",
    "備考",
    "制度ID",
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """Data text: cleaned, and defused if a spreadsheet would run it as a formula."""
    value = clean(value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def write_csv(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    out: OutputTarget,
    *,
    warning: str | None = None,
) -> int:
    """A UTF-8 (BOM) CSV; ``warning`` (records that did not verify) is a first line of its own."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    if warning is not None:
        writer.writerow([UNVERIFIED_BANNER, warning])
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
        count += 1
    write_output(("\ufeff" + buf.getvalue()).encode("utf-8"), out)
    return count


def _pct(ratio: Fraction | Decimal | None) -> str:
    """Percent with one decimal and no sign, for numeric CSV columns ("45.0")."""
    return "" if ratio is None else format_percent(ratio).rstrip("%")


def write_daily_csv(
    data: DailyLog, out: OutputTarget, *, masking: PatientMasking = PatientMasking.PARTIAL
) -> int:
    """One row per verification in time order, masked like the PDF. Returns the row count.

    未対応の項目数/未対応の項目 count and name the elements of the kept terminal answer that
    Madoguchi does not map (blank when no answer was kept), so a new terminal version is
    noticed the day it arrives."""
    masking = PatientMasking(masking)

    def rows() -> Iterable[list[object]]:
        for r in data.rows:
            local = r.local_at
            counted = counts_toward_rate(r)
            yield [
                data.day.isoformat(),
                local.strftime("%H:%M:%S"),
                local.replace(tzinfo=JST).isoformat(),
                csv_text(r.record_id),
                csv_text(r.patient.chart_no),
                csv_text(masked_name(r.patient.name, masking)),
                csv_text(masked_kana(r.patient.kana, masking)),
                masked_birth(r.patient, masking),
                label(r.path),
                r.path.value,
                label(r.outcome),
                r.outcome.value,
                label(r.failure_reason, ""),
                r.failure_reason.value if r.failure_reason else "",
                "、".join(label(d) for d in r.documents),
                ";".join(d.value for d in r.documents),
                csv_text(r.staff),
                csv_text(r.terminal_id),
                int(r.simulated),
                int(counted and r.path in MYNA_CARD_PATHS),
                int(counted),
                "" if r.unmapped_elements is None else len(r.unmapped_elements),
                csv_text(";".join(r.unmapped_elements or ())),
            ]

    return write_csv(DAILY_COLUMNS, rows(), out, warning=data.unverified)


def write_monthly_csv(data: MonthlyUsage, out: OutputTarget) -> int:
    """Per day × per path counts of the month (non-zero only), day then path order."""
    figures = MonthFigures.of(data)
    month = f"{data.year:04d}-{data.month:02d}"
    rows = [
        [month, day.isoformat(), label(path), path.value, n, int(path in MYNA_CARD_PATHS)]
        for day in figures.days
        for path in VerificationPath
        if (n := figures.by_day[day][path])
    ]
    return write_csv(MONTHLY_COLUMNS, rows, out, warning=data.unverified)


def write_usage_trend_csv(data: MonthlyUsage, out: OutputTarget) -> int:
    """The usage rate of each month of the trend, oldest first, report month last."""
    figures = MonthFigures.of(data)
    rows = [
        [f"{m.year:04d}-{m.month:02d}", m.myna_count, m.total_count, _pct(m.rate)]
        for m in figures.trend
    ]
    return write_csv(TREND_COLUMNS, rows, out, warning=data.unverified)


def write_threshold_csv(data: MonthlyUsage, out: OutputTarget) -> int:
    """Each threshold of the input against the report month's rate, with its source."""
    figures = MonthFigures.of(data)
    rows = [
        [
            csv_text(v.threshold.label),
            csv_text(v.threshold.period),
            _pct(v.threshold.required_rate),
            _pct(figures.rate.ratio),
            VERDICT_LABELS[v.verdict],
            v.verdict.value,
            csv_text(v.threshold.source),
        ]
        for v in figures.verdicts
    ]
    return write_csv(THRESHOLD_COLUMNS, rows, out, warning=data.unverified)


def write_subsidy_csv(data: SubsidySheet, out: OutputTarget) -> int:
    """One row per program tier; 受付状況 is relative to the sheet's ``as_of`` date."""

    def status(p: SubsidyProgram) -> tuple[str, str]:
        if p.is_closed(data.as_of):
            return "受付終了", "closed"
        if p.not_yet_open(data.as_of):
            return "受付開始前", "not_open"
        return ("受付中", "open") if p.deadline is not None else ("期限未定", "no_deadline")

    rows = []
    for p in data.programs:
        st_label, st_code = status(p)
        rows.append(
            [
                csv_text(p.name),
                "、".join(label(k) for k in p.facility_classes),
                ";".join(k.value for k in p.facility_classes),
                int(p.applies),
                f"{p.rate.numerator}/{p.rate.denominator}",
                p.cost_cap,
                p.subsidy_cap,
                p.entered_cost,
                p.amount,
                p.deadline.isoformat() if p.deadline else "",
                st_label,
                st_code,
                "、".join(csv_text(e) for e in p.evidence),
                csv_text(p.source),
                csv_text(p.note),
                p.program_id,
            ]
        )
    return write_csv(SUBSIDY_COLUMNS, rows, out, warning=data.unverified)
