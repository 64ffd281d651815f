"""Request documents: numbers normalised, encoded as the site wants, written atomically."""

from __future__ import annotations

import math
import os
from datetime import date
from pathlib import Path

import pytest

from policies.model import VerificationPath
from policies.records import InsuranceNumbers
from reader.terminal import (
    IndividualQuery,
    RequestEncoding,
    RequestWriteError,
    TerminalConfig,
    TerminalConfigError,
    render_request,
)
from reader.terminal.config import queries_section, terminal_section
from reader.terminal.files import TEMP_PREFIX, atomic_write
from reader.terminal.queries import TerminalQueryKind, new_file_identifier, request_file_name
from reader.terminal.xmlsafe import parse_xml_bytes


def render(query: IndividualQuery, encoding: RequestEncoding) -> bytes:
    return render_request(
        query,
        institution_code="1312345678",
        file_id="20261123093000123456",
        confirmation_date=date(2026, 11, 23),
        encoding=encoding,
    )


@pytest.mark.parametrize("encoding", list(RequestEncoding))
def test_request_document(encoding: RequestEncoding) -> None:
    nums = InsuranceNumbers("１３８０５７", "１００１", date(1980, 4, 1), symbol="架空", branch="0")
    data = render(IndividualQuery(nums, limit_consent=True), encoding)
    assert data.startswith(f'<?xml version="1.0" encoding="{encoding.xml_name}"'.encode())
    doc = parse_xml_bytes(data, max_bytes=10_000)
    assert doc.codec == encoding.codec
    header = {c.tag: c.text for c in doc.root.find("MessageHeader")}  # type: ignore[union-attr]
    assert header == {
        "QualificationConfirmationDate": "20261123",
        "MedicalInstitutionCode": "1312345678",
        "ArbitraryFileIdentifier": "20261123093000123456",
    }
    info = {c.tag: c.text for c in doc.root.find("MessageBody/QualificationConfirmSearchInfo")}  # type: ignore[union-attr]
    assert info == {
        "InsurerNumber": "  138057",  # 6-digit 国保 number, left-padded with spaces
        "InsuredCardSymbol": "架空",
        "InsuredIdentificationNumber": "1001",
        "InsuredBranchNumber": "00",
        "Birthdate": "19800401",
        "LimitApplicationCertificateRelatedConsFlg": "1",
    }


def test_values_are_escaped() -> None:
    nums = InsuranceNumbers("01130012", "<&>", date(1980, 4, 1))
    doc = parse_xml_bytes(render(IndividualQuery(nums), RequestEncoding.UTF8), max_bytes=10_000)
    assert (
        doc.root.find("MessageBody/QualificationConfirmSearchInfo/InsuredIdentificationNumber").text
        == "<&>"
    )  # type: ignore[union-attr]


def test_unencodable_in_shift_jis_is_a_clear_error() -> None:
    nums = InsuranceNumbers("01130012", "1", date(1980, 4, 1), symbol="😀")
    with pytest.raises(RequestWriteError, match="Shift_JIS"):
        render(IndividualQuery(nums), RequestEncoding.SHIFT_JIS)


def test_kinds_and_paths() -> None:
    nums = InsuranceNumbers("39130059", "10000010", date(1940, 1, 10))
    assert IndividualQuery(nums).verification_path is VerificationPath.NUMBER_QUERY
    home = IndividualQuery(nums, kind=TerminalQueryKind.HOME_VISIT_REQUERY)
    assert home.verification_path is VerificationPath.HOME_VISIT_REQUERY


def test_file_names_and_identifiers() -> None:
    from datetime import datetime

    ids = {new_file_identifier(datetime(2026, 11, 23, 9, 30)) for _ in range(200)}
    assert len(ids) > 190 and all(len(i) == 20 and i.isdigit() for i in ids)
    assert request_file_name("20261123093000123456") == "OQSsiquc01req_20261123093000123456.xml"
    with pytest.raises(TerminalConfigError):
        request_file_name("../../etc/passwd")


def test_atomic_write_leaves_no_temp_and_never_an_xml_temp(tmp_path: Path) -> None:
    seen: list[str] = []
    target = atomic_write(tmp_path, "OQSsiquc01req_1.xml", b"<XmlMsg/>")
    seen.extend(os.listdir(tmp_path))
    assert target.read_bytes() == b"<XmlMsg/>" and seen == ["OQSsiquc01req_1.xml"]
    assert not TEMP_PREFIX.startswith("OQS") and not TEMP_PREFIX.endswith(".xml")


def test_config_validation(tmp_path: Path) -> None:
    with pytest.raises(TerminalConfigError):
        TerminalConfig(root=tmp_path, data_dir=tmp_path, medical_institution_code="123")
    with pytest.raises(TerminalConfigError):
        TerminalConfig(
            root=tmp_path,
            data_dir=tmp_path,
            medical_institution_code="1312345678",
            answer_timeout_s=0,
        )
    for code, timeout in (("１３１２３４５６７８", 30.0), ("1312345678", math.nan)):
        with pytest.raises(TerminalConfigError):
            TerminalConfig(tmp_path, tmp_path, code, answer_timeout_s=timeout)
    with pytest.raises(TerminalConfigError):
        TerminalConfig(tmp_path, tmp_path, "1312345678", rescan_interval_s=math.inf)
    assert RequestEncoding.parse("Shift-JIS") is RequestEncoding.SHIFT_JIS
    assert RequestEncoding.parse("UTF8") is RequestEncoding.UTF8
    with pytest.raises(TerminalConfigError):
        RequestEncoding.parse("latin-1")


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"medical_institution_code": "1312345678"}, "root"),
        (
            {"root": "OQS", "medical_institution_code": "１３１２３４５６７８"},
            "medical_institution_code",
        ),
        (
            {"root": "OQS", "medical_institution_code": "1312345678", "answer_timeout_s": math.inf},
            "answer_timeout_s",
        ),
        (
            {"root": "OQS", "medical_institution_code": "1312345678", "answer_timeout_s": True},
            "answer_timeout_s",
        ),
        (
            {"root": "OQS", "medical_institution_code": "1312345678", "request_encoding": 1},
            "request_encoding",
        ),
        (
            {"root": "OQS", "medical_institution_code": "1312345678", "answer_timout_s": 5},
            "answer_timout_s",
        ),
    ],
)
def test_terminal_section_names_the_wrong_key(table: dict[str, object], key: str) -> None:
    with pytest.raises(TerminalConfigError, match=rf"^\[terminal\] {key}: "):
        terminal_section(table)


def test_terminal_section_reads_a_site_setting(tmp_path: Path) -> None:
    settings = terminal_section(
        {"root": "OQS", "medical_institution_code": "1312345678", "request_encoding": "sjis"}
    )
    assert (
        settings.request_encoding is RequestEncoding.SHIFT_JIS and settings.answer_timeout_s == 30
    )
    config = settings.config(tmp_path)
    assert config.root == Path("OQS") and config.data_dir == tmp_path
    assert queries_section({"limit_consent": True}) is True
    with pytest.raises(TerminalConfigError, match="limit_consent"):
        queries_section({"limit_consent": "yes"})
