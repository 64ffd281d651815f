"""Paper as the second witness: the daily log prints the head as text and QR code, and
``audit check-paper`` tells whether the chain still holds that event with that hash."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from policies.dates import JST
from storage.errors import InvalidInput
from storage.paper import PaperMark, check_paper, parse_paper
from storage.records import StaffInfo
from storage.reports import from_store
from storage.reports.daily import QrCode, paper_text, render_daily_log
from storage.store import Store
from tests.storage.conftest import SQLITE_ONLY, run_main
from tests.storage.test_chain_tamper import attacker


def printed(store: Store) -> tuple[str, bytes]:
    """Today's daily log, printed after the day ended: its 照合コード and the PDF."""
    day = datetime.now(JST).date()
    data = from_store.daily_log(store, day, now=datetime.now(JST) + timedelta(days=1))
    assert data.chain_head is not None
    out = io.BytesIO()
    render_daily_log(data, out)
    return paper_text(data, data.chain_head), out.getvalue()


def test_the_daily_log_prints_the_head_as_text_and_qr(store: Store, admin: StaffInfo) -> None:
    code, pdf = printed(store)
    head = store.verify_chain().head
    assert head is not None
    mark = parse_paper(code)
    assert (mark.seq, mark.hash) == (head.seq, head.hash) and mark.facility_code == "-"
    page = "".join(PdfReader(io.BytesIO(pdf)).pages[-1].extract_text().split())
    assert "".join(code.split()) in page
    qr = QrCode(code)  # what the page draws: the same text, a square module matrix
    assert qr.value == code and len(qr.modules) >= 21
    assert all(len(row) == len(qr.modules) for row in qr.modules)
    assert store.check_paper(code).ok


def test_a_rewritten_or_truncated_chain_fails_the_printed_head(
    store: Store, admin: StaffInfo
) -> None:
    code, _ = printed(store)
    mark = parse_paper(code)
    other = PaperMark(mark.facility_code, mark.day, mark.seq, "0" * 64).text()
    assert store.check_paper(other).message.startswith("DIFFERENT")
    with attacker(store) as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq >= :s"), {"s": mark.seq})
        assert check_paper(conn, mark).message.startswith("MISSING")


@pytest.mark.parametrize(
    "bad", ["", "MDGC1 1312345678 2026-02-30 5 " + "a" * 64, "MDGC1 x 2026-01-01 5 abc"]
)
def test_unreadable_paper_text_is_refused_clearly(bad: str) -> None:
    with pytest.raises(InvalidInput, match=r"Madoguchi daily-log head|does not exist"):
        parse_paper(bad)


def test_scanned_text_with_extra_spaces_reads() -> None:
    mark = parse_paper("  MDGC1  1312345678 2026-11-20   42 " + "ab" * 32 + "\n")
    assert mark == PaperMark("1312345678", date(2026, 11, 20), 42, "ab" * 32)


@SQLITE_ONLY
def test_cli_check_paper(store: Store, admin: StaffInfo, db_url: str) -> None:
    code, _ = printed(store)
    ok = run_main("audit", "check-paper", *code.split(), "--db", db_url)
    assert ok.returncode == 0 and ok.stdout.startswith("OK"), ok.stdout + ok.stderr
    mark = parse_paper(code)
    forged = PaperMark(mark.facility_code, mark.day, mark.seq, "1" * 64).text()
    bad = run_main("audit", "check-paper", forged, "--db", db_url)
    assert bad.returncode == 1 and bad.stdout.startswith("DIFFERENT")
    garbage = run_main("audit", "check-paper", "hello", "--db", db_url)
    assert garbage.returncode == 2 and "daily-log head" in garbage.stderr
