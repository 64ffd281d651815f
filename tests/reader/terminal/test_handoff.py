"""Hand-off to the receipt computer: real folders, read back with the project's parser and checked
against what the third-party readers (MynaReception, OQSDrug2, sikakuxml, myclinic-ts, smart-test)
expect of a face file."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import re
import threading
import time
from datetime import date, datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import text
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from policies.model import VerificationPath
from reader.terminal import TerminalConfig, TerminalConfigError, parse_limited_app_text
from reader.terminal.codes import CharacterCode
from reader.terminal.config import HandOffConfig, RequestEncoding
from reader.terminal.handoff import (
    CSV_COLUMNS,
    GETA,
    MAX_NAME_ATTEMPTS,
    HandOff,
    HandOffFailed,
    HandOffFormat,
    hand_off,
)
from reader.terminal.parser import parse_result
from reader.terminal.results import QualificationResult, ResultSource
from reader.terminal.simmark import SIM_COMMENT, SIM_INFO_ELEMENT, SIM_MARK_ELEMENT
from reader.terminal_sim.persons import load_population
from reader.terminal_sim.render import AnswerContext, render_result
from storage.engine import sqlite_url
from storage.store import AuditKind, Store
from tests.reader.terminal.support import INSTITUTION, REPO

FIXTURES = REPO / "tests" / "reader" / "terminal" / "fixtures"
POPULATION = load_population()
NOW = datetime(2026, 12, 1, 9, 30, 15)
#: MynaReception's face watcher takes exactly these names (FaceCaptureMonitor).
MYNA_RECEPTION_NAME = re.compile(r"\AOQSsiquc01res_face_.+_(\d{14})\.xml\Z")

#: Element names the third-party readers and writers use, by source (research notes §2.2).
THIRD_PARTY_NAMES = {
    # myclinic-ts MessageHeader.ts / MessageBody.ts; OQSDrug2 QualificationFaceExporter.cs.
    "XmlMsg",
    "MessageHeader",
    "ProcessExecutionTime",
    "QualificationConfirmationDate",
    "MedicalInstitutionCode",
    "ArbitraryFileIdentifier",
    "ReferenceClassification",
    "SegmentOfResult",
    "ErrorCode",
    "ErrorMessage",
    "CharacterCodeIdentifier",
    "MessageBody",
    "ProcessingResultStatus",
    "ResultList",
    "ResultOfQualificationConfirmation",
    # smart-test Domain/Models/Online/QualificationConfirmation, myclinic-ts MessageBody comments.
    "ProcessingResultCode",
    "ProcessingResultMessage",
    "QualificationValidity",
    "PrescriptionIssueSelect",
    "QualificationConfirmSearchInfo",
    "ArbitraryIdentifier",
    # OQSDrug2's face writer (the record, in its order), MynaReception FaceXmlParser, sikakuxml.
    "InsuredCardClassification",
    "InsurerNumber",
    "InsuredCardSymbol",
    "InsuredIdentificationNumber",
    "InsuredBranchNumber",
    "PersonalFamilyClassification",
    "InsuredName",
    "Name",
    "NameOfOther",
    "NameKana",
    "NameOfOtherKana",
    "Sex1",
    "Sex2",
    "Birthdate",
    "Address",
    "PostNumber",
    "QualificationDate",
    "DisqualificationDate",
    "InsuredCertificateIssuanceDate",
    "InsuredCardValidDate",
    "InsuredCardExpirationDate",
    "InsuredPartialContributionRatio",
    "PreschoolClassification",
    "ReasonOfLoss",
    "InsurerName",
    "ElderlyRecipientCertificateInfo",
    "ElderlyRecipientCertificateDate",
    "ElderlyRecipientValidStartDate",
    "ElderlyRecipientValidEndDate",
    "ElderlyRecipientContributionRatio",
    "LimitApplicationCertificateRelatedConsFlg",
    "LimitApplicationCertificateRelatedConsTime",
    "LimitApplicationCertificateRelatedInfo",
    "LimitApplicationCertificateClassification",
    "LimitApplicationCertificateClassificationFlag",
    "LimitApplicationCertificateDate",
    "LimitApplicationCertificateValidStartDate",
    "LimitApplicationCertificateValidEndDate",
    "LimitApplicationCertificateLongTermDate",
    "SpecificDiseasesCertificateRelatedConsFlg",
    "SpecificDiseasesCertificateRelatedConsTime",
    "SpecificDiseasesCertificateList",
    "SpecificDiseasesCertificateInfo",
    "SpecificDiseasesDiseaseCategory",
    "SpecificDiseasesCertificateDate",
    "SpecificDiseasesValidStartDate",
    "SpecificDiseasesValidEndDate",
    "SpecificDiseasesSelfPay",
    "PublicExpenseResultList",
    "MedicalTicketInfo",
    "TicketType",
    "MedicalTicketValidDate",
    "MedicalTicketExpirationDate",
    "IssueNumber",
    "MedicalTreatmentMonth",
    "DesignatedMedicalInstitutionCode",
    "DesignatedMedicalInstitutionFlag",
    "DesignatedMedicalInstitutionName",
    "PrescriptionIssuerMedicalInstitutionCode",
    "PrescriptionIssuerMedicalInstitutionName",
    "InjuryName1",
    "InjuryName2",
    "InjuryName3",
    "MedicalTreatmentType",
    "SelfPayAmount",
    "DistrictContactName",
    "HandlingContactName",
    "SingleOrCombinedUse",
    "StatusOfSocialInsurance",
    "ConsistencyFlag",
    "StatusOfInfecton",
    "StatusOfElderlyMedicalCare",
    "StatusOfPrefecturalExpenses",
    "Remarks1",
    "Remarks2",
    "Remarks3",
    "ReferenceNumber",
    # 閲覧同意 (hangilc face sample, smart-test); OQSDrug2 reads 医療扶助 numbers under these three.
    *(
        f"{prefix}{part}"
        for prefix in (
            "SpecificHealthCheckupsInfo",
            "PharmacistsInfo",
            "PharmaceuticalInfo",
            "DiagnosisInfo",
            "OperationInfo",
        )
        for part in ("ConsFlg", "ConsTime", "AvailableTime")
    ),
    "PublicExpenseNumber",
    "BeneficiaryNumber",
    "WelfareOfficeName",
}
#: PMH 公費 entries: no public implementation writes them; the simulator's names (results.py).
UNVERIFIED_NAMES = {
    "PublicExpenseInfo",
    "PublicExpenseName",
    "PublicExpenseValidStartDate",
    "PublicExpenseValidEndDate",
    "PublicExpenseSelfPayLimit",
}


def simulated(card_id: str, *, reference: str = "1", query: bool = False) -> QualificationResult:
    """A result as the simulator answers it (face: with consents; query: with the echo)."""
    person = POPULATION.by_card(card_id)
    assert person is not None
    ctx = AnswerContext(
        now=NOW,
        institution_code=INSTITUTION,
        encoding=RequestEncoding.UTF8,
        reference_classification=reference,
        file_id="20261201093000123456" if query else None,
        limit_consent=True,
        with_consents=not query,
        sim_info={"Channel": "query" if query else "face"},
    )
    echo = (
        {"InsurerNumber": person.insurer_number or "", "Birthdate": "19800101"} if query else None
    )
    data = render_result([person], ctx, POPULATION, search_echo=echo)
    return parse_result(data, source=ResultSource.QUERY if query else ResultSource.FACE)


def received(name: str, source: ResultSource = ResultSource.FACE) -> QualificationResult:
    """A file shaped like a third-party one (tests/…/fixtures/layouts)."""
    path = FIXTURES / "layouts" / name
    return parse_result(path.read_bytes(), source=source, file_name=name)


def pasted(name: str = "tabs_halfwidth.txt") -> QualificationResult:
    text = (FIXTURES / "limited_app" / name).read_text("utf-8")
    return parse_limited_app_text(text, received_on=date(2026, 12, 1))


#: Every kind of confirmed result, with how it was confirmed.
KINDS = {
    "face_reader": (lambda: simulated("demo-14"), VerificationPath.MYNA_FACE_READER),
    "face_reader_diseases": (lambda: simulated("demo-18"), VerificationPath.MYNA_FACE_READER),
    "face_file_oqsdrug2": (
        lambda: received("oqsdrug2_face_export_sjis_cci0.xml"),
        VerificationPath.MYNA_FACE_READER,
    ),
    "general_reader": (lambda: simulated("demo-13"), VerificationPath.MYNA_GENERAL_READER_PIN),
    "number_query": (
        lambda: simulated("demo-15", reference="2", query=True),
        VerificationPath.NUMBER_QUERY,
    ),
    "number_query_welfare": (
        lambda: simulated("demo-25", reference="2", query=True),
        VerificationPath.NUMBER_QUERY,
    ),
    "number_query_pmh": (
        lambda: simulated("demo-28", reference="2", query=True),
        VerificationPath.NUMBER_QUERY,
    ),
    "number_query_welfare_in_record": (
        lambda: received("oqsdrug2_welfare_numbers_in_record.xml", ResultSource.QUERY),
        VerificationPath.NUMBER_QUERY,
    ),
    "smart_test_layouts": (
        lambda: received("smart_test_disease_list_flat.xml"),
        VerificationPath.MYNA_FACE_READER,
    ),
    "limited_app_text": (lambda: pasted(), VerificationPath.LIMITED_APP),
}


def do(
    result: QualificationResult,
    folder: Path,
    encoding: RequestEncoding = RequestEncoding.SHIFT_JIS,
    *,
    path: VerificationPath = VerificationPath.MYNA_FACE_READER,
    xml: bool = True,
    csv_too: bool = True,
    now: datetime = NOW,
) -> HandOff:
    config = HandOffConfig(folder, encoding, xml=xml, csv=csv_too)
    return hand_off(result, config, path=path, institution_code=INSTITUTION, now=now)


@pytest.mark.parametrize("encoding", list(RequestEncoding))
@pytest.mark.parametrize("kind", list(KINDS))
def test_round_trip_through_the_parser(
    kind: str, encoding: RequestEncoding, tmp_path: Path
) -> None:
    make, path = KINDS[kind]
    result = make()
    out = do(result, tmp_path / "recepta", encoding, path=path)
    xml_file = out.files[0]
    assert xml_file.format is HandOffFormat.XML
    data = xml_file.path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == xml_file.sha256
    assert data.startswith(f'<?xml version="1.0" encoding="{encoding.xml_name}"'.encode())
    again = parse_result(data, source=ResultSource.FACE, file_name=xml_file.path.name)
    assert again.encoding == encoding.codec and again.warnings == () and again.unmapped == ()
    # Everything the desk verified comes back, field by field.
    assert again.records == result.records and again.records
    assert again.search_info == result.search_info
    for attr in (
        "processing_result_status",
        "processing_result_code",
        "processing_result_message",
        "qualification_validity",
        "prescription_issue_select",
        "body_specific_diseases",
        "simulated",
    ):
        assert getattr(again, attr) == getattr(result, attr), attr
    expected_header = dataclasses.replace(
        result.header, character_code_identifier=CharacterCode(encoding.character_code_identifier)
    )
    if result.source is ResultSource.LIMITED_APP:  # pasted text has no terminal header
        expected_header = dataclasses.replace(
            expected_header, process_execution_time=NOW, medical_institution_code=INSTITUTION
        )
    assert again.header == expected_header
    assert out.omitted == result.unknown_elements
    assert out.simulated is result.simulated


@pytest.mark.parametrize("kind", list(KINDS))
def test_files_are_what_third_party_readers_take(kind: str, tmp_path: Path) -> None:
    """The checks MynaReception's face reader makes, and only names the public readers use."""
    result = KINDS[kind][0]()
    out = do(result, tmp_path, RequestEncoding.SHIFT_JIS, csv_too=False)
    (written,) = out.files
    assert MYNA_RECEPTION_NAME.match(written.path.name)
    text = written.path.read_bytes().decode("cp932")  # strict: every byte is Shift_JIS
    root = ET.fromstring(text.split("\n", 1)[1].encode("utf-8"))  # past the declaration
    header, body = root.find("MessageHeader"), root.find("MessageBody")
    assert header is not None and body is not None
    assert header.findtext("SegmentOfResult") == "1"
    assert body.findtext("ProcessingResultStatus") == "1"
    assert header.findtext("CharacterCodeIdentifier") == "1"
    assert re.fullmatch(r"\d{10}", header.findtext("MedicalInstitutionCode") or "")
    (record,) = root.findall("MessageBody/ResultList/ResultOfQualificationConfirmation")
    assert re.fullmatch(r"\d{8}", record.findtext("Birthdate") or "")
    assert result.record is not None  # NameKana when the source had one (smart-test's has not)
    assert record.findtext("NameKana") == result.record.name_kana
    for el in record:  # MynaReception refuses a repeated element
        assert len(record.findall(el.tag)) == 1 or el.tag.startswith("Specific"), el.tag
    names = {el.tag for el in root.iter()} - {SIM_MARK_ELEMENT, SIM_INFO_ELEMENT}
    assert names - THIRD_PARTY_NAMES - UNVERIFIED_NAMES == set()
    if result.record is not None and result.record.public_expenses:
        assert "PublicExpenseInfo" in names  # the one place unverified names may appear
    else:
        assert names & UNVERIFIED_NAMES == set()


def test_record_elements_follow_the_spec_order(tmp_path: Path) -> None:
    """XmlSerializer readers (smart-test) drop elements out of order: nested blocks sit where
    OQSDrug2's writer puts them."""
    out = do(simulated("demo-14"), tmp_path, RequestEncoding.UTF8, csv_too=False)
    root = ET.fromstring(out.files[0].path.read_bytes())
    record = root.find("MessageBody/ResultList/ResultOfQualificationConfirmation")
    assert record is not None
    tags = [el.tag for el in record]
    order = [
        "InsurerName",
        "ElderlyRecipientCertificateInfo",
        "LimitApplicationCertificateRelatedConsFlg",
        "LimitApplicationCertificateRelatedConsTime",
        "LimitApplicationCertificateRelatedInfo",
        "SpecificHealthCheckupsInfoConsFlg",
    ]
    assert [t for t in tags if t in order] == order


def test_shift_jis_and_characters_it_cannot_hold(tmp_path: Path) -> None:
    base = pasted()
    assert base.record is not None
    rec = dataclasses.replace(base.record, name="𠮷田, 髙橋　花子")  # U+20BB7 is not in cp932
    result = dataclasses.replace(base, records=(rec,))
    out = do(result, tmp_path, RequestEncoding.SHIFT_JIS, path=VerificationPath.LIMITED_APP)
    xml_file, csv_file = out.files
    raw = xml_file.path.read_bytes()
    assert b"&#134071;" in raw  # a character reference, never a lost character
    again = parse_result(raw, source=ResultSource.FACE)
    assert again.record is not None and again.record.name == "𠮷田, 髙橋　花子"
    row = read_csv(csv_file.path, "cp932")[1]
    assert row[CSV_COLUMNS.index("氏名")] == f"{GETA}田, 髙橋　花子"
    assert out.warnings == (f"CSV 氏名: '𠮷' cannot be written in Shift_JIS; {GETA} written",)
    utf8 = do(result, tmp_path / "u", RequestEncoding.UTF8, path=VerificationPath.LIMITED_APP)
    assert read_csv(utf8.files[1].path, "utf-8")[1][CSV_COLUMNS.index("氏名")] == rec.name
    assert utf8.warnings == ()


def read_csv(path: Path, codec: str) -> list[list[str]]:
    raw = path.read_bytes().decode(codec)
    assert raw.endswith("\r\n") and raw.count("\r\n") == 2
    return list(csv.reader(io.StringIO(raw, newline="")))


def test_csv_row_columns_and_quoting(tmp_path: Path) -> None:
    from reader.terminal import handoff

    doc = handoff.__doc__ or ""
    missing = [
        c
        for i, c in enumerate(CSV_COLUMNS, 1)
        if not re.search(rf"(?<!\d){i}\. {re.escape(c)}\s", doc)
    ]
    assert missing == []  # every column documented with its number
    result = simulated("demo-25", reference="2", query=True)  # 医療扶助
    assert result.record is not None
    rec = dataclasses.replace(result.record, name="架空, 扶助", insurer_number="12130019")
    out = do(dataclasses.replace(result, records=(rec,)), tmp_path, RequestEncoding.UTF8)
    xml_file, csv_file = out.files
    assert csv_file.path.stem == xml_file.path.stem
    raw = csv_file.path.read_text("utf-8")
    assert '"架空, 扶助"' in raw and raw.startswith('"確認日時","資格確認日"')
    header, row = read_csv(csv_file.path, "utf-8")
    assert tuple(header) == CSV_COLUMNS
    got = dict(zip(header, row, strict=True))
    payer, recipient = rec.welfare_numbers
    assert got["氏名"] == "架空, 扶助" and got["保険者番号"] == "12130019"
    assert (got["公費負担者番号"], got["受給者番号"]) == (payer, recipient) and payer
    assert got["確認経路"] == VerificationPath.MYNA_FACE_READER.value
    assert got["生年月日"] == f"{rec.birthdate:%Y%m%d}" and got["模擬"] == "1"
    assert got["XMLファイル"] == xml_file.path.name and got["医療機関コード"] == INSTITUTION


def test_csv_alone_and_zero_padded_insurer(tmp_path: Path) -> None:
    result = received("myclinic_ts_zero_padded_kokuho.xml")
    out = do(result, tmp_path, xml=False)
    (only,) = out.files
    assert only.format is HandOffFormat.CSV and only.path.suffix == ".csv"
    got = dict(zip(*read_csv(only.path, "cp932"), strict=True))
    assert got["保険者番号"] == "138016" and got["XMLファイル"] == "" and got["模擬"] == "0"


def test_simulated_results_stay_marked(tmp_path: Path) -> None:
    sim = do(simulated("demo-01"), tmp_path / "sim", csv_too=False).files[0]
    real = do(pasted(), tmp_path / "real", csv_too=False).files[0]
    assert sim.path.name.startswith("OQSsiquc01res_face_SIMULATED")
    assert MYNA_RECEPTION_NAME.match(sim.path.name)  # a training レセコン still imports it
    assert SIM_COMMENT.encode() in sim.path.read_bytes()
    assert parse_result(sim.path.read_bytes(), source=ResultSource.FACE).simulated
    assert "SIMULATED" not in real.path.name and b"SIMULATED" not in real.path.read_bytes()
    assert not parse_result(real.path.read_bytes(), source=ResultSource.FACE).simulated


def test_never_written_over(tmp_path: Path) -> None:
    """A second hand-off of the same result gets the next name; a stale file is left alone."""
    result = pasted()
    first = do(result, tmp_path, csv_too=True)
    second = do(result, tmp_path, csv_too=True)
    names = [f.path.name for f in first.files + second.files]
    assert len(set(names)) == 4
    assert all(hashlib.sha256(f.path.read_bytes()).hexdigest() == f.sha256 for f in first.files)
    assert "0001_" in first.files[0].path.name and "0002_" in second.files[0].path.name
    stale = tmp_path / "stale"
    stale.mkdir()
    taken = stale / f"OQSsiquc01res_face_{INSTITUTION}0001_{NOW:%Y%m%d%H%M%S}.xml"
    taken.write_bytes(b"left by the receipt computer")
    out = do(result, stale, csv_too=False)
    assert taken.read_bytes() == b"left by the receipt computer"
    assert out.files[0].path.name == taken.name.replace("0001_", "0002_")
    assert sorted(p.name for p in stale.iterdir()) == sorted([taken.name, out.files[0].path.name])


class _Reader(FileSystemEventHandler):
    """A レセコン that reads each file the moment its name appears."""

    def __init__(self) -> None:
        self.seen: dict[str, bytes] = {}
        self.problems: list[str] = []
        self.lock = threading.Lock()

    def _take(self, path: str) -> None:
        name = Path(path).name
        if not name.endswith((".xml", ".csv")):
            return
        data = Path(path).read_bytes()
        try:
            if name.endswith(".xml"):
                parse_result(data, source=ResultSource.FACE)
            elif data.decode("cp932").count("\r\n") != 2:
                raise ValueError("CSV incomplete")
        except Exception as exc:
            with self.lock:
                self.problems.append(f"{name}: {exc}")
        with self.lock:
            self.seen[name] = data

    def on_created(self, event: FileSystemEvent) -> None:
        self._take(str(event.src_path))

    def on_moved(self, event: FileSystemEvent) -> None:
        self._take(str(event.dest_path))


def test_a_watcher_sees_only_complete_files(tmp_path: Path) -> None:
    folder = tmp_path / "recepta"
    folder.mkdir()
    watcher = _Reader()
    observer = Observer()
    observer.schedule(watcher, str(folder))
    observer.start()
    try:
        results = [simulated("demo-14"), pasted(), received("oqsdrug2_face_export_sjis_cci0.xml")]
        written = [do(results[i % 3], folder).files for i in range(30)]
        expected = {f.path.name: f.path.read_bytes() for files in written for f in files}
        deadline = time.monotonic() + 10
        while len(watcher.seen) < len(expected) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        observer.stop()
        observer.join()
    assert watcher.problems == []
    assert watcher.seen == expected and len(expected) == 60
    assert sorted(p.name for p in folder.iterdir()) == sorted(expected)  # no temporary left


def test_audit_payload_names_files_not_people(tmp_path: Path) -> None:
    result = received("smart_test_prescription_in_record.xml")
    out = do(result, tmp_path)
    payload = out.audit_payload()
    assert payload["folder"] == str(tmp_path)
    assert [f["file"] for f in payload["files"]] == [f.path.name for f in out.files]
    assert [f["sha256"] for f in payload["files"]] == [f.sha256 for f in out.files]
    assert payload["omitted"] == [
        "XmlMsg/MessageBody/ResultList/ResultOfQualificationConfirmation/"
        "LimitApplicationCertificateChanged"
    ]
    assert result.record is not None and result.record.name
    assert result.record.name not in repr(payload)


def test_config_table_is_checked(tmp_path: Path) -> None:
    ok = HandOffConfig.from_table({"folder": str(tmp_path), "encoding": "UTF-8", "csv": True})
    assert ok == HandOffConfig(tmp_path, RequestEncoding.UTF8, xml=True, csv=True)
    assert HandOffConfig.from_table({"folder": "x"}).encoding is RequestEncoding.SHIFT_JIS
    for table, key in (
        ({}, "folder"),
        ({"folder": ""}, "folder"),
        ({"folder": "x", "encoding": "euc-jp"}, "encoding"),
        ({"folder": "x", "csv": "yes"}, "csv"),
        ({"folder": "x", "xml": False}, "nothing to hand off"),
        ({"folder": "x", "fodler": "y"}, "fodler"),
    ):
        with pytest.raises(TerminalConfigError, match=key):
            HandOffConfig.from_table(table)


def test_the_terminal_folders_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "OQS"
    (root / "Face").mkdir(parents=True)
    terminal = TerminalConfig(
        root=root, data_dir=tmp_path / "data", medical_institution_code=INSTITUTION
    )
    HandOffConfig(tmp_path / "recepta").check_apart_from(terminal)
    for taken in (root, root / "Face", root / "res"):
        with pytest.raises(TerminalConfigError, match="terminal's own folder"):
            HandOffConfig(taken).check_apart_from(terminal)


def test_a_folder_that_cannot_be_written_says_what_was_done(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "recepta"
    not_a_folder.write_bytes(b"")
    with pytest.raises(HandOffFailed, match="cannot hand off") as refused:
        do(pasted(), not_a_folder)
    assert refused.value.done.files == ()
    # Every CSV name of that second taken: the XML went out and is reported, nothing is lost.
    full = tmp_path / "full"
    full.mkdir()
    for n in range(1, MAX_NAME_ATTEMPTS + 1):
        (full / f"OQSsiquc01res_face_{INSTITUTION}{n:04d}_{NOW:%Y%m%d%H%M%S}.csv").touch()
    with pytest.raises(HandOffFailed) as half:
        do(pasted(), full)
    (xml_file,) = half.value.done.files
    assert xml_file.format is HandOffFormat.XML and xml_file.path.exists()
    assert len(list(full.iterdir())) == MAX_NAME_ATTEMPTS + 1  # no temporary left behind


def test_recorded_in_the_chain(tmp_path: Path) -> None:
    """The runtime's record of a hand-off: a `handed_off` event whose digests prove the files."""
    out = do(simulated("demo-14"), tmp_path / "recepta")
    store = Store.open(
        sqlite_url(tmp_path / "db" / "madoguchi.sqlite3").render_as_string(),
        terminal_id="handoff-test",
        backup_dir=tmp_path / "backups",
    )
    try:
        store.append_event(AuditKind.HANDED_OFF, "system", {"visit_id": 1, **out.audit_payload()})
        assert store.verify_chain().ok
        with store.engine.connect() as conn:
            row = conn.execute(
                text("SELECT kind, payload FROM audit_events ORDER BY seq DESC")
            ).first()
    finally:
        store.close()
    assert row is not None and row.kind == AuditKind.HANDED_OFF == "handed_off"
    recorded = json.loads(row.payload)
    assert recorded["simulated"] is True and recorded["folder"] == str(tmp_path / "recepta")
    for entry in recorded["files"]:
        data = (tmp_path / "recepta" / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
