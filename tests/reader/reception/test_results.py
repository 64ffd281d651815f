"""What the reception runtime keeps of a terminal answer: the summary the daily CSV reads."""

from __future__ import annotations

from datetime import UTC, datetime

from reader.reception.results import evidence_for, result_facts
from reader.terminal import ResultSource, parse_result
from tests.reader.terminal.test_layouts import LAYOUTS, RECORD


def test_the_kept_summary_names_the_unmapped_elements() -> None:
    data = (LAYOUTS / "smart_test_prescription_in_record.xml").read_bytes()
    result = parse_result(data, source=ResultSource.FACE, file_name="f.xml")
    kept = evidence_for(result, None, datetime.now(UTC))
    assert kept.data == data  # the bytes verbatim, element values and all
    assert kept.summary["unmapped"] == [f"{RECORD}/LimitApplicationCertificateChanged"]
    clean = parse_result(
        (LAYOUTS / "smart_test_disease_list_flat.xml").read_bytes(), source=ResultSource.FACE
    )
    assert evidence_for(clean, None, datetime.now(UTC)).summary["unmapped"] == []


def test_welfare_numbers_are_the_facts_compared_with_the_patient_on_file() -> None:
    data = (LAYOUTS / "oqsdrug2_welfare_numbers_in_record.xml").read_bytes()
    facts = result_facts(parse_result(data, source=ResultSource.FACE))
    assert facts is not None and (facts.insurer_number, facts.number) == ("12130019", "1234566")
