"""Monthly usage report and subsidy sheet PDFs read back and rendered."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path

from storage.reports import render_monthly_report, render_subsidy_sheet
from storage.reports.demo import demo_monthly_usage, demo_subsidy_sheet
from storage.reports.fonts import JapaneseFont
from storage.reports.labels import label, short_label
from storage.reports.model import MonthlyUsage, UsageThreshold
from storage.reports.pdfkit import SIMULATED_BANNER
from storage.reports.text import yen
from storage.reports.usage import MonthFigures, day_rate, format_percent
from tests.storage.reports.pdfcheck import ReadBack, dark_fraction, render_png, squash
from tests.storage.reports.test_daily_pdf import assert_fonts_embedded


def _render(fn, data, font: JapaneseFont) -> tuple[bytes, ReadBack]:
    buf = BytesIO()
    result = fn(data, buf, font=font)
    back = ReadBack.of(buf.getvalue())
    assert result.pages == len(back.pages)
    for i, page in enumerate(back.pages, 1):
        assert f"{i} / {len(back.pages)}" in page
    assert_fonts_embedded(back)
    return buf.getvalue(), back


def test_monthly_report_reads_back(font: JapaneseFont, artifacts: Path) -> None:
    data = demo_monthly_usage()
    pdf, back = _render(render_monthly_report, data, font)
    path = artifacts / "monthly_demo.pdf"
    path.write_bytes(pdf)
    png = render_png(path, "monthly_page1")
    assert dark_fraction(png) > 0.03
    fig = MonthFigures.of(data)
    flat = back.flat
    r = fig.rate
    assert f"当月のマイナ保険証利用率：{r.myna}件／{r.total}件＝{r.percent_text()}" in flat
    # thresholds: one met, one not, each with its source
    verdicts = [v.verdict.value for v in fig.verdicts]
    assert verdicts == ["met", "not_met"]
    for v, word in zip(fig.verdicts, ("達成", "未達"), strict=True):
        t = v.threshold
        expected = f"{t.label}{t.period}{format_percent(t.required_rate)}{r.percent_text()}{word}"
        assert squash(expected) in flat
        assert squash(t.source) in flat
    # per-path totals with shares
    for path in fig.active_paths:
        assert squash(f"{label(path)}{fig.by_path[path]}") in flat
    # trend: every month with its rate, in order, and the chart title
    pos = -1
    for m in fig.trend:
        cell = squash(f"{m.year}年{m.month}月{m.myna_count}{m.total_count}{format_percent(m.rate)}")
        found = flat.find(cell)
        assert found > pos, f"trend {m.year}-{m.month}"
        pos = found
    assert "利用率の推移（%）" in flat
    # per-day table: every day, totals row
    for d in fig.days:
        counter = fig.by_day[d]
        total = day_rate(counter)
        cells = "".join(str(counter[p]) for p in fig.active_paths if counter[p])
        tail = f"{total.total}{total.percent_text()}" if total.total else ""
        assert f"{d.day}日（{'月火水木金土日'[d.weekday()]}）{cells}{tail}" in flat, d
    head = "".join(squash(short_label(p)) for p in fig.active_paths)
    assert head in flat
    assert (
        f"合計{''.join(str(fig.by_path[p]) for p in fig.active_paths)}{r.total}{r.percent_text()}"
        in flat
    )
    # simulated banner on every page, and the count in the header
    for page in back.pages:
        assert squash(SIMULATED_BANNER) in squash(page)
    assert f"{data.simulated_count}件（シミュレーションによる記録を含む）" in flat


def test_monthly_without_simulation_or_data(font: JapaneseFont) -> None:
    data = MonthlyUsage(
        demo_monthly_usage().facility,
        2026,
        2,
        (),
        thresholds=(UsageThreshold("基準", "2026年", Decimal("0.3"), "出典X"),),
    )
    _, back = _render(render_monthly_report, data, font)
    flat = back.flat
    assert squash(SIMULATED_BANNER) not in flat
    assert "当月のマイナ保険証利用率：0件／0件＝—" in flat
    assert "判定不可（記録なし）" in flat
    assert "28日（土）" in flat and "29日" not in flat


def test_monthly_is_byte_identical(font: JapaneseFont) -> None:
    a, _ = _render(render_monthly_report, demo_monthly_usage(), font)
    b, _ = _render(render_monthly_report, demo_monthly_usage(), font)
    assert a == b


def test_subsidy_sheet_reads_back(font: JapaneseFont, artifacts: Path) -> None:
    data = demo_subsidy_sheet(as_of=date(2025, 12, 1))
    pdf, back = _render(render_subsidy_sheet, data, font)
    path = artifacts / "subsidy_demo.pdf"
    path.write_bytes(pdf)
    assert dark_fraction(render_png(path, "subsidy_page1")) > 0.01  # a blank page: 0.0
    flat = back.flat
    # SUB-01 closed on 2025-09-30; the others (2026-01-15) are still open on 2025-12-01
    assert flat.count("2025-09-30受付終了") == 1
    assert flat.count("2026-01-15受付中") == 5
    # entered cost → computed amount, capped by the subsidy cap
    assert "80,000円→54,000円" in flat and "120,000円→90,000円" in flat
    assert flat.count("【当施設対象】") == sum(p.applies for p in data.programs)
    for p in data.programs:
        assert squash(p.name) in flat
        for e in p.evidence:
            assert squash(e) in flat
        assert squash(p.source) in flat
        assert f"補助率{p.rate.numerator}/{p.rate.denominator}" in flat
    # only open programs for this facility are summed
    open_total = sum(
        p.amount or 0 for p in data.programs if p.applies and not p.is_closed(data.as_of)
    )
    assert open_total == 90_000
    assert squash(f"受付中の制度の補助額（概算）合計{yen(open_total)}") in flat
    assert back.reader.metadata["/CreationDate"] == "D:20251201000000+09'00'"


def test_subsidy_sheet_relative_to_its_date(font: JapaneseFont) -> None:
    early = demo_subsidy_sheet(as_of=date(2025, 9, 30))  # the deadline day itself: still open
    _, back = _render(render_subsidy_sheet, early, font)
    assert "受付終了" not in back.flat.replace("「受付終了」", "")
    late = demo_subsidy_sheet(as_of=date(2026, 3, 1))
    _, back = _render(render_subsidy_sheet, late, font)
    assert back.flat.count("受付終了") - back.flat.count("「受付終了」") == 6
    empty = replace(late, programs=())
    _, back = _render(render_subsidy_sheet, empty, font)
    assert "表示する補助制度がありません。" in back.flat
