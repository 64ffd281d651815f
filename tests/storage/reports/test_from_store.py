"""Reports built from a real database (SQLite and PostgreSQL) through the adapters and exports.

The demo history is written through the Store API; each printout is read back and compared
with what the Store itself answers (rows, totals, rate, chain head) and with the audit chain
(every export is an event carrying the file's SHA-256).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from policies.dates import JST
from policies.model import Outcome, VerificationPath
from resources.policies import shipped_rulebook
from storage.models import AuditEvent, VisitKind
from storage.records import NewPatient, NewVerification
from storage.reports import exports, from_store
from storage.reports.csvout import DAILY_COLUMNS, MONTHLY_COLUMNS
from storage.reports.daily import EMPTY_DAY, render_daily_log
from storage.reports.errors import ReportOutputError
from storage.reports.exports import export_daily, export_monthly
from storage.reports.model import PatientMasking
from storage.reports.usage import MYNA_CARD_PATHS, UsageRate, daily_rate
from storage.store import Store
from tests.storage.reports.conftest import DemoDb
from tests.storage.reports.pdfcheck import (
    ReadBack,
    assert_fonts_embedded,
    assert_page_furniture,
    assert_rows_in_order,
    dark_fraction,
    render_png,
    squash,
)


@pytest.fixture(scope="module")
def rulebook():  # type: ignore[no-untyped-def]
    return shipped_rulebook()


def exported_events(store: Store) -> list[dict]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(AuditEvent.payload).where(AuditEvent.kind == "exported").order_by(AuditEvent.seq)
        ).all()
    return [json.loads(r[0]) for r in rows]


def busiest_day(db: DemoDb) -> date:
    return max(db.history.per_day, key=lambda d: (db.history.per_day[d], d))


def test_daily_log_matches_the_store(demo_db: DemoDb, font, tmp_path: Path, artifacts) -> None:
    store, day = demo_db.store, busiest_day(demo_db)
    stored = store.verifications_between(day, day)
    assert len(stored) == demo_db.history.per_day[day] >= 4

    later = datetime.combine(day + timedelta(days=3), time(9, 0), JST)  # the day is over
    data, done = export_daily(
        store, day, tmp_path / "daily.pdf", csv=tmp_path / "daily.csv", font=font, now=later
    )
    # rows: the store's, in its time order, with birth dates looked up for masking
    assert [r.record_id for r in data.rows] == [str(s.verification_id) for s in stored]
    assert all(r.patient.birth_date is not None for r in data.rows)
    assert data.day_closed and set(data.terminals) <= {"受付1", "受付2"}
    assert data.facility.name == store.facility_profile().name  # type: ignore[union-attr]
    # the head printed is the Store's head for the end of that day
    head = store.chain_head(day)
    assert head is not None and data.chain_head is not None
    assert (data.chain_head.seq, data.chain_head.hash_hex) == (head.seq, head.hash)

    pdf = tmp_path / "daily.pdf"
    back = ReadBack.of(pdf)
    assert_rows_in_order(back, data, PatientMasking.PARTIAL)
    assert_page_furniture(back, simulated=data.any_simulated)
    assert_fonts_embedded(back)
    flat = back.flat
    counted = [s for s in stored if s.outcome is not Outcome.ABANDONED]
    assert f"合計（中止を除く）{len(counted)}" in flat
    myna = sum(s.path in MYNA_CARD_PATHS for s in counted)
    rate = daily_rate(data.rows)
    assert (rate.myna, rate.total) == (myna, len(counted))
    assert f"マイナ保険証利用率（当日）：{myna}件／{len(counted)}件＝{rate.percent_text()}" in flat
    assert head.hash in squash(back.pages[-1]) and f"通番{head.seq}" in flat
    assert "監査チェーン末尾（当日終了時点）" in flat
    if demo_db.url.startswith("sqlite"):
        png = render_png(pdf, "daily_from_store")
        assert dark_fraction(png) > 0.01
        (artifacts / "daily_from_store.pdf").write_bytes(pdf.read_bytes())

    # CSV: BOM, columns, one line per row, the same ids
    raw = (tmp_path / "daily.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
    assert tuple(rows[0]) == DAILY_COLUMNS
    assert [r[3] for r in rows[1:]] == [str(s.verification_id) for s in stored]

    # each file is in the audit chain with its hash
    events = exported_events(store)[-2:]
    assert [e["sha256"] for e in events] == [e.sha256 for e in done]
    assert events[0]["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert events[0]["what"] == f"daily_log {day.isoformat()} masking=partial"
    assert store.verify_chain().ok


def test_past_day_reprints_identically_after_later_events(
    demo_db: DemoDb, font, tmp_path: Path
) -> None:
    store, day = demo_db.store, demo_db.history.days[3]
    export_daily(store, day, tmp_path / "a.pdf", font=font)
    head_before = store.chain_head(day)
    # The export itself, a new patient and a new verification: all on later days (the demo
    # store's clock follows real time once seeded; the history ended before).
    actor = demo_db.history.staff[0]
    patient = store.create_patient(actor, NewPatient("LATER-1", "後日 追加", "ゴジツ ツイカ"))
    visit = store.open_visit(actor, patient.id, VisitKind.OUTPATIENT)
    store.record_verification(
        actor,
        NewVerification(
            visit.id,
            VerificationPath.MYNA_FACE_READER,
            Outcome.CONFIRMED,
            started_at=datetime.now(JST) - timedelta(seconds=30),
        ),
    )
    export_daily(store, day, tmp_path / "b.pdf", font=font)
    assert store.chain_head(day) == head_before
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


def test_day_without_records_prints_an_empty_log(demo_db: DemoDb, font, tmp_path: Path) -> None:
    store = demo_db.store
    sunday = next(
        d
        for d in (demo_db.history.days[0] + timedelta(days=i) for i in range(14))
        if d.weekday() == 6
    )
    data, _ = export_daily(store, sunday, tmp_path / "sunday.pdf", font=font)
    assert data.rows == ()
    saturday = sunday - timedelta(days=1)
    # no event on Sunday: its head is Saturday's
    assert data.chain_head is not None and store.chain_head(saturday) is not None
    assert data.chain_head.hash_hex == store.chain_head(saturday).hash  # type: ignore[union-attr]
    back = ReadBack.of(tmp_path / "sunday.pdf")
    assert squash(EMPTY_DAY) in back.flat and "合計（中止を除く）0" in back.flat
    assert_fonts_embedded(back)
    before = from_store.daily_log(store, date(2020, 1, 6))  # before the database existed
    assert before.rows == () and before.chain_head is None


def test_a_file_that_appears_after_the_check_is_refused_not_replaced(
    demo_db: DemoDb, font, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = tmp_path / "daily.pdf"
    theirs = b"written meanwhile by another program"
    query = from_store.daily_log

    def another_program_writes(*args, **kwargs):  # type: ignore[no-untyped-def]
        pdf.write_bytes(theirs)  # after export_daily looked for the file, before it writes
        return query(*args, **kwargs)

    monkeypatch.setattr(from_store, "daily_log", another_program_writes)
    before = len(exported_events(demo_db.store))
    with pytest.raises(ReportOutputError) as refused:
        export_daily(demo_db.store, busiest_day(demo_db), pdf, font=font)
    assert str(refused.value) == f"{pdf} already exists (a report is written only to a new file)"
    assert pdf.read_bytes() == theirs and list(tmp_path.iterdir()) == [pdf]
    assert len(exported_events(demo_db.store)) == before


def test_a_failed_render_leaves_no_file_and_records_nothing(
    demo_db: DemoDb, font, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def half_a_render(data, out, **kwargs):  # type: ignore[no-untyped-def]
        out.write(b"%PDF-1.4 half")
        raise MemoryError("out of memory mid-render")

    monkeypatch.setattr(exports, "render_daily_log", half_a_render)
    before = len(exported_events(demo_db.store))
    with pytest.raises(MemoryError):
        export_daily(demo_db.store, busiest_day(demo_db), tmp_path / "daily.pdf", font=font)
    assert list(tmp_path.iterdir()) == [] and len(exported_events(demo_db.store)) == before


def test_today_is_marked_as_not_final(demo_db: DemoDb, font) -> None:
    day = demo_db.history.days[-1]
    noon = datetime.combine(day, time(12, 0), JST)
    data = from_store.daily_log(demo_db.store, day, now=noon)
    assert not data.day_closed
    buf = io.BytesIO()
    render_daily_log(data, buf, font=font)
    assert "監査チェーン末尾（印刷時点・当日は未終了）" in ReadBack.of(buf.getvalue()).flat


def test_monthly_usage_matches_the_store(
    demo_db: DemoDb, rulebook, font, tmp_path: Path, artifacts
) -> None:
    store = demo_db.store
    data, done = export_monthly(
        store,
        rulebook,
        2026,
        10,
        tmp_path / "m.pdf",
        as_of=date(2026, 11, 21),
        csv=tmp_path / "m.csv",
        font=font,
    )
    stored = store.verifications_between(date(2026, 10, 1), date(2026, 10, 31))
    counted = [s for s in stored if s.outcome is not Outcome.ABANDONED]
    assert sum(c.count for c in data.day_counts) == len(counted)
    from_report: Counter[VerificationPath] = Counter()
    for c in data.day_counts:
        from_report[c.path] += c.count
    assert from_report == Counter(s.path for s in counted)
    assert data.simulated_count == sum(s.simulated for s in stored)
    # the history starts at the first month with records (September 2026)
    assert [(m.year, m.month) for m in data.history] == [(2026, 9)]
    september = store.verifications_between(date(2026, 9, 1), date(2026, 9, 30))
    assert data.history[0].total_count == sum(s.outcome is not Outcome.ABANDONED for s in september)
    # thresholds: 2026-10's rate counts for billing Jan–Mar 2027 (R8 改定, single source)
    assert data.thresholds and all(t.period == "2027年1月・2月・3月算定分" for t in data.thresholds)
    assert all(t.required_rate is not None and not t.unverified for t in data.thresholds)
    assert any("3〜5か月前" in n for n in data.notes)

    back = ReadBack.of(tmp_path / "m.pdf")
    flat = back.flat
    myna = sum(s.path in MYNA_CARD_PATHS for s in counted)
    rate = UsageRate(myna, len(counted))
    assert f"当月のマイナ保険証利用率：{myna}件／{len(counted)}件＝{rate.percent_text()}" in flat
    assert "2027年1月・2月・3月算定分" in flat and "R8-KAITEI-DX" in flat
    assert_fonts_embedded(back)
    if demo_db.url.startswith("sqlite"):
        (artifacts / "monthly_from_store.pdf").write_bytes((tmp_path / "m.pdf").read_bytes())
    raw = (tmp_path / "m.csv").read_bytes()
    lines = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
    assert raw.startswith(b"\xef\xbb\xbf") and tuple(lines[0]) == MONTHLY_COLUMNS
    assert sum(int(r[4]) for r in lines[1:]) == len(counted)
    assert [e.path.name for e in done] == ["m.pdf", "m.csv", "m_trend.csv", "m_thresholds.csv"]
    assert [e["sha256"] for e in exported_events(store)[-4:]] == [e.sha256 for e in done]


def test_declaration_prefilled_from_the_patient_on_file(demo_db: DemoDb, rulebook) -> None:
    store = demo_db.store
    patient = store.find_patients("00001")[0]
    form = from_store.self_declaration(
        store, rulebook, on=date(2026, 11, 20), patient_id=patient.id, reason="no_record"
    )
    assert (form.name, form.kana, form.chart_no) == (patient.name, patient.kana, "00001")
    assert form.birth_date == patient.birth_date and form.sex == patient.sex
    assert form.facility.name == store.facility_profile().name  # type: ignore[union-attr]
    assert form.basis[0].startswith("根拠：") and "MHLW-T230710" in " ".join(form.basis)
    age = (date(2026, 11, 20) - patient.birth_date).days / 365.25  # type: ignore[operator]
    if age >= 70:
        assert form.burden_percent is None  # 1〜3割: depends on income, left to the patient
    elif age < 6:
        assert form.burden_percent == 20
    else:
        assert form.burden_percent == 30
    blank = from_store.self_declaration(store, rulebook, on=None)
    assert blank.name == "" and blank.declared_on is None and blank.burden_percent is None


def test_daily_log_carries_the_unmapped_elements_of_each_kept_answer(store: Store, admin) -> None:
    """The reader notes them in the kept answer's summary; the daily log reads them back."""
    pid = store.create_patient(admin, NewPatient("U001", "見本 花子", "ミホン ハナコ")).id
    visit = store.open_visit(admin, pid, VisitKind.OUTPATIENT)
    paths = ["XmlMsg/MessageBody/ResultList/ResultOfQualificationConfirmation/NewThing"]

    def verification(summary: dict | None) -> None:
        kept = None
        if summary is not None:
            kept = store.save_terminal_result(
                None,
                raw_xml=b"<XmlMsg/>",
                file_name="f.xml",
                arbitrary_file_identifier=None,
                summary=summary,
                simulated=False,
            ).id
        started = datetime.now(JST)
        store.record_verification(
            admin,
            NewVerification(
                visit.id,
                VerificationPath.MYNA_FACE_READER,
                Outcome.CONFIRMED,
                started,
                terminal_result_id=kept,
            ),
        )

    verification({"source": "face", "unmapped": paths})
    verification({"source": "face", "unmapped": []})
    verification({"source": "face"})  # kept before the reader noted them
    verification(None)  # no answer kept
    data = from_store.daily_log(store, datetime.now(JST).date())
    assert [r.unmapped_elements for r in data.rows] == [tuple(paths), (), None, None]


def test_a_change_committed_after_the_check_never_shows_in_the_printout(
    store: Store, admin, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A printout's check and the rows it prints are one snapshot (``Store.read_snapshot``):
    a path changed behind the application's back the moment the check passed is not printed
    under that check; the log shows the database as it was checked, and the next check names
    the change."""
    pid = store.create_patient(admin, NewPatient("S001", "見本 花子", "ミホン ハナコ")).id
    visit = store.open_visit(admin, pid, VisitKind.HOME_VISIT)
    started = datetime.now(JST)
    path = VerificationPath.HOME_VISIT_REQUERY
    store.record_verification(admin, NewVerification(visit.id, path, Outcome.CONFIRMED, started))
    check = store.verify_chain

    def changed_right_after(**kwargs: object):  # type: ignore[no-untyped-def]
        result = check(**kwargs)  # type: ignore[arg-type]
        with store.engine.begin() as conn:  # another connection, committed
            conn.exec_driver_sql("UPDATE verification_attempts SET path = 'myna_face_reader'")
        return result

    monkeypatch.setattr(store, "verify_chain", changed_right_after)
    data = from_store.daily_log(store, started.date())
    assert data.unverified is None and [r.path for r in data.rows] == [path]
    monkeypatch.undo()
    after = store.verify_chain()
    assert not after.ok and after.rows is not None
    assert [(p.table, p.field) for p in after.rows.problems] == [("verification_attempts", "path")]
