"""tools/report_samples.py regenerates the sample printouts from a demo database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.storage.reports.pdfcheck import ROOT, ReadBack, assert_fonts_embedded

EXPECTED = {
    "daily_log_sample.pdf",
    "daily_log_sample.csv",
    "monthly_usage_sample.pdf",
    "monthly_usage_sample.csv",
    "monthly_usage_sample_trend.csv",
    "monthly_usage_sample_thresholds.csv",
    "subsidy_sheet_sample.pdf",
    "subsidy_sheet_sample.csv",
    "self_declaration_blank_sample.pdf",
    "self_declaration_prefilled_sample.pdf",
}


def test_samples_tool_writes_every_printout(tmp_path: Path) -> None:
    out = tmp_path / "samples"
    done = subprocess.run(
        [sys.executable, "tools/report_samples.py", "--out-dir", str(out), "--months", "2",
         "--visits", "2-3", "--end", "2026-11-06"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert {p.name for p in out.iterdir()} == EXPECTED
    for p in out.iterdir():
        if p.suffix == ".csv":
            assert p.read_bytes().startswith(b"\xef\xbb\xbf")
            continue
        back = ReadBack.of(p)
        assert_fonts_embedded(back)
        assert "（デモ）" in back.flat
        if "subsidy" not in p.name and "blank" not in p.name:
            assert "【模擬】" in back.flat  # demo verifications are simulated, and paper says so
    assert "2026年10月" in ReadBack.of(out / "monthly_usage_sample.pdf").flat


def test_committed_samples_exist() -> None:
    samples = ROOT / "docs" / "samples"
    assert {p.name for p in samples.iterdir()} >= EXPECTED
    assert (samples / "README.md").read_text("utf-8").count("tools/report_samples.py") >= 1
