"""The benchmark script keeps working (figures themselves are judged from its own output)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.storage.reports.pdfcheck import ROOT


def test_benchmark_ends_with_one_json_line() -> None:
    proc = subprocess.run(
        [sys.executable, "benchmarks/reports.py", "--rows", "30", "--repeat", "1", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    last = proc.stdout.strip().splitlines()[-1]
    figures = json.loads(last)
    assert set(figures) == {"daily_1000_s", "peak_mb"}
    assert figures["daily_1000_s"] > 0
    assert 10 < figures["peak_mb"] < 1000
