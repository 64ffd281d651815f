"""Tomorrow's bookings checked tonight from the command line, the whole way: a real SQLite store
with patients on file, a bookings CSV, ``main.py bookings check`` against the simulator process
on real folders (処理中 once, answers zipped), the list read back (PDF with pypdf, CSV), and the
audit chain verified with the new event in it."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from policies.bookings import BookingFlag
from policies.bulk_check import BulkProgress, BulkStage
from policies.model import Outcome, VerificationPath
from reader.bulk_check import NO_NUMBERS, run_bulk_check
from reader.terminal import TerminalConfig
from reader.terminal.bulk import BulkSchedule
from reader.terminal.errors import BulkError, BulkTimeout, TerminalConfigError
from storage.bulk_checks import StoreBookings
from storage.errors import InvalidInput
from storage.models import VisitKind
from storage.records import NewPatient, NewVerification, StaffInfo
from storage.reports.pdfkit import UNVERIFIED_BANNER
from storage.store import AuditKind, Store
from tests.reader.terminal.support import INSTITUTION, Simulator
from tests.reader.terminal.test_bulk_bookings import PATIENTS
from tests.storage.reports.pdfcheck import ReadBack, squash
from tests.test_main_cli import run_in_process

DAY = date(2026, 12, 2)
#: The site's administrator logs in: the list shows patients (storage.commands: login).
LOGIN, PASSWORD = ("--user", "admin"), "admin-pass-1\n"
#: Bookings of the day (one unknown chart number) and one of another day, which is left out.
CSV_TEXT = (
    "予約日,予約時刻,カルテ番号,備考\n"
    + "".join(f"2026/12/02,{9 + i}:00,{chart},\n" for i, chart in enumerate(PATIENTS))
    + "2026/12/02,15:00,77777,初診\n"
    + "2026/12/03,09:00,00001,\n"
)
#: The last confirmed answer on file for 00006: 3割 then (the simulator now says 1割).
EARLIER_ANSWER = f"""<?xml version="1.0" encoding="UTF-8"?>
<XmlMsg><MessageHeader><ProcessExecutionTime>20261101100000</ProcessExecutionTime>
<QualificationConfirmationDate>20261101</QualificationConfirmationDate>
<MedicalInstitutionCode>{INSTITUTION}</MedicalInstitutionCode><SegmentOfResult>1</SegmentOfResult>
</MessageHeader><MessageBody><ProcessingResultStatus>1</ProcessingResultStatus>
<QualificationValidity>1</QualificationValidity><ResultList><ResultOfQualificationConfirmation>
<InsurerNumber>39130059</InsurerNumber><InsuredIdentificationNumber>10000010</InsuredIdentificationNumber>
<Name>架空 後期</Name><InsuredPartialContributionRatio>030</InsuredPartialContributionRatio>
</ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>
""".encode()
EXPECTED = {  # chart → (flag, list text)
    "00001": ("ok", "確認済み"),
    "00002": ("ended", "資格喪失"),
    "00003": ("changed", "変更あり（保険者）"),
    "00004": ("not_found", "該当なし"),
    "00005": ("unchecked", "未照会"),
    "00006": ("changed", "変更あり（負担割合）"),
}


@dataclass(frozen=True)
class Site:
    config: Path
    db: Path
    bookings: Path
    out: Path


def file_patients(store: Store, admin: StaffInfo) -> None:
    """The simulator's persons on file, 00006 with the earlier confirmed answer (3割)."""
    for chart, (name, born, insurer, symbol, number, branch) in PATIENTS.items():
        patient = store.create_patient(
            admin,
            NewPatient(chart, name, "カクウ", born, insurer_number=insurer,
                       insured_symbol=symbol, insured_number=number, insured_branch=branch),
        )  # fmt: skip
        if chart == "00006":
            kept = store.save_terminal_result(
                admin,
                raw_xml=EARLIER_ANSWER,
                file_name="earlier.xml",
                arbitrary_file_identifier=None,
                summary={"source": "query"},
                simulated=True,
            )
            visit = store.open_visit(admin, patient.id, VisitKind.OUTPATIENT)
            store.record_verification(
                admin,
                NewVerification(
                    visit.id,
                    VerificationPath.MYNA_GENERAL_READER_PIN,
                    Outcome.CONFIRMED,
                    started_at=datetime(2026, 11, 1, 1, 0, tzinfo=UTC),
                    terminal_result_id=kept.id,
                    simulated=True,
                ),
            )


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """A clinic database with the patients, a config naming it and the terminal folder."""
    db = tmp_path / "clinic.sqlite3"
    with Store.open(str(db), terminal_id="test-pc", backup_dir=tmp_path / "backups") as store:
        file_patients(store, store.create_first_admin("admin", "管理者", "admin-pass-1"))
    root = tmp_path / "oqs"
    config = tmp_path / "madoguchi.toml"
    config.write_text(
        f"[database]\npath = {str(db)!r}\n\n[terminal]\nroot = {str(root)!r}\n"
        f'medical_institution_code = "{INSTITUTION}"\n',
        "utf-8",
    )
    bookings = tmp_path / "予約.csv"
    bookings.write_bytes(CSV_TEXT.encode("cp932"))
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MADOGUCHI_CONFIG", str(tmp_path / "no-config.toml"))
    yield Site(config, db, bookings, tmp_path / "out")


def _event(db: Path, kind: str) -> tuple[int, dict]:
    with Store.open(str(db), terminal_id="test-pc") as store, store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT seq, payload FROM audit_events WHERE kind = ? ORDER BY seq", (kind,)
        ).all()
    assert len(rows) == 1, rows
    return rows[0][0], json.loads(rows[0][1])


def test_bookings_check_prints_each_flag_and_records_the_check(site: Site) -> None:
    site.out.mkdir()
    pdf, list_csv = site.out / "list.pdf", site.out / "list.csv"
    argv = ["bookings", "check", "--csv", str(site.bookings), "--date", DAY.isoformat()]
    argv += ["--out", str(pdf), "--csv-out", str(list_csv), "--config", str(site.config)]
    with Simulator(site.config.parent / "oqs", "--bulk-processing", "1", "--bulk-zip"):
        ran = run_in_process([*argv, "--wait", "0.05", *LOGIN], stdin=PASSWORD)
    assert ran.code == 0, ran
    assert "77777" in ran.out and "[SIMULATED terminal]" in ran.out

    # The chain event: day, reception number, the answer's hash, counts and one entry per booking.
    seq, payload = _event(site.db, AuditKind.BULK_CHECKED)
    assert payload["day"] == DAY.isoformat() and payload["reception_number"]
    assert payload["simulated"] is True and payload["processing_answers"] == 1
    assert payload["answer_file"].endswith(".zip")
    assert payload["counts"] == {"ended": 1, "not_found": 1, "changed": 2, "unchecked": 1, "ok": 1}
    assert {b["chart_number"]: b["flag"] for b in payload["bookings"]} == {
        chart: flag for chart, (flag, _) in EXPECTED.items()
    }
    changes = {b["chart_number"]: b["changes"] for b in payload["bookings"]}
    assert changes["00003"] == ["insurer"] and changes["00006"] == ["ratio"]
    assert payload["rows_not_imported"] == 1
    text = json.dumps(payload, ensure_ascii=False)
    assert "架空" not in text and "10000010" not in text  # no names, no insurance numbers
    # The answer is kept verbatim with its own event; its hash is the one in the check's event.
    with Store.open(str(site.db), terminal_id="test-pc") as store:
        record, raw = store.terminal_result(payload["terminal_result_id"])
        head = store.verify_chain()
    assert hashlib.sha256(raw).hexdigest() == payload["answer_sha256"] == record.sha256
    assert raw[:2] == b"PK" and record.simulated
    assert head.ok

    # The printed list: every flag, the simulated banner on every page, the chain event.
    back = ReadBack.of(pdf)
    assert all("模擬" in page for page in back.pages)
    flat = back.flat
    for _, label in EXPECTED.values():
        assert squash(label) in flat
    assert "77777" in flat and "保険証の番号が未登録" in flat
    assert "負担割合3割→1割" in flat and "新しい保険の資格あり" in flat
    assert f"通番{seq}" in flat and payload["answer_sha256"] in flat
    assert "架空○○" in flat and "架空太郎" not in flat  # masked as the daily log (partial)

    # The CSV: one row per booking of the day, in time order, flagged rows marked.
    rows = list(csv.DictReader(io.StringIO(list_csv.read_text("utf-8-sig"))))
    assert [r["カルテ番号"] for r in rows] == list(PATIENTS)
    assert {r["カルテ番号"]: (r["結果コード"], r["結果"]) for r in rows} == EXPECTED
    assert [r["要確認"] for r in rows] == ["0", "1", "1", "1", "1", "1"]
    assert rows[5]["変更項目"] == "ratio" and all(r["模擬"] == "1" for r in rows)
    assert rows[5]["備考"] == "負担割合 3割→1割" and rows[0]["備考"] == ""

    verified = run_in_process(["audit", "verify", "--config", str(site.config)])
    assert verified.code == 0 and verified.out.startswith("OK:"), verified


def test_a_bad_bookings_path_is_one_line_and_asks_nothing(site: Site) -> None:
    site.out.mkdir()
    missing = site.bookings.with_name("missing.csv")
    argv = ["bookings", "check", "--csv", str(missing), "--date", DAY.isoformat()]
    ran = run_in_process([*argv, "--out", str(site.out / "x.pdf"), "--config", str(site.config)])
    assert ran.code == 2 and "Traceback" not in ran.err
    assert ran.err.count("\n") == 1 and ran.err.startswith("error: ") and "missing.csv" in ran.err
    assert not (site.config.parent / "oqs" / "req").exists()  # the terminal was never asked
    assert list(site.out.iterdir()) == []
    kept = site.out / "keep.bak"
    kept.write_bytes(b"an older backup")
    argv[3] = str(site.bookings)
    for outs in (["--out", str(kept)], ["--out", str(site.out / "x.pdf"), "--csv-out", str(kept)]):
        ran = run_in_process([*argv, *outs, "--config", str(site.config)])
        assert ran.code == 2 and ran.err.count("\n") == 1 and f"{kept} already exists" in ran.err
    assert not (site.config.parent / "oqs" / "req").exists()
    assert list(site.out.iterdir()) == [kept] and kept.read_bytes() == b"an older backup"


def _config(root: Path) -> TerminalConfig:
    return TerminalConfig(
        root=root, data_dir=root.parent / "data", medical_institution_code=INSTITUTION
    )


def _events(db: Path, kind: str) -> int:
    with Store.open(str(db), terminal_id="test-pc") as store, store.engine.connect() as conn:
        return conn.exec_driver_sql(
            "SELECT count(*) FROM audit_events WHERE kind = ?", (kind,)
        ).scalar_one()


def test_stop_ends_the_wait_withdraws_the_request_and_records_nothing(site: Site) -> None:
    root = site.config.parent / "silent-oqs"  # a terminal that never answers
    for sub in ("req", "res"):
        (root / sub).mkdir(parents=True)
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    store = Store.open(str(site.db), terminal_id="test-pc")
    with store, pytest.raises(BulkError, match=r"stopped.*withdrawn"):
        run_bulk_check(StoreBookings(store), _config(root), site.bookings, DAY, stop=stop)
    assert list((root / "req").iterdir()) == []
    assert _events(site.db, AuditKind.BULK_CHECKED) == 0


def test_without_numbers_on_file_the_terminal_is_not_asked(site: Site) -> None:
    only = site.bookings.with_name("only-00005.csv")
    only.write_text("予約日,カルテ番号\n2026-12-02,00005\n", "utf-8")
    root = site.config.parent / "absent-oqs"
    with Store.open(str(site.db), terminal_id="test-pc") as store:
        run = run_bulk_check(StoreBookings(store), _config(root), only, DAY)
    assert not root.exists() and run.reception_number is None and run.answer_sha256 is None
    (row,) = run.rows
    assert (row.flag, row.note) == (BookingFlag.UNCHECKED, NO_NUMBERS)
    assert run.chain_seq is not None and _events(site.db, AuditKind.BULK_CHECKED) == 1


def test_a_desk_without_a_terminal_folder_is_refused_before_the_list_is_read(site: Site) -> None:
    missing = site.bookings.with_name("not-there.csv")  # read first, it would fail differently
    store = Store.open(str(site.db), terminal_id="test-pc")
    with store, pytest.raises(TerminalConfigError, match="資格確認限定型"):
        run_bulk_check(StoreBookings(store), None, missing, DAY)
    assert _events(site.db, AuditKind.BULK_CHECKED) == 0


def test_ctrl_c_on_the_command_line_withdraws_the_request(site: Site) -> None:
    root = site.config.parent / "silent-oqs"  # a terminal that never answers
    for sub in ("req", "res"):
        (root / sub).mkdir(parents=True)
    config = site.config.with_name("silent.toml")
    config.write_text(
        site.config.read_text("utf-8").replace(str(site.config.parent / "oqs"), str(root)), "utf-8"
    )

    def interrupt_once_asked() -> None:
        deadline = time.monotonic() + 20
        while not any((root / "req").iterdir()) and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGINT)  # as Ctrl+C in the terminal window

    site.out.mkdir()
    threading.Thread(target=interrupt_once_asked, daemon=True).start()
    argv = ["bookings", "check", "--csv", str(site.bookings), "--date", DAY.isoformat()]
    ran = run_in_process(
        [*argv, "--out", str(site.out / "l.pdf"), "--config", str(config), *LOGIN], stdin=PASSWORD
    )
    assert ran.code == 2 and ran.err.count("\n") == 1, ran
    assert ran.err.startswith("error: ") and "stopped" in ran.err and "withdrawn" in ran.err
    assert list((root / "req").iterdir()) == [] and list(site.out.iterdir()) == []
    assert _events(site.db, AuditKind.BULK_CHECKED) == 0
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored


def test_still_processing_at_the_deadline_names_the_job(site: Site) -> None:
    schedule = BulkSchedule(waits_s=(0.05,), deadline_s=0.01)
    store = Store.open(str(site.db), terminal_id="test-pc")
    root = site.config.parent / "oqs"
    late = pytest.raises(BulkTimeout, match=r"処理中.*\(ReceptionNumber \S+, kept")
    seen: list[BulkProgress] = []
    with store, Simulator(root, "--bulk-processing", "5"), late as caught:
        port = StoreBookings(store)
        run_bulk_check(
            port, _config(root), site.bookings, DAY, schedule=schedule, progress=seen.append
        )
    number = caught.value.reception_number
    assert number and number in str(caught.value)
    # Each step was told as it happened: sent, accepted with the job's number, one 処理中.
    assert seen == [
        BulkProgress(BulkStage.SENT),
        BulkProgress(BulkStage.ACCEPTED, number),
        BulkProgress(BulkStage.PROCESSING, number, 1),
    ]
    assert _events(site.db, AuditKind.BULK_CHECKED) == 0
    _, kept = _event(site.db, AuditKind.BULK_PENDING)  # kept to resume
    assert kept["reception_number"] == caught.value.reception_number


def test_a_download_that_gave_up_is_resumed_once(site: Site) -> None:
    """The job takes longer than the first run's deadline: that run fails (exit 2, one line) and
    keeps the ReceptionNumber in the chain; ``--resume`` sends only the download request for it
    and records the result; resuming again records nothing."""
    site.out.mkdir()
    argv = ["bookings", "check", "--csv", str(site.bookings), "--date", DAY.isoformat()]
    argv += ["--config", str(site.config), *LOGIN]
    data = site.config.parent / "data"
    with Simulator(site.config.parent / "oqs", "--bulk-ready-ms", "2500"):
        first = run_in_process(
            [*argv, "--out", str(site.out / "1.pdf"), "--wait", "0.1", "--deadline", "0.5"],
            stdin=PASSWORD,
        )
        assert first.code == 2 and first.err.count("\n") == 1 and "処理中" in first.err, first
        seq, pending = _event(site.db, AuditKind.BULK_PENDING)
        number = pending["reception_number"]
        assert pending["day"] == DAY.isoformat() and pending["processing_answers"] >= 1
        assert f"ReceptionNumber {number}, kept" in first.err
        assert _events(site.db, AuditKind.BULK_CHECKED) == 0 and not (site.out / "1.pdf").exists()

        resumed = run_in_process(
            [*argv, "--out", str(site.out / "2.pdf"), "--resume", "--wait", "0.2"], stdin=PASSWORD
        )
        assert resumed.code == 0, resumed
        assert f"[resumed ReceptionNumber {number}]" in resumed.out
        again = run_in_process(
            [*argv, "--out", str(site.out / "3.pdf"), "--resume", "--wait", "0.2"], stdin=PASSWORD
        )
    checked_seq, checked = _event(site.db, AuditKind.BULK_CHECKED)
    assert checked_seq > seq and checked["reception_number"] == number and checked["resumed"]
    assert {b["chart_number"]: b["flag"] for b in checked["bookings"]} == {
        chart: flag for chart, (flag, _) in EXPECTED.items()
    }
    assert again.code == 2 and again.err.count("\n") == 1, again
    assert "no 一括照会 of 2026-12-02 is waiting" in again.err
    assert _events(site.db, AuditKind.BULK_PENDING) == 1  # both checks found, nothing added
    assert sorted(p.name for p in site.out.iterdir()) == ["2.pdf"]
    archived = [p.name for p in data.rglob("OQSmuquc0*") if p.is_file()]
    assert sum(n.startswith("OQSmuquc01res") for n in archived) == 1  # one job was ever sent
    with Store.open(str(site.db), terminal_id="test-pc") as store:
        assert store.verify_chain().ok


def test_a_recorded_reception_number_is_not_recorded_again(site: Site) -> None:
    """Two downloads of one job racing: the second record is refused, no second event."""
    root = site.config.parent / "oqs"
    with Store.open(str(site.db), terminal_id="test-pc") as store, Simulator(root):
        port = StoreBookings(store)
        run = run_bulk_check(port, _config(root), site.bookings, DAY)
        with pytest.raises(InvalidInput, match=r"recorded already \(chain seq \d+\)"):
            port.record(run, None)
    assert _events(site.db, AuditKind.BULK_CHECKED) == 1


def test_a_list_of_records_that_do_not_verify_is_refused_or_bannered(site: Site) -> None:
    """A patient's name changed behind the application's back: refused with exit 3 before the
    terminal is asked; with --print-unverified the list prints under the red banner on every
    page, the CSV's first line saying so."""
    with Store.open(str(site.db), terminal_id="test-pc") as store, store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE patients SET name = '偽 名前' WHERE chart_number = '00001'")
    site.out.mkdir()
    pdf, list_csv = site.out / "list.pdf", site.out / "list.csv"
    argv = ["bookings", "check", "--csv", str(site.bookings), "--date", DAY.isoformat()]
    argv += ["--out", str(pdf), "--csv-out", str(list_csv), "--config", str(site.config), *LOGIN]
    refused = run_in_process(argv, stdin=PASSWORD)
    assert refused.code == 3 and "refused: " in refused.err and "patients id" in refused.err
    assert not (site.config.parent / "oqs" / "req").exists()  # the terminal was never asked
    assert list(site.out.iterdir()) == []
    with Simulator(site.config.parent / "oqs", "--bulk-zip"):
        ran = run_in_process([*argv, "--wait", "0.05", "--print-unverified"], stdin=PASSWORD)
    assert ran.code == 0, ran
    assert "WARNING: printing UNVERIFIED records" in ran.err
    pages = ReadBack.of(pdf).pages
    assert pages and all(squash(UNVERIFIED_BANNER) in squash(p) for p in pages)
    assert all(squash("（改ざんの可能性：表 patients、番号") in squash(p) for p in pages)
    first = list_csv.read_text("utf-8-sig").splitlines()[0]
    assert first.startswith(UNVERIFIED_BANNER) and "（改ざんの可能性：表 patients、番号" in first
