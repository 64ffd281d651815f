"""The daily log PDF read back: rows, totals, rate, chain head, pages, banner, masking, fonts."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from datetime import date, datetime
from io import BytesIO
from pathlib import Path

import pytest

from policies.model import Outcome, VerificationPath
from storage.reports import render_daily_log
from storage.reports.daily import COLUMNS, EMPTY_DAY, ROW_SIZE
from storage.reports.demo import demo_daily_log
from storage.reports.fonts import JapaneseFont
from storage.reports.labels import label
from storage.reports.model import JST, DailyLog, GenerationInfo, PatientDisplay, PatientMasking
from storage.reports.pdfkit import MARGIN_X, PAGE_W, TextFitter
from storage.reports.usage import MYNA_CARD_PATHS, daily_rate
from tests.storage.reports.pdfcheck import (
    ROOT,
    ReadBack,
    assert_fonts_embedded,
    assert_page_furniture,
    assert_rows_in_order,
    dark_fraction,
    red_fraction,
    render_png,
    squash,
)


def render(data: DailyLog, font: JapaneseFont, **kw) -> tuple[bytes, ReadBack]:
    buf = BytesIO()
    result = render_daily_log(data, buf, font=font, **kw)
    pdf = buf.getvalue()
    back = ReadBack.of(pdf)
    assert result.pages == len(back.pages) and result.size_bytes == len(pdf)
    return pdf, back


def test_demo_day_reads_back_completely(font: JapaneseFont, artifacts: Path) -> None:
    data = demo_daily_log(rows=60)
    pdf, back = render(data, font)
    (artifacts / "daily_demo.pdf").write_bytes(pdf)
    assert len(back.pages) >= 2
    assert_rows_in_order(back, data, PatientMasking.PARTIAL)
    assert_page_furniture(back, simulated=True)
    assert_fonts_embedded(back)
    flat = back.flat
    # header
    assert squash("資格確認 日次記録 2026年11月20日（金）") in flat
    assert squash(data.facility.name) in flat and data.facility.medical_institution_code in flat
    assert "受付1、受付2" in flat
    # totals per path (non-abandoned) and per outcome
    counted = [r for r in data.rows if r.outcome is not Outcome.ABANDONED]
    totals = flat[flat.index("集計") :]
    for path, n in Counter(r.path for r in counted).items():
        mark = "○" if path in MYNA_CARD_PATHS else ""
        assert squash(f"{label(path)}{n}{mark}") in totals, path
    assert f"合計（中止を除く）{len(counted)}" in totals
    assert f"中止（利用率の対象外）{len(data.rows) - len(counted)}" in totals
    rate = daily_rate(data.rows)
    assert rate.total == len(counted) and 0 < rate.myna < rate.total
    assert (
        f"マイナ保険証利用率（当日）：{rate.myna}件／{rate.total}件＝{rate.percent_text()}"
        in totals
    )
    # chain head and signature line at the end
    head = data.chain_head
    assert head is not None
    last = squash(back.pages[-1])
    assert f"通番{head.seq}" in last and head.hash_hex in last
    assert "確認者署名" in last and "日付" in last
    assert flat.index(head.hash_hex) > flat.index("マイナ保険証利用率（当日）")
    # simulated rows are marked
    assert flat.count("模擬") >= len(data.rows)
    # metadata: fixed, from the data
    meta = back.reader.metadata
    assert meta["/CreationDate"] == "D:20261120184500+09'00'"
    assert meta["/Title"].startswith("資格確認 日次記録 2026-11-20")


def test_page_one_renders_with_ink_and_the_red_banner(font: JapaneseFont, artifacts: Path) -> None:
    path = artifacts / "daily_page1.pdf"
    render_daily_log(demo_daily_log(rows=40), path, font=font)
    png = render_png(path, "daily_page1")
    assert dark_fraction(png) > 0.02, "page 1 looks blank"  # a blank page: 0.0
    assert red_fraction(png) > 0.01, "simulated banner not visible"
    real = artifacts / "daily_real_page1.pdf"
    render_daily_log(demo_daily_log(rows=40, simulated=False), real, font=font)
    real_png = render_png(real, "daily_real_page1")
    assert dark_fraction(real_png) > 0.02
    assert red_fraction(real_png) < 0.001, "a non-simulated day must carry no banner"


@pytest.mark.parametrize("masking", list(PatientMasking))
def test_masking_levels_in_print(font: JapaneseFont, masking: PatientMasking) -> None:
    data = demo_daily_log(rows=12, simulated=False)
    _, back = render(data, font, masking=masking)
    assert_rows_in_order(back, data, masking)
    assert_page_furniture(back, simulated=False)
    flat = back.flat
    given = {r.patient.name.split(" ")[1] for r in data.rows}
    births = {r.patient.birth_date.isoformat() for r in data.rows if r.patient.birth_date}
    if masking is PatientMasking.FULL:
        assert all(g in flat for g in given) and all(b in flat for b in births)
        assert all(squash(r.patient.kana) in flat for r in data.rows)
    else:
        assert not any(g in flat for g in given), "given names leaked"
        assert not any(b in flat for b in births), "full birth dates leaked"
    if masking is PatientMasking.CHART_ONLY:
        family = {r.patient.name.split(" ")[0] for r in data.rows}
        assert not any(f + "○○" in flat for f in family)
        assert "年生" not in flat
    assert all(f"No.{r.patient.chart_no}" in flat for r in data.rows)


def test_empty_day(font: JapaneseFont, artifacts: Path) -> None:
    data = DailyLog(demo_daily_log().facility, date(2026, 11, 22), (), None)
    pdf, back = render(data, font)
    (artifacts / "daily_empty.pdf").write_bytes(pdf)
    assert dark_fraction(render_png(artifacts / "daily_empty.pdf", "daily_empty")) > 0.01
    assert len(back.pages) == 1
    assert_page_furniture(back, simulated=False)
    assert_fonts_embedded(back)
    flat = back.flat
    assert squash(EMPTY_DAY) in flat
    assert "合計（中止を除く）0" in flat
    assert "マイナ保険証利用率（当日）：0件／0件＝—" in flat
    assert "この日までの監査記録なし" in flat
    assert back.reader.metadata["/CreationDate"] == "D:20261122000000+09'00'"


def test_two_thousand_rows(font: JapaneseFont, artifacts: Path) -> None:
    data = demo_daily_log(rows=2000, seed=3)
    pdf, back = render(data, font)
    (artifacts / "daily_2000.pdf").write_bytes(pdf)
    assert len(back.pages) > 50
    assert_rows_in_order(back, data, PatientMasking.PARTIAL)
    assert_page_furniture(back, simulated=True)
    assert_fonts_embedded(back)
    counted = sum(r.outcome is not Outcome.ABANDONED for r in data.rows)
    assert f"合計（中止を除く）{counted}" in back.flat
    # the column header repeats on every page that carries rows
    header = squash("".join(name for name, _ in COLUMNS))
    assert sum(header in squash(p) for p in back.pages) >= len(back.pages) - 1


def test_identical_input_gives_identical_bytes_even_in_another_process(
    font: JapaneseFont, tmp_path: Path
) -> None:
    data = demo_daily_log(rows=30)
    first, _ = render(data, font)
    second, _ = render(demo_daily_log(rows=30), font)
    assert first == second
    out = tmp_path / "x.pdf"
    render_daily_log(data, out, font=font)
    assert out.read_bytes() == first
    code = (
        "import sys; from storage.reports import render_daily_log;"
        "from storage.reports.demo import demo_daily_log;"
        "render_daily_log(demo_daily_log(rows=30), sys.argv[1])"
    )
    other = tmp_path / "other.pdf"
    subprocess.run(
        [sys.executable, "-c", code, str(other)],
        cwd=ROOT,
        check=True,
        timeout=120,
        env={**os.environ, "PYTHONHASHSEED": "12345"},  # other set/dict orders must not matter
    )
    assert other.read_bytes() == first, "a reprint in another process differs"


def test_reprint_line_is_the_only_difference(font: JapaneseFont) -> None:
    data = demo_daily_log(rows=10)
    _, original = render(data, font)
    reprint = replace(
        data,
        generation=GenerationInfo("0.1.0", datetime(2026, 12, 1, 10, 30, tzinfo=JST), "事務 上田"),
    )
    _, again = render(reprint, font)
    assert "再印刷2026-12-0110:30（事務上田）" in again.flat
    assert "再印刷" not in original.flat
    header = f"資格確認 日次記録　{data.facility.name}"
    assert again.body(header).replace("再印刷2026-12-0110:30（事務上田）", "") == original.body(
        header
    )


def test_hostile_and_overlong_text_wraps_inside_cells(font: JapaneseFont, artifacts: Path) -> None:
    base = demo_daily_log(rows=6, simulated=False)
    long_name = "寿限無寿限無五劫の擦り切れ海砂利水魚の水行末雲来末風来末食う寝る処に住む処" * 2
    rows = []
    for i, r in enumerate(base.rows):
        patient = PatientDisplay(
            chart_no='=HYPERLINK("x")' if i == 0 else "A" * 40,
            name=f"{long_name} <b>&amp;</b>\x00\t",
            kana="ジュゲム" * 12,
            birth_date=r.patient.birth_date,
        )
        rows.append(
            replace(
                r,
                patient=patient,
                staff="受付担当者" * 6 + "ReallyLongStaffNameWithoutSpaces",
                terminal_id="TERMINAL-0000000001",
            )
        )
    facility = replace(base.facility, name="医療法人社団" * 12)
    data = replace(base, rows=tuple(rows), facility=facility)
    pdf, back = render(data, font, masking=PatientMasking.FULL)
    path = artifacts / "daily_overflow.pdf"
    path.write_bytes(pdf)
    render_png(path, "daily_overflow")
    assert "<b>&amp;</b>" in back.text.replace("\n", "")  # printed literally, not as markup
    assert "\x00" not in back.text
    fitter = TextFitter(font.name)
    edges = [MARGIN_X]
    for _, w in COLUMNS:
        edges.append(edges[-1] + w)
    for page_index in range(len(back.pages)):
        for text, x, size in back.text_boxes(page_index):
            width = fitter.width(text.strip("\n"), size)
            assert x >= MARGIN_X - 0.5 and x + width <= PAGE_W - MARGIN_X + 0.5, (
                f"'{text.strip()}' runs off page {page_index + 1}"
            )
            if abs(size - ROW_SIZE) < 0.01:  # a row cell: must stay inside its column
                col = max(i for i, e in enumerate(edges[:-1]) if e <= x + 0.01)
                assert x + width <= edges[col + 1] + 0.5, (
                    f"'{text.strip()}' overflows {COLUMNS[col][0]}"
                )


def test_rows_in_time_order_whatever_the_input_order(font: JapaneseFont) -> None:
    data = demo_daily_log(rows=20)
    shuffled = DailyLog(
        data.facility, data.day, tuple(reversed(data.rows)), data.chain_head, data.generation
    )
    assert shuffled.rows == data.rows
    first, _ = render(data, font)
    second, _ = render(shuffled, font)
    assert first == second


def test_path_labels_cover_every_row_path(font: JapaneseFont) -> None:
    # Every path of the vocabulary can be printed (no KeyError for a path the demo mix lacks).
    base = demo_daily_log(rows=len(VerificationPath), simulated=False)
    rows = tuple(replace(r, path=p) for r, p in zip(base.rows, VerificationPath, strict=True))
    data = replace(base, rows=rows)
    _, back = render(data, font)
    for p in VerificationPath:
        assert squash(label(p)) in back.flat


def test_absurdly_long_values_are_cut_not_fatal(font: JapaneseFont) -> None:
    base = demo_daily_log(rows=3, simulated=False)
    huge = "長" * 20_000
    rows = tuple(
        replace(r, patient=replace(r.patient, name=huge), staff=huge, terminal_id="T" * 5000)
        for r in base.rows
    )
    _, back = render(replace(base, rows=rows), font, masking=PatientMasking.FULL)
    assert back.flat.count("…") >= 3
    assert "合計（中止を除く）3" in back.flat


def test_mixed_day_marks_only_simulated_rows(font: JapaneseFont) -> None:
    base = demo_daily_log(rows=10, simulated=False)
    rows = tuple(replace(r, simulated=i % 3 == 0) for i, r in enumerate(base.rows))
    data = replace(base, rows=rows)
    _, back = render(data, font)
    assert_rows_in_order(back, data, PatientMasking.PARTIAL)  # "HH:MM模擬" only where simulated
    assert_page_furniture(back, simulated=True)
    assert "（模擬データを含む）" in back.reader.metadata["/Subject"]
