"""A 2,000-verification day from a real SQLite database: every row printed, chain head real."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

from policies.dates import JST
from policies.model import Outcome
from storage.demo_data import DEMO_PROFILE, DemoClock
from storage.engine import sqlite_url
from storage.reports.exports import export_daily
from storage.reports.model import PatientMasking
from storage.store import Store
from tests.storage.reports.pdfcheck import (
    ReadBack,
    assert_fonts_embedded,
    assert_page_furniture,
    assert_rows_in_order,
)
from tests.storage.reports.seed import bulk_day

DAY = date(2026, 11, 18)


def test_two_thousand_rows_from_the_database(tmp_path: Path, font, artifacts) -> None:
    clock = DemoClock(datetime.combine(DAY, time(7, 0), JST))
    store = Store.open(
        sqlite_url(tmp_path / "busy.sqlite3").render_as_string(),
        terminal_id="受付1",
        clock=clock,
        backup_dir=tmp_path / "backups",
    )
    try:
        admin = store.create_first_admin("admin", "管理者", "admin-pass-1")
        store.set_facility_profile(admin, DEMO_PROFILE)
        bulk_day(store, admin, DAY, 2000)
        clock.follow_real_time()
        assert store.verify_chain().ok

        data, done = export_daily(
            store, DAY, tmp_path / "busy.pdf", masking=PatientMasking.FULL, font=font
        )
        assert len(data.rows) == 2000 and done[0].count > 50
        head = store.chain_head(DAY)
        assert head is not None and data.chain_head is not None
        assert data.chain_head.hash_hex == head.hash

        back = ReadBack.of(tmp_path / "busy.pdf")
        assert len(back.pages) == done[0].count
        assert_rows_in_order(back, data, PatientMasking.FULL)
        assert_page_furniture(back, simulated=True)  # every 10th row is simulated
        assert_fonts_embedded(back)
        counted = sum(r.outcome is not Outcome.ABANDONED for r in data.rows)
        assert f"合計（中止を除く）{counted}" in back.flat
        assert head.hash in back.flat
        (artifacts / "daily_2000_from_store.pdf").write_bytes((tmp_path / "busy.pdf").read_bytes())
    finally:
        store.close()
