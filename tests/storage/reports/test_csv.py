"""CSV exports: BOM, CRLF, fixed columns, values, masking, formula injection, empty inputs."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from policies.model import Outcome, VerificationPath
from storage.reports import (
    write_daily_csv,
    write_monthly_csv,
    write_subsidy_csv,
    write_threshold_csv,
    write_usage_trend_csv,
)
from storage.reports.csvout import (
    DAILY_COLUMNS,
    MONTHLY_COLUMNS,
    SUBSIDY_COLUMNS,
    THRESHOLD_COLUMNS,
    TREND_COLUMNS,
)
from storage.reports.demo import demo_daily_log, demo_monthly_usage, demo_subsidy_sheet
from storage.reports.model import DailyLog, PatientMasking
from storage.reports.usage import MonthFigures, daily_rate


def read_csv(raw: bytes, columns: tuple[str, ...]) -> list[dict[str, str]]:
    assert raw.startswith(b"\xef\xbb\xbf"), "no UTF-8 BOM (Excel would show mojibake)"
    text = raw[3:].decode("utf-8")
    lines = text.split("\r\n")
    assert lines[-1] == "", "file must end with CRLF"
    assert "\n" not in text.replace("\r\n", ""), "bare LF line ending"
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == columns, "column order changed"
    assert all(len(r) == len(columns) for r in rows)
    return [dict(zip(columns, r, strict=True)) for r in rows[1:]]


def test_daily_csv(tmp_path: Path) -> None:
    data = demo_daily_log(rows=50)
    out = tmp_path / "daily.csv"
    assert write_daily_csv(data, out) == 50
    rows = read_csv(out.read_bytes(), DAILY_COLUMNS)
    assert len(rows) == 50
    for r, src in zip(rows, data.rows, strict=True):
        assert r["日付"] == "2026-11-20"
        assert r["日時"] == src.local_at.isoformat() + "+09:00"
        assert r["確認方法コード"] == src.path.value
        assert r["結果コード"] == src.outcome.value
        assert r["理由コード"] == (src.failure_reason.value if src.failure_reason else "")
        assert (
            r["確認書類コード"].split(";") == [d.value for d in src.documents] or not src.documents
        )
        assert r["模擬"] == "1"
        assert r["氏名"].endswith("○○") and r["カナ"] == ""
        assert r["生年月日"].endswith("年生")
    rate = daily_rate(data.rows)
    assert sum(int(r["利用率の分子"]) for r in rows) == rate.myna
    assert sum(int(r["利用率の分母"]) for r in rows) == rate.total


@pytest.mark.parametrize("masking", list(PatientMasking))
def test_daily_csv_masking_matches_print(masking: PatientMasking) -> None:
    data = demo_daily_log(rows=5, simulated=False)
    buf = io.BytesIO()
    write_daily_csv(data, buf, masking=masking)
    rows = read_csv(buf.getvalue(), DAILY_COLUMNS)
    for r, src in zip(rows, data.rows, strict=True):
        assert r["カルテ番号"] == src.patient.chart_no and r["模擬"] == "0"
        if masking is PatientMasking.FULL:
            assert (
                r["氏名"] == src.patient.name
                and r["生年月日"] == src.patient.birth_date.isoformat()
            )
        elif masking is PatientMasking.CHART_ONLY:
            assert r["氏名"] == r["カナ"] == r["生年月日"] == ""
        else:
            assert src.patient.name.split(" ")[1] not in r["氏名"]


def test_formula_injection_is_defused() -> None:
    data = demo_daily_log(rows=2, simulated=False)
    evil = replace(
        data.rows[0],
        patient=replace(data.rows[0].patient, name='=HYPERLINK("http://x","y")', chart_no="+1"),
        staff="@SUM(A1)",
        terminal_id="-2+3",
    )
    buf = io.BytesIO()
    write_daily_csv(replace(data, rows=(evil, data.rows[1])), buf, masking=PatientMasking.FULL)
    row = next(r for r in read_csv(buf.getvalue(), DAILY_COLUMNS) if r["担当"].startswith("'"))
    assert row["氏名"] == '\'=HYPERLINK("http://x","y")'
    assert (row["カルテ番号"], row["担当"], row["端末"]) == ("'+1", "'@SUM(A1)", "'-2+3")


def test_empty_day_csv_has_only_the_header() -> None:
    buf = io.BytesIO()
    empty = DailyLog(demo_daily_log().facility, date(2026, 11, 22), (), None)
    assert write_daily_csv(empty, buf) == 0
    assert read_csv(buf.getvalue(), DAILY_COLUMNS) == []


def test_monthly_csvs_agree_with_the_figures(tmp_path: Path) -> None:
    data = demo_monthly_usage()
    fig = MonthFigures.of(data)
    out = tmp_path / "m.csv"
    write_monthly_csv(data, out)
    rows = read_csv(out.read_bytes(), MONTHLY_COLUMNS)
    assert sum(int(r["件数"]) for r in rows) == fig.rate.total
    assert sum(int(r["件数"]) for r in rows if r["利用率の分子"] == "1") == fig.rate.myna
    assert all(r["年月"] == "2026-10" and int(r["件数"]) > 0 for r in rows)
    keys = [
        (r["日付"], list(VerificationPath).index(VerificationPath(r["確認方法コード"])))
        for r in rows
    ]
    assert keys == sorted(keys), "rows not in day, path order"

    buf = io.BytesIO()
    write_usage_trend_csv(data, buf)
    trend = read_csv(buf.getvalue(), TREND_COLUMNS)
    assert [r["年月"] for r in trend][-1] == "2026-10" and len(trend) == 12
    assert trend[-1]["利用率(%)"] == fig.rate.percent_text().rstrip("%")

    buf = io.BytesIO()
    write_threshold_csv(data, buf)
    th = read_csv(buf.getvalue(), THRESHOLD_COLUMNS)
    assert [(r["必要利用率(%)"], r["判定コード"], r["判定"]) for r in th] == [
        ("45.0", "met", "達成"),
        ("70.0", "not_met", "未達"),
    ]
    assert all(r["出典"] for r in th)


def test_subsidy_csv(tmp_path: Path) -> None:
    data = demo_subsidy_sheet(as_of=date(2025, 12, 1))
    out = tmp_path / "s.csv"
    assert write_subsidy_csv(data, out) == len(data.programs) == 6
    rows = read_csv(out.read_bytes(), SUBSIDY_COLUMNS)
    assert [r["受付状況コード"] for r in rows] == ["closed"] + ["open"] * 5
    assert [r["補助額(円)"] for r in rows] == ["54000", "90000", "", "", "", ""]
    assert [r["制度ID"] for r in rows[:2]] == ["welfare-oqs-2025", "home-visit-2025"]
    assert all(r["当施設対象"] == "1" for r in rows)  # only this facility's class by default
    assert rows[0]["補助率"] == "3/4" and rows[0]["対象施設区分コード"] == "clinic;pharmacy"
    # 別添3 in two parts (通常とは異なる動線 / 機器故障時等); no 限定型 for a mandated clinic
    assert [r["制度ID"] for r in rows[3:5]] == ["unusual-route-2025", "equipment-failure-2025"]
    assert "limited-type-2025" not in {r["制度ID"] for r in rows}
    assert "チェックシート" in rows[5]["必要書類"]


def test_csv_write_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    out = tmp_path / "daily.csv"
    out.write_bytes(b"old")
    write_daily_csv(demo_daily_log(rows=3), out)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert [p.name for p in tmp_path.iterdir()] == ["daily.csv"]
    with pytest.raises(FileNotFoundError):
        write_daily_csv(demo_daily_log(rows=3), tmp_path / "no-such-dir" / "x.csv")


def test_abandoned_rows_are_outside_the_rate_in_csv() -> None:
    data = demo_daily_log(rows=3, simulated=False)
    gone = replace(data.rows[0], outcome=Outcome.ABANDONED)
    buf = io.BytesIO()
    write_daily_csv(replace(data, rows=(gone, *data.rows[1:])), buf)
    first = read_csv(buf.getvalue(), DAILY_COLUMNS)[0]
    assert (first["結果コード"], first["利用率の分子"], first["利用率の分母"]) == (
        "abandoned",
        "0",
        "0",
    )


def test_unmapped_elements_are_counted_and_named() -> None:
    data = demo_daily_log(rows=3, simulated=False)
    rows = (
        replace(data.rows[0], unmapped_elements=("MessageHeader/New", "MessageBody/=Odd")),
        replace(data.rows[1], unmapped_elements=()),
        replace(data.rows[2], unmapped_elements=None),  # no terminal answer kept
    )
    buf = io.BytesIO()
    write_daily_csv(replace(data, rows=rows), buf)
    written = read_csv(buf.getvalue(), DAILY_COLUMNS)
    got = [(r["未対応の項目数"], r["未対応の項目"]) for r in written]
    assert got == [("2", "MessageHeader/New;MessageBody/=Odd"), ("0", ""), ("", "")]
