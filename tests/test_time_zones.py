"""Business dates and times are Japan time whatever the PC's zone: a subset of the rule, report
and desk tests runs again under UTC and under America/Los_Angeles (16–17 hours behind Tokyo, so
the PC's day differs from Tokyo's for most of the day).

Each zone runs in its own pytest subprocess (the zone is read at start-up), one after the
other (the report tests write shared artefact files). The subset is the date-bearing one and
stays fast: the notices' dates and the records' day (policies), the daily log and the 申立書 from
a store (reports), and one desk visit recorded through the runtime (reader.reception). The
window's own clocks are tested offscreen in tests/ui/test_japan_time.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ZONES = ("UTC", "America/Los_Angeles")
PYTEST = (sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not postgres")
SUBSET = (
    "tests/policies/test_documents.py",
    "tests/policies/test_records.py",
    "tests/storage/reports/test_from_store.py",
    "tests/reader/reception/test_card_visit.py::test_visual_check_path",
)


def test_the_date_bearing_tests_pass_in_other_time_zones() -> None:
    for zone in ZONES:  # one after the other: the report tests write shared artefact files
        run = subprocess.run(
            [*PYTEST, *SUBSET],
            cwd=ROOT,
            env={**os.environ, "TZ": zone},
            capture_output=True,
            text=True,
            timeout=300,
        )
        out = run.stdout + run.stderr
        assert run.returncode == 0, f"TZ={zone}\n{out[-3000:]}"
        assert " passed" in run.stdout.splitlines()[-1], out[-500:]
