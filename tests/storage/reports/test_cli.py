"""``main.py report …`` in real subprocesses against a seeded SQLite database."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.demo_data import DEMO_ADMIN, DEMO_PASSWORD
from storage.reports.pdfkit import UNVERIFIED_BANNER
from tests.storage.reports.conftest import DemoDb
from tests.storage.reports.pdfcheck import ROOT, ReadBack, squash
from tests.storage.reports.test_from_store import exported_events

#: Reports need a staff login: the demo history's administrator, password piped on stdin.
AS_DEMO_ADMIN = ("--user", DEMO_ADMIN[0])


def run(db: DemoDb, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "report", *args, "--db", db.url, *AS_DEMO_ADMIN],
        input=DEMO_PASSWORD + "\n",
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=db.env(),
    )


@pytest.fixture
def db(sqlite_demo_db: DemoDb) -> DemoDb:
    return sqlite_demo_db


def test_daily_pdf_and_csv_are_written_audited_and_reproducible(db: DemoDb, tmp_path: Path) -> None:
    day = db.history.days[10].isoformat()
    first = run(db, "daily", "--date", day, "--out", str(tmp_path / "a.pdf"), "--csv",
                str(tmp_path / "a.csv"), "--masking", "chart")  # fmt: skip
    assert first.returncode == 0, first.stderr
    digest = hashlib.sha256((tmp_path / "a.pdf").read_bytes()).hexdigest()
    assert f"daily_log {day} masking=chart_only: {tmp_path / 'a.pdf'}" in first.stdout
    assert digest in first.stdout
    assert digest in [e["sha256"] for e in exported_events(db.store)]
    flat = ReadBack.of(tmp_path / "a.pdf").flat
    assert "カルテ番号のみ表示" in flat and "Madoguchi0.1.0" in flat
    assert (tmp_path / "a.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    again = run(db, "daily", "--date", day, "--out", str(tmp_path / "b.pdf"), "--masking", "chart")
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


def test_day_without_records_still_prints(db: DemoDb, tmp_path: Path) -> None:
    sunday = next(
        d for d in (db.history.days[0] + timedelta(days=i) for i in range(14)) if d.weekday() == 6
    )
    done = run(db, "daily", "--date", sunday.isoformat(), "--out", str(tmp_path / "s.pdf"))
    assert done.returncode == 0, done.stderr
    assert f"no verifications recorded on {sunday.isoformat()}: printed an empty log" in done.stdout
    assert "（0件）" in ReadBack.of(tmp_path / "s.pdf").flat


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["daily", "--date", "2026-02-30"], "invalid date '2026-02-30' (expected YYYY-MM-DD)"),
        (["monthly", "--month", "2026-13"], "invalid month '2026-13' (expected YYYY-MM)"),
        (["subsidy", "--cost", "welfare-oqs-2025"], "expected PROGRAM_ID=YEN"),
    ],
)
def test_bad_arguments_are_named(db: DemoDb, tmp_path: Path, args: list[str], message: str) -> None:
    done = run(db, *args, "--out", str(tmp_path / "x.pdf"))
    assert done.returncode == 2 and message in done.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_output_and_font_errors_are_clear(db: DemoDb, tmp_path: Path) -> None:
    day = db.history.days[0].isoformat()
    before = len(exported_events(db.store))
    missing = run(db, "daily", "--date", day, "--out", str(tmp_path / "no" / "x.pdf"))
    assert missing.returncode == 2
    assert f"error: cannot write {tmp_path / 'no' / 'x.pdf'}: the folder" in missing.stderr
    folder = run(db, "daily", "--date", day, "--out", str(tmp_path))
    assert folder.returncode == 2 and "is a folder; give a file name" in folder.stderr
    same = run(
        db, "daily", "--date", day, "--out", str(tmp_path / "x"), "--csv", str(tmp_path / "x")
    )
    assert same.returncode == 2 and "each output needs its own file name" in same.stderr
    font = run(db, "daily", "--date", day, "--out", str(tmp_path / "f.pdf"), "--font",
               str(tmp_path / "missing.ttf"))  # fmt: skip
    assert font.returncode == 2
    assert "The configured report font cannot be used" in font.stderr
    assert "fonts-ipaexfont" in font.stderr  # says what to install
    assert "Traceback" not in missing.stderr + folder.stderr + font.stderr
    assert len(exported_events(db.store)) == before  # nothing written, nothing recorded
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_never_overwritten(db: DemoDb, tmp_path: Path) -> None:
    day = db.history.days[0].isoformat()
    kept = tmp_path / "keep.bak"
    kept.write_bytes(b"an older backup")
    before = len(exported_events(db.store))
    for args in (
        ["daily", "--date", day, "--out", str(kept)],
        ["daily", "--date", day, "--out", str(tmp_path / "new.pdf"), "--csv", str(kept)],
        ["monthly", "--month", "2026-10", "--out", str(kept)],
        ["subsidy", "--out", str(tmp_path / "new.pdf"), "--csv", str(kept)],
        ["declaration", "--out", str(kept)],
    ):
        done = run(db, *args)
        assert done.returncode == 2, (args, done.stderr)
        assert (
            done.stderr.strip()
            == f"error: {kept} already exists (a report is written only to a new file)"
        )
    # the sibling CSVs of the monthly report are new files too
    sibling = tmp_path / "m_trend.csv"
    sibling.write_bytes(b"kept")
    done = run(db, "monthly", "--month", "2026-10", "--out", str(tmp_path / "m.pdf"), "--csv",
               str(tmp_path / "m.csv"))  # fmt: skip
    assert done.returncode == 2 and f"{sibling} already exists" in done.stderr
    assert kept.read_bytes() == b"an older backup" and sibling.read_bytes() == b"kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.bak", "m_trend.csv"]
    assert len(exported_events(db.store)) == before


def test_monthly_subsidy_and_declaration(db: DemoDb, tmp_path: Path) -> None:
    monthly = run(db, "monthly", "--month", "2026-10", "--as-of", "2026-11-21", "--out",
                  str(tmp_path / "m.pdf"), "--csv", str(tmp_path / "m.csv"))  # fmt: skip
    assert monthly.returncode == 0, monthly.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "m.csv",
        "m.pdf",
        "m_thresholds.csv",
        "m_trend.csv",
    ]
    assert "2026年10月" in ReadBack.of(tmp_path / "m.pdf").flat

    subsidy = run(db, "subsidy", "--as-of", "2025-12-01", "--cost", "welfare-oqs-2025=41,500",
                  "--out", str(tmp_path / "s.pdf"), "--csv", str(tmp_path / "s.csv"))  # fmt: skip
    assert subsidy.returncode == 0, subsidy.stderr
    flat = ReadBack.of(tmp_path / "s.pdf").flat
    assert "41,500円→31,000円" in flat and "2025-09-30受付終了" in flat
    unknown = run(db, "subsidy", "--cost", "nope=1", "--out", str(tmp_path / "u.pdf"))
    assert unknown.returncode == 2 and "unknown subsidy program nope" in unknown.stderr

    patient = db.store.find_patients("00002")[0]
    decl = run(db, "declaration", "--chart", "00002", "--date", "2026-11-20", "--out",
               str(tmp_path / "d.pdf"))  # fmt: skip
    assert decl.returncode == 0, decl.stderr
    back = ReadBack.of(tmp_path / "d.pdf")
    assert len(back.pages) == 1 and squash(patient.name) in back.flat
    assert "申立日2026年11月20日" in back.flat
    nobody = run(db, "declaration", "--chart", "99999", "--out", str(tmp_path / "n.pdf"))
    assert nobody.returncode == 2 and "no patient with chart number '99999'" in nobody.stderr


def test_masking_defaults_to_the_clinic_setting(db: DemoDb, tmp_path: Path) -> None:
    admin = db.history.admin
    day = db.history.days[5].isoformat()
    db.store.set_setting(admin, "print_masking", "full")
    try:
        done = run(db, "daily", "--date", day, "--out", str(tmp_path / "f.pdf"))
    finally:
        db.store.set_setting(admin, "print_masking", "partial")
    assert done.returncode == 0, done.stderr
    assert f"daily_log {day} masking=full" in done.stdout
    assert "氏名・生年月日を表示" in ReadBack.of(tmp_path / "f.pdf").flat


@contextmanager
def tampered_path(db: DemoDb) -> Iterator[tuple[date, int]]:
    """A verification's path changed behind the application's back (raw SQL, as the tamper
    corpus does) on the busiest day; put back afterwards. Yields (day, attempt id)."""
    day = max(db.history.days, key=lambda d: len(db.store.verifications_between(d, d)))
    attempt = db.store.verifications_between(day, day)[0].verification_id
    tamper = "UPDATE verification_attempts SET path = :p WHERE id = :i"
    with db.store.engine.connect() as conn:
        genuine = conn.execute(
            text("SELECT path FROM verification_attempts WHERE id = :i"), {"i": attempt}
        ).scalar_one()
        conn.execute(text(tamper), {"p": "home_visit_requery", "i": attempt})
        conn.commit()
    try:
        yield day, attempt
    finally:
        with db.store.engine.connect() as conn:
            conn.execute(text(tamper), {"p": genuine, "i": attempt})
            conn.commit()
    assert db.store.verify_chain().ok


def where(attempt: int) -> str:
    """The tampered row as printouts and the window say it."""
    return (
        "監査記録と一致しない記録があります"
        f"（改ざんの可能性：表 verification_attempts、番号 {attempt}、項目 path）"
    )


def bannered(pdf: Path, attempt: int) -> int:
    """Every page of ``pdf`` carries the red banner naming the row that failed, in Japanese;
    the page count."""
    back = ReadBack.of(pdf).pages
    assert back and all(squash(UNVERIFIED_BANNER) in squash(p) for p in back)
    assert all(squash(where(attempt)) in squash(p) for p in back)
    return len(back)


def first_line_warns(csv_file: Path, attempt: int) -> None:
    first = csv_file.read_text("utf-8-sig").splitlines()[0]
    assert first == f"{UNVERIFIED_BANNER},{where(attempt)}"


def test_daily_log_of_records_that_do_not_verify_is_refused_or_bannered(
    db: DemoDb, tmp_path: Path
) -> None:
    """A path changed behind the application's back: refused with exit 3 naming the row; with
    --print-unverified the log prints with the red banner on every page."""
    with tampered_path(db) as (day, attempt):
        refused = run(db, "daily", "--date", day.isoformat(), "--out", str(tmp_path / "r.pdf"))
        assert refused.returncode == 3
        assert f"verification_attempts id {attempt} field path" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "r.pdf").exists()
        shown = run(db, "daily", "--date", day.isoformat(), "--out", str(tmp_path / "u.pdf"),
                    "--csv", str(tmp_path / "u.csv"), "--print-unverified")  # fmt: skip
        assert shown.returncode == 0, shown.stderr
        assert bannered(tmp_path / "u.pdf", attempt) >= 2  # on every page of a long day
        first_line_warns(tmp_path / "u.csv", attempt)
        assert "UNVERIFIED" in exported_events(db.store)[-1]["what"]


#: Every other printout of the database: (arguments, its PDF's and CSVs' names).
OTHER_REPORTS = {
    "monthly": (
        ["monthly", "--month", "{month}", "--as-of", "2026-11-21", "--csv", "{out}/m.csv"],
        ["m.csv", "m_trend.csv", "m_thresholds.csv"],
    ),
    "subsidy": (["subsidy", "--as-of", "2025-12-01", "--csv", "{out}/s.csv"], ["s.csv"]),
    "declaration": (["declaration", "--chart", "00002", "--date", "2026-11-20"], []),
}


@pytest.mark.parametrize("report", OTHER_REPORTS)
def test_every_report_of_records_that_do_not_verify_is_refused_or_bannered(
    db: DemoDb, tmp_path: Path, report: str
) -> None:
    """The monthly report, the subsidy sheet and the 申立書 verify what they print as the daily
    log does: exit 3 and nothing written, or with --print-unverified the banner on every page
    and a first CSV line saying so, recorded as UNVERIFIED."""
    template, csvs = OTHER_REPORTS[report]
    with tampered_path(db) as (day, attempt):
        month = f"{day:%Y-%m}"
        args = [a.format(month=month, out=tmp_path) for a in template]
        before = len(exported_events(db.store))
        refused = run(db, *args, "--out", str(tmp_path / "r.pdf"))
        assert refused.returncode == 3, refused.stderr
        assert f"verification_attempts id {attempt} field path" in refused.stderr
        assert "refused: " in refused.stderr and "Traceback" not in refused.stderr
        assert list(tmp_path.iterdir()) == []
        assert len(exported_events(db.store)) == before
        shown = run(db, *args, "--out", str(tmp_path / "u.pdf"), "--print-unverified")
        assert shown.returncode == 0, shown.stderr
        assert "WARNING: printed UNVERIFIED records" in shown.stderr
        pages = bannered(tmp_path / "u.pdf", attempt)
        assert report != "declaration" or pages == 1  # the form a patient signs: one page
        for name in csvs:
            first_line_warns(tmp_path / name, attempt)
        made = exported_events(db.store)[before:]
        assert len(made) == 1 + len(csvs) and all("UNVERIFIED" in e["what"] for e in made)
