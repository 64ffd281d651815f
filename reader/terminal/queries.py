"""Individual eligibility queries (`OQSsiquc01req`), including the 居宅 re-query by numbers.

A request is rendered with ElementTree (so every value is escaped), declared and encoded in the
site's encoding, and written atomically into req as `OQSsiquc01req_<id>.xml`.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from xml.etree import ElementTree as ET

from policies.model import VerificationPath
from policies.records import InsuranceNumbers
from reader.terminal.config import RequestEncoding
from reader.terminal.errors import RequestWriteError, TerminalConfigError
from reader.terminal.results import QualificationResult

REQUEST_PREFIX = "OQSsiquc01req"
RESULT_PREFIX = "OQSsiquc01res"
FACE_PREFIX = "OQSsiquc01res_face_"

_FILE_ID = re.compile(r"[0-9A-Za-z]{1,40}")


class TerminalQueryKind(StrEnum):
    #: Numbers from a presented document (資格確認書, お知らせ, …).
    INDIVIDUAL = "individual"
    #: 居宅同意取得型, later visit: numbers taken on the first visit.
    HOME_VISIT_REQUERY = "home_visit_requery"

    @property
    def verification_path(self) -> VerificationPath:
        if self is TerminalQueryKind.HOME_VISIT_REQUERY:
            return VerificationPath.HOME_VISIT_REQUERY
        return VerificationPath.NUMBER_QUERY


@dataclass(frozen=True, slots=True)
class IndividualQuery:
    numbers: InsuranceNumbers
    #: 限度額適用認定証提供同意: the patient agreed that the limit-certificate info be returned.
    limit_consent: bool = False
    kind: TerminalQueryKind = TerminalQueryKind.INDIVIDUAL

    @property
    def verification_path(self) -> VerificationPath:
        return self.kind.verification_path


@dataclass(frozen=True, slots=True)
class HomeVisitNumbers:
    """Numbers taken at the first home visit (居宅同意取得型), kept for later re-queries."""

    numbers: InsuranceNumbers
    first_visit: date
    limit_consent: bool = False

    def requery(self) -> IndividualQuery:
        return IndividualQuery(
            self.numbers, self.limit_consent, TerminalQueryKind.HOME_VISIT_REQUERY
        )

    @classmethod
    def from_result(
        cls, result: QualificationResult, first_visit: date, *, limit_consent: bool = False
    ) -> HomeVisitNumbers:
        """Take the numbers from the first visit's confirmed result."""
        record = result.record
        if record is None or not record.insurer_number or not record.birthdate:
            raise TerminalConfigError("the first-visit result has no insurer number/birth date")
        return cls(
            InsuranceNumbers(
                insurer_number=record.insurer_number,
                number=record.insured_identification_number or "",
                birthdate=record.birthdate,
                symbol=record.insured_card_symbol,
                branch=record.insured_branch_number,
            ),
            first_visit,
            limit_consent,
        )


def new_file_identifier(now: datetime) -> str:
    """20 digits: time to the second, then 6 random digits (several PCs may share one req)."""
    return f"{now:%Y%m%d%H%M%S}{secrets.randbelow(10**6):06d}"


def request_file_name(file_id: str) -> str:
    if not _FILE_ID.fullmatch(file_id):
        raise TerminalConfigError(f"unsafe ArbitraryFileIdentifier {file_id!r}")
    return f"{REQUEST_PREFIX}_{file_id}.xml"


def result_file_name(file_id: str) -> str:
    return f"{RESULT_PREFIX}_{file_id}.xml"


def render_request(
    query: IndividualQuery,
    *,
    institution_code: str,
    file_id: str,
    confirmation_date: date,
    encoding: RequestEncoding,
) -> bytes:
    """The request document in the site's encoding, with a matching XML declaration."""
    root, body = new_request(institution_code, file_id, confirmation_date)
    add_search_info(body, query.numbers, limit_consent=query.limit_consent)
    return serialise_request(root, encoding)


def new_request(
    institution_code: str, file_id: str, confirmation_date: date
) -> tuple[ET.Element, ET.Element]:
    """An `XmlMsg` with the header of a 資格確認 request, and its empty body."""
    root = ET.Element("XmlMsg")
    header = ET.SubElement(root, "MessageHeader")
    ET.SubElement(header, "QualificationConfirmationDate").text = f"{confirmation_date:%Y%m%d}"
    ET.SubElement(header, "MedicalInstitutionCode").text = institution_code
    ET.SubElement(header, "ArbitraryFileIdentifier").text = file_id
    return root, ET.SubElement(root, "MessageBody")


def add_search_info(parent: ET.Element, n: InsuranceNumbers, *, limit_consent: bool) -> None:
    """One `QualificationConfirmSearchInfo` (individual query, or one unit of a 一括照会)."""
    info = ET.SubElement(parent, "QualificationConfirmSearchInfo")
    ET.SubElement(info, "InsurerNumber").text = n.insurer_number
    if n.symbol:
        ET.SubElement(info, "InsuredCardSymbol").text = n.symbol
    ET.SubElement(info, "InsuredIdentificationNumber").text = n.number
    if n.branch:
        ET.SubElement(info, "InsuredBranchNumber").text = n.branch
    ET.SubElement(info, "Birthdate").text = f"{n.birthdate:%Y%m%d}"
    ET.SubElement(info, "LimitApplicationCertificateRelatedConsFlg").text = (
        "1" if limit_consent else "0"
    )


def serialise_request(root: ET.Element, encoding: RequestEncoding) -> bytes:
    """A request document in the site's encoding, with a matching XML declaration."""
    ET.indent(root)
    text = (
        f'<?xml version="1.0" encoding="{encoding.xml_name}" standalone="no"?>\n'
        + ET.tostring(root, encoding="unicode")
        + "\n"
    )
    try:
        return text.encode(encoding.codec)
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        raise RequestWriteError(
            f"{bad!r} cannot be written in {encoding.xml_name}; correct the 記号/番号"
        ) from None
