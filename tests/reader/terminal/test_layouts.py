"""Result files in the layouts third-party implementations read and write, one fixture each.

Each fixture in fixtures/layouts/ is shaped like the files of one public project (named in the
file's comment); the tests check that every field arrives where the desk reads it, that nothing
Madoguchi does not map vanishes, and that a writer's wrong CharacterCodeIdentifier is logged
once per process rather than once per file.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from policies.model import InsuranceKind
from reader.terminal import OutcomeKind, ResultSource, classify, parse_result
from reader.terminal.codes import (
    CharacterCode,
    ConsentFlag,
    PrescriptionIssueSelect,
    SpecificDiseaseCategory,
)
from reader.terminal.parser import MAX_UNMAPPED
from reader.terminal.results import UNMAPPED_TEXT_LIMIT, ConsentKind, QualificationResult, Unmapped
from tests.reader.terminal.support import INSTITUTION, REPO

LAYOUTS = Path(__file__).parent / "fixtures" / "layouts"
RECORD = "XmlMsg/MessageBody/ResultList/ResultOfQualificationConfirmation"
TODAY = date(2026, 11, 23)


def load(name: str) -> QualificationResult:
    path = LAYOUTS / name
    return parse_result(path.read_bytes(), source=ResultSource.FACE, file_name=path.name)


def test_oqsdrug2_welfare_numbers_directly_in_the_record() -> None:
    r = load("oqsdrug2_welfare_numbers_in_record.xml")
    rec = r.record
    assert rec is not None and rec.is_welfare
    assert rec.insurance_kind is InsuranceKind.WELFARE
    assert (rec.payer_number, rec.recipient_number) == ("12130019", "1234566")
    assert rec.welfare_numbers == ("12130019", "1234566")
    assert rec.welfare_office_name == "架空区福祉事務所"
    assert rec.insurer_number is None  # not invented: the numbers are 公費, not insurance
    assert rec.medical_tickets[0].issue_number == "0000251"
    assert r.unmapped == () and r.warnings == ()
    assert classify(r, today=TODAY, institution_code=INSTITUTION)[0] is OutcomeKind.OK


def test_welfare_numbers_fall_back_to_the_insurance_fields() -> None:
    """In the record layout every other source shows, InsurerNumber and InsuredIdentification
    Number carry the 公費負担者番号 and 受給者番号; the 法別 12 alone marks the record 医療扶助."""
    data = (LAYOUTS / "oqsdrug2_welfare_numbers_in_record.xml").read_bytes()
    data = data.replace(b"<InsuredCardClassification>A1</InsuredCardClassification>", b"")
    data = data.replace(b"PublicExpenseNumber>", b"InsurerNumber>")
    data = data.replace(b"BeneficiaryNumber>", b"InsuredIdentificationNumber>")
    rec = parse_result(data, source=ResultSource.FACE).record
    assert rec is not None and rec.is_welfare and rec.payer_number is None
    assert rec.welfare_numbers == ("12130019", "1234566")


def test_smart_test_prescription_issue_select_inside_the_record() -> None:
    r = load("smart_test_prescription_in_record.xml")
    assert r.prescription_issue_select is PrescriptionIssueSelect.PAPER
    rec = r.record
    assert rec is not None and rec.reference_number == "R000777"
    pharmacists = rec.consent(ConsentKind.PHARMACISTS)
    assert pharmacists is not None and pharmacists.flag is ConsentFlag.AGREED
    assert rec.insurance_kind is InsuranceKind.EMPLOYEE
    assert r.unmapped == (Unmapped(f"{RECORD}/LimitApplicationCertificateChanged", "1"),)
    assert r.unknown_elements == (f"{RECORD}/LimitApplicationCertificateChanged",)


def test_a_record_prescription_never_overrides_the_body_one() -> None:
    data = (LAYOUTS / "smart_test_prescription_in_record.xml").read_bytes()
    data = data.replace(
        b"<QualificationValidity>1</QualificationValidity>",
        b"<QualificationValidity>1</QualificationValidity>"
        b"<PrescriptionIssueSelect>1</PrescriptionIssueSelect>",
    )
    r = parse_result(data, source=ResultSource.FACE)
    assert r.prescription_issue_select is PrescriptionIssueSelect.ELECTRONIC
    assert any("PrescriptionIssueSelect" in w and "differs" in w for w in r.warnings)


def test_smart_test_disease_fields_directly_in_the_list() -> None:
    r = load("smart_test_disease_list_flat.xml")
    rec = r.record
    assert rec is not None
    assert [d.category for d in rec.specific_diseases] == [
        SpecificDiseaseCategory.DIALYSIS,
        SpecificDiseaseCategory.HEMOPHILIA,
    ]
    first, second = rec.specific_diseases
    assert (first.certificate_date, first.valid_end, first.self_pay) == (
        date(2023, 1, 1),
        date(2027, 12, 31),
        "10000",
    )
    assert second.valid_start == date(2024, 4, 1) and second.valid_end is None
    assert rec.specific_disease_consent is ConsentFlag.AGREED
    assert rec.insurance_kind is InsuranceKind.LATE_ELDERLY and rec.ratio_wari == 1
    assert r.unmapped == () and r.warnings == ()


def test_myclinic_zero_padded_kokuho_number_is_kokuho() -> None:
    r = load("myclinic_ts_zero_padded_kokuho.xml")
    rec = r.record
    assert rec is not None
    assert rec.insurer_number == "00138016"  # as sent
    assert rec.insurer_number_digits == "138016"
    assert rec.insurance_kind is InsuranceKind.NATIONAL
    assert r.search_info is not None and r.search_info.insurer_number == "00138016"
    assert r.unmapped == ()


def test_oqsdrug2_shift_jis_file_saying_utf8_parses() -> None:
    r = load("oqsdrug2_face_export_sjis_cci0.xml")
    assert r.encoding == "cp932"
    assert r.header.character_code_identifier is CharacterCode.UTF8
    rec = r.record
    assert rec is not None and rec.name == "髙橋 四郎" and rec.name_kana == "ﾀｶﾊｼ ｼﾛｳ"
    assert rec.insurance_kind is InsuranceKind.LATE_ELDERLY
    pharma = rec.consent(ConsentKind.PHARMACISTS)
    assert pharma is not None and pharma.element_prefix == "PharmaceuticalInfo"
    assert r.warnings == () and r.unmapped == ()  # said in the log, not on every result


_READ_THREE_TIMES = """
import logging, sys
from pathlib import Path
from reader.terminal import ResultSource, parse_result
logging.basicConfig(level=logging.WARNING, stream=sys.stdout, format="%(name)s %(message)s")
data = Path(sys.argv[1]).read_bytes()
for _ in range(3):
    assert parse_result(data, source=ResultSource.FACE).record is not None
"""


def test_character_code_disagreement_is_logged_once_per_process() -> None:
    """A real process reads the file three times (as a watcher re-reads): one log line."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _READ_THREE_TIMES,
            str(LAYOUTS / "oqsdrug2_face_export_sjis_cci0.xml"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if "CharacterCodeIdentifier" in line]
    assert len(lines) == 1, done.stdout
    assert lines[0].startswith("reader.terminal.parser ")
    assert "say CharacterCodeIdentifier 0 (UTF-8) but are Shift_JIS" in lines[0]


def test_unmapped_elements_keep_path_and_text_nested_and_masked() -> None:
    data = (LAYOUTS / "smart_test_prescription_in_record.xml").read_bytes()
    long = "長" * (UNMAPPED_TEXT_LIMIT + 5)
    data = data.replace(
        b"<ReferenceNumber>",
        (
            "<NewBlock><Inner>a</Inner><Empty/><Deeper><Leaf>b</Leaf></Deeper></NewBlock>"
            f"<Memo>{long}</Memo><Odd>番号 123456789012 です</Odd><ReferenceNumber>"
        ).encode(),
    )
    data = data.replace(b"</MessageHeader>", b"<HeaderNew>h</HeaderNew></MessageHeader>")
    r = parse_result(data, source=ResultSource.FACE)
    assert r.unmapped == (
        Unmapped("XmlMsg/MessageHeader/HeaderNew", "h"),
        Unmapped(f"{RECORD}/LimitApplicationCertificateChanged", "1"),
        Unmapped(f"{RECORD}/NewBlock/Inner", "a"),
        Unmapped(f"{RECORD}/NewBlock/Empty", ""),
        Unmapped(f"{RECORD}/NewBlock/Deeper/Leaf", "b"),
        Unmapped(f"{RECORD}/Memo", "長" * UNMAPPED_TEXT_LIMIT + "…"),
        Unmapped(f"{RECORD}/Odd", "番号 ************ です"),
    )
    assert r.record is not None and r.record.reference_number == "R000777"


def test_a_flood_of_unknown_elements_is_capped_and_said() -> None:
    flood = b"".join(b"<X%d>v</X%d>" % (i, i) for i in range(MAX_UNMAPPED + 7))
    data = (LAYOUTS / "smart_test_prescription_in_record.xml").read_bytes()
    data = data.replace(b"</MessageBody>", flood + b"</MessageBody>")
    r = parse_result(data, source=ResultSource.FACE)
    assert len(r.unmapped) == MAX_UNMAPPED
    assert any(w.startswith("8 more unmapped elements") for w in r.warnings)
    assert r.prescription_issue_select is PrescriptionIssueSelect.PAPER


@pytest.mark.parametrize("name", sorted(p.name for p in LAYOUTS.glob("*.xml")))
def test_every_layout_is_a_normal_valid_answer(name: str) -> None:
    r = load(name)
    assert r.record is not None and r.record.name
    assert classify(r, today=TODAY, institution_code=INSTITUTION)[0] is OutcomeKind.OK
