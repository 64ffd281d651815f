"""OQS result XML (`OQSsiquc01res_*`, `OQSsiquc01res_face_*`) → `QualificationResult`.

Field tables below map element names to result attributes; anything not in them is kept in
`unmapped` with its path and text (the raw bytes keep it whole) and never stops the parse. A bad
value in a known field (a date that is not a date) becomes a warning and None, never an
exception: a result the desk can show is worth more than a perfect one it cannot.

Real files come in more than one layout (sources in ../shared/research/oqs-interface.md), and
each is read into the same result rather than normalised by the caller:

* 医療扶助 numbers as `PublicExpenseNumber`/`BeneficiaryNumber`/`WelfareOfficeName` directly in
  the record (what OQSDrug2 reads) as well as in InsurerNumber/InsuredIdentificationNumber;
* `PrescriptionIssueSelect` in the record (smart-test's model) as well as in the body;
* `SpecificDiseasesCertificateList` holding the disease fields itself, once per disease (an
  XmlSerializer array, smart-test) as well as wrapping `SpecificDiseasesCertificateInfo`s;
* a `CharacterCodeIdentifier` that disagrees with the encoding the bytes really are in (OQSDrug2
  writes Shift_JIS face files with the identifier of the UTF-8 answer it converted). The bytes
  decide; the disagreement is logged once per process, since every file of that writer has it.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from reader.documents.textnorm import redact_individual_numbers
from reader.terminal.codes import (
    CharacterCode,
    ConsentFlag,
    InsuredCardClassification,
    LimitCategory,
    LimitCertificateClassification,
    PersonalFamily,
    PreschoolClassification,
    PrescriptionIssueSelect,
    ProcessingResultStatus,
    QualificationValidity,
    ReasonOfLoss,
    ReferenceClassification,
    SegmentOfResult,
    SexCode,
    SpecificDiseaseCategory,
    code_or_raw,
)
from reader.terminal.errors import FileNotReady, HostileXmlError, NotXmlMsgError, TerminalParseError
from reader.terminal.files import read_shared
from reader.terminal.results import (
    CONSENT_PREFIXES,
    UNMAPPED_TEXT_LIMIT,
    ConsentInfo,
    ElderlyRecipientInfo,
    LimitCertificateInfo,
    MedicalTicketInfo,
    MessageHeader,
    PublicExpenseInfo,
    QualificationRecord,
    QualificationResult,
    ResultSource,
    SearchInfo,
    SpecificDiseaseInfo,
    Unmapped,
)
from reader.terminal.simmark import SIM_INFO_ELEMENT, SIM_MARK_ELEMENT
from reader.terminal.xmlsafe import display_encoding, local_name, parse_xml_bytes

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
#: Unmapped elements kept per result; a file with more is said to have more (the bytes keep all).
MAX_UNMAPPED = 500

_said: set[tuple[str, ...]] = set()
_said_lock = threading.Lock()


def _log_once(key: tuple[str, ...], message: str, *args: object) -> None:
    """Log a property of the files a site's terminal writes once per process, not per file."""
    with _said_lock:
        if key in _said:
            return
        _said.add(key)
    log.warning(message, *args)


@dataclass
class _Ctx:
    warnings: list[str] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)
    #: PrescriptionIssueSelect found inside records (path, value), for the result-level field.
    record_prescriptions: list[tuple[str, Any]] = field(default_factory=list)
    dropped: int = 0

    def keep_unmapped(self, path: str, el: Element) -> None:
        """Keep `el` and each element inside it (in document order) with its path and text."""
        stack = [(path, el)]
        while stack:
            at, node = stack.pop()
            text = (node.text or "").strip()
            if text or len(node) == 0:
                self._add(at, text)
            inner = [(f"{at}/{local_name(c.tag)}", c) for c in node if local_name(c.tag)]
            stack.extend(reversed(inner))

    def _add(self, path: str, text: str) -> None:
        if len(self.unmapped) >= MAX_UNMAPPED:
            self.dropped += 1
            return
        if len(text) > UNMAPPED_TEXT_LIMIT:
            text = text[:UNMAPPED_TEXT_LIMIT] + "…"
        self.unmapped.append(Unmapped(path, redact_individual_numbers(text)[0]))


Conv = Callable[[str | None, str, _Ctx], Any]


def _text(raw: str | None, path: str, ctx: _Ctx) -> str | None:
    if raw is None or not raw.strip():
        return None
    return raw


def _date(raw: str | None, path: str, ctx: _Ctx) -> date | None:
    if raw is None or not raw.strip():
        return None
    value = raw.strip()
    try:
        if len(value) == 8 and value.isdigit():
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        return date.fromisoformat(value)
    except ValueError:
        ctx.warnings.append(f"{path}: {value!r} is not a date")
        return None


def _datetime(raw: str | None, path: str, ctx: _Ctx) -> datetime | None:
    if raw is None or not raw.strip():
        return None
    value = raw.strip()
    try:
        if len(value) == 14 and value.isdigit():
            return datetime.strptime(value, "%Y%m%d%H%M%S")
        if len(value) == 8 and value.isdigit():
            return datetime.strptime(value, "%Y%m%d")
        return datetime.fromisoformat(value)
    except ValueError:
        ctx.warnings.append(f"{path}: {value!r} is not a date-time")
        return None


def _code(enum_cls: type[Enum]) -> Conv:
    def conv(raw: str | None, path: str, ctx: _Ctx) -> Any:
        if raw is None or not raw.strip():
            return None
        return code_or_raw(enum_cls, raw.strip())

    return conv


#: element → (attribute, converter); an attribute ending in "[]" collects into a tuple in order.
Spec = dict[str, tuple[str, Conv]]

HEADER: Spec = {
    "ProcessExecutionTime": ("process_execution_time", _datetime),
    "QualificationConfirmationDate": ("qualification_confirmation_date", _date),
    "MedicalInstitutionCode": ("medical_institution_code", _text),
    "ArbitraryFileIdentifier": ("arbitrary_file_identifier", _text),
    "ReferenceClassification": ("reference_classification", _code(ReferenceClassification)),
    "SegmentOfResult": ("segment_of_result", _code(SegmentOfResult)),
    "ErrorCode": ("error_code", _text),
    "ErrorMessage": ("error_message", _text),
    "CharacterCodeIdentifier": ("character_code_identifier", _code(CharacterCode)),
}

SEARCH: Spec = {
    "InsurerNumber": ("insurer_number", _text),
    "InsuredCardSymbol": ("insured_card_symbol", _text),
    "InsuredIdentificationNumber": ("insured_identification_number", _text),
    "InsuredBranchNumber": ("insured_branch_number", _text),
    "Birthdate": ("birthdate", _date),
    "LimitApplicationCertificateRelatedConsFlg": ("limit_consent", _code(ConsentFlag)),
    "ArbitraryIdentifier": ("arbitrary_identifier", _text),
}

ELDERLY: Spec = {
    "ElderlyRecipientCertificateDate": ("certificate_date", _date),
    "ElderlyRecipientValidStartDate": ("valid_start", _date),
    "ElderlyRecipientValidEndDate": ("valid_end", _date),
    "ElderlyRecipientContributionRatio": ("contribution_ratio", _text),
}

LIMIT: Spec = {
    "LimitApplicationCertificateClassification": (
        "classification",
        _code(LimitCertificateClassification),
    ),
    "LimitApplicationCertificateClassificationFlag": ("category", _code(LimitCategory)),
    "LimitApplicationCertificateDate": ("certificate_date", _date),
    "LimitApplicationCertificateValidStartDate": ("valid_start", _date),
    "LimitApplicationCertificateValidEndDate": ("valid_end", _date),
    "LimitApplicationCertificateLongTermDate": ("long_term_date", _date),
}

DISEASE: Spec = {
    "SpecificDiseasesDiseaseCategory": ("category", _code(SpecificDiseaseCategory)),
    "SpecificDiseasesCertificateDate": ("certificate_date", _date),
    "SpecificDiseasesValidStartDate": ("valid_start", _date),
    "SpecificDiseasesValidEndDate": ("valid_end", _date),
    "SpecificDiseasesSelfPay": ("self_pay", _text),
}

TICKET: Spec = {
    "TicketType": ("ticket_type", _text),
    "MedicalTicketValidDate": ("valid_from", _date),
    "MedicalTicketExpirationDate": ("valid_until", _date),
    "IssueNumber": ("issue_number", _text),
    "MedicalTreatmentMonth": ("treatment_month", _text),
    "DesignatedMedicalInstitutionCode": ("designated_institution_code", _text),
    "DesignatedMedicalInstitutionFlag": ("designated_institution_flag", _text),
    "DesignatedMedicalInstitutionName": ("designated_institution_name", _text),
    "PrescriptionIssuerMedicalInstitutionCode": ("prescription_issuer_code", _text),
    "PrescriptionIssuerMedicalInstitutionName": ("prescription_issuer_name", _text),
    "InjuryName1": ("injury_names[]", _text),
    "InjuryName2": ("injury_names[]", _text),
    "InjuryName3": ("injury_names[]", _text),
    "MedicalTreatmentType": ("treatment_type", _text),
    "SelfPayAmount": ("self_pay_amount", _text),
    "DistrictContactName": ("district_contact_name", _text),
    "HandlingContactName": ("handling_contact_name", _text),
    "SingleOrCombinedUse": ("single_or_combined_use", _text),
    "StatusOfSocialInsurance": ("status_of_social_insurance", _text),
    "ConsistencyFlag": ("consistency_flag", _text),
    # The spec's own typo, as two independent implementations spell it; the fixed spelling too.
    "StatusOfInfecton": ("status_of_infection", _text),
    "StatusOfInfection": ("status_of_infection", _text),
    "StatusOfElderlyMedicalCare": ("status_of_elderly_medical_care", _text),
    "StatusOfPrefecturalExpenses": ("status_of_prefectural_expenses", _text),
    "Remarks1": ("remarks[]", _text),
    "Remarks2": ("remarks[]", _text),
    "Remarks3": ("remarks[]", _text),
}

PUBLIC_EXPENSE: Spec = {
    "PublicExpenseNumber": ("payer_number", _text),
    "BeneficiaryNumber": ("recipient_number", _text),
    "PublicExpenseName": ("name", _text),
    "PublicExpenseValidStartDate": ("valid_from", _date),
    "PublicExpenseValidEndDate": ("valid_until", _date),
    "PublicExpenseSelfPayLimit": ("self_pay_limit", _text),
}

RECORD: Spec = {
    "InsuredCardClassification": ("card_classification", _code(InsuredCardClassification)),
    "InsurerNumber": ("insurer_number", _text),
    "InsuredCardSymbol": ("insured_card_symbol", _text),
    "InsuredIdentificationNumber": ("insured_identification_number", _text),
    "InsuredBranchNumber": ("insured_branch_number", _text),
    "PersonalFamilyClassification": ("personal_family", _code(PersonalFamily)),
    "InsuredName": ("insured_name", _text),
    "Name": ("name", _text),
    "NameOfOther": ("name_of_other", _text),
    "NameKana": ("name_kana", _text),
    "NameOfOtherKana": ("name_of_other_kana", _text),
    "Sex1": ("sex1", _code(SexCode)),
    "Sex2": ("sex2", _code(SexCode)),
    "Birthdate": ("birthdate", _date),
    "Address": ("address", _text),
    "PostNumber": ("post_number", _text),
    "QualificationDate": ("qualification_date", _date),
    "DisqualificationDate": ("disqualification_date", _date),
    "InsuredCertificateIssuanceDate": ("certificate_issuance_date", _date),
    "InsuredCardValidDate": ("card_valid_from", _date),
    "InsuredCardExpirationDate": ("card_valid_until", _date),
    "InsuredPartialContributionRatio": ("partial_contribution_ratio", _text),
    "PreschoolClassification": ("preschool", _code(PreschoolClassification)),
    "ReasonOfLoss": ("reason_of_loss", _code(ReasonOfLoss)),
    "InsurerName": ("insurer_name", _text),
    "LimitApplicationCertificateRelatedConsFlg": ("limit_consent", _code(ConsentFlag)),
    "LimitApplicationCertificateRelatedConsTime": ("limit_consented_at", _datetime),
    "SpecificDiseasesCertificateRelatedConsFlg": ("specific_disease_consent", _code(ConsentFlag)),
    "SpecificDiseasesCertificateRelatedConsTime": ("specific_disease_consented_at", _datetime),
    "ReferenceNumber": ("reference_number", _text),
    "ArbitraryIdentifier": ("arbitrary_identifier", _text),
    "PublicExpenseNumber": ("payer_number", _text),
    "BeneficiaryNumber": ("recipient_number", _text),
    "WelfareOfficeName": ("welfare_office_name", _text),
}

BODY: Spec = {
    "ProcessingResultStatus": ("processing_result_status", _code(ProcessingResultStatus)),
    "ProcessingResultCode": ("processing_result_code", _text),
    "ProcessingResultMessage": ("processing_result_message", _text),
    "QualificationValidity": ("qualification_validity", _code(QualificationValidity)),
    "PrescriptionIssueSelect": ("prescription_issue_select", _code(PrescriptionIssueSelect)),
}

_CONSENT = re.compile(
    r"(?P<prefix>" + "|".join(CONSENT_PREFIXES) + r")"
    r"(?P<part>ConsFlg|ConsTime|ConsTim|AvailableTime|AcquisitionTime)"
)


def _leaf_text(el: Element) -> str | None:
    return el.text


def _fields(
    el: Element,
    spec: Spec,
    path: str,
    ctx: _Ctx,
    *,
    handled: Callable[[str, Element], bool] | None = None,
) -> dict[str, Any]:
    """Convert the children of `el` by `spec`; unhandled children are recorded as unknown."""
    out: dict[str, Any] = {}
    for child in el:
        name = local_name(child.tag)
        if not name:
            continue
        child_path = f"{path}/{name}"
        entry = spec.get(name)
        if entry is not None:
            attr, conv = entry
            value = conv(_leaf_text(child), child_path, ctx)
            if attr.endswith("[]"):
                if value is not None:
                    out.setdefault(attr[:-2], []).append(value)
            elif attr in out and out[attr] is not None:
                ctx.warnings.append(f"{child_path}: repeated; the first value is kept")
            else:
                out[attr] = value
            continue
        if handled is not None and handled(name, child):
            continue
        ctx.keep_unmapped(child_path, child)
    return {k: tuple(v) if isinstance(v, list) else v for k, v in out.items()}


def _children(el: Element, name: str) -> Iterable[Element]:
    return (c for c in el if local_name(c.tag) == name)


def _specific_diseases(el: Element, path: str, ctx: _Ctx) -> tuple[SpecificDiseaseInfo, ...]:
    """The list's `SpecificDiseasesCertificateInfo`s, or the list itself when it holds the
    disease fields directly (one list element per disease, as XmlSerializer writes an array)."""
    items: list[SpecificDiseaseInfo] = []

    def handled(name: str, child: Element) -> bool:
        if name == "SpecificDiseasesCertificateInfo":
            items.append(SpecificDiseaseInfo(**_fields(child, DISEASE, f"{path}/{name}", ctx)))
            return True
        return False

    direct = _fields(el, DISEASE, path, ctx, handled=handled)
    if direct:
        items.insert(0, SpecificDiseaseInfo(**direct))
    return tuple(items)


def _public_expense_list(
    el: Element, path: str, ctx: _Ctx
) -> tuple[tuple[MedicalTicketInfo, ...], tuple[PublicExpenseInfo, ...]]:
    tickets: list[MedicalTicketInfo] = []
    expenses: list[PublicExpenseInfo] = []

    def handled(name: str, child: Element) -> bool:
        if name == "MedicalTicketInfo":
            tickets.append(MedicalTicketInfo(**_fields(child, TICKET, f"{path}/{name}", ctx)))
            return True
        if name == "PublicExpenseInfo":
            expenses.append(
                PublicExpenseInfo(**_fields(child, PUBLIC_EXPENSE, f"{path}/{name}", ctx))
            )
            return True
        return False

    _fields(el, {}, path, ctx, handled=handled)
    return tuple(tickets), tuple(expenses)


def _record(el: Element, path: str, ctx: _Ctx) -> QualificationRecord:
    extra: dict[str, Any] = {}
    consents: dict[tuple[str, str], dict[str, Any]] = {}

    def handled(name: str, child: Element) -> bool:
        child_path = f"{path}/{name}"
        if name == "ElderlyRecipientCertificateInfo":
            extra["elderly"] = ElderlyRecipientInfo(**_fields(child, ELDERLY, child_path, ctx))
        elif name == "LimitApplicationCertificateRelatedInfo":
            extra["limit_certificate"] = LimitCertificateInfo(
                **_fields(child, LIMIT, child_path, ctx)
            )
        elif name == "SpecificDiseasesCertificateList":
            extra["specific_diseases"] = extra.get("specific_diseases", ()) + _specific_diseases(
                child, child_path, ctx
            )
        elif name == "PublicExpenseResultList":
            tickets, expenses = _public_expense_list(child, child_path, ctx)
            extra["medical_tickets"] = extra.get("medical_tickets", ()) + tickets
            extra["public_expenses"] = extra.get("public_expenses", ()) + expenses
        elif name == "PrescriptionIssueSelect":
            ctx.record_prescriptions.append(
                (child_path, _code(PrescriptionIssueSelect)(child.text, child_path, ctx))
            )
        else:
            match = _CONSENT.fullmatch(name)
            if match is None:
                return False
            prefix, part = match.group("prefix"), match.group("part")
            kind = CONSENT_PREFIXES[prefix]
            slot = consents.setdefault((kind.value, prefix), {})
            if part == "ConsFlg":
                slot["flag"] = _code(ConsentFlag)(child.text, child_path, ctx)
            elif part in {"ConsTime", "ConsTim"}:
                slot["consented_at"] = _datetime(child.text, child_path, ctx)
            else:
                slot["available_until"] = _datetime(child.text, child_path, ctx)
        return True

    values = _fields(el, RECORD, path, ctx, handled=handled)
    consent_infos = tuple(
        ConsentInfo(kind=CONSENT_PREFIXES[prefix], element_prefix=prefix, **slot)
        for (_, prefix), slot in consents.items()
    )
    return QualificationRecord(**values, **extra, consents=consent_infos)


def _simulator_info(el: Element, path: str, ctx: _Ctx) -> tuple[tuple[str, str], ...]:
    return tuple((local_name(c.tag), (c.text or "").strip()) for c in el if local_name(c.tag))


def parse_result_element(
    root: Element,
    *,
    source: ResultSource,
    file_name: str | None = None,
    raw_xml: bytes = b"",
    codec: str | None = None,
    declared_encoding: str | None = None,
) -> QualificationResult:
    """Map a parsed `XmlMsg` tree to a result (no I/O; the tree is already safe)."""
    if local_name(root.tag) != "XmlMsg":
        raise NotXmlMsgError(
            f"root element is <{local_name(root.tag) or root.tag}>, not <XmlMsg>",
            file_name=file_name,
        )
    ctx = _Ctx()
    header_el = next(_children(root, "MessageHeader"), None)
    body_el = next(_children(root, "MessageBody"), None)
    if header_el is None and body_el is None:
        raise NotXmlMsgError(
            "<XmlMsg> has neither MessageHeader nor MessageBody", file_name=file_name
        )
    for child in root:
        name = local_name(child.tag)
        if name and name not in {"MessageHeader", "MessageBody"}:
            ctx.keep_unmapped(f"XmlMsg/{name}", child)

    simulated = False
    sim_info: tuple[tuple[str, str], ...] = ()
    header_values: dict[str, Any] = {}
    if header_el is not None:

        def header_extra(name: str, child: Element) -> bool:
            nonlocal simulated, sim_info
            if name == SIM_MARK_ELEMENT:
                simulated = True
                return True
            if name == SIM_INFO_ELEMENT:
                simulated = True
                sim_info = _simulator_info(child, f"XmlMsg/MessageHeader/{name}", ctx)
                return True
            return False

        header_values = _fields(
            header_el, HEADER, "XmlMsg/MessageHeader", ctx, handled=header_extra
        )
    header = MessageHeader(**header_values)

    body_values: dict[str, Any] = {}
    records: list[QualificationRecord] = []
    search: SearchInfo | None = None
    body_diseases: tuple[SpecificDiseaseInfo, ...] = ()
    if body_el is not None:

        def body_extra(name: str, child: Element) -> bool:
            nonlocal search, body_diseases
            child_path = f"XmlMsg/MessageBody/{name}"
            if name == "ResultList":
                for item in child:
                    item_name = local_name(item.tag)
                    if item_name == "ResultOfQualificationConfirmation":
                        records.append(_record(item, f"{child_path}/{item_name}", ctx))
                    elif item_name:
                        ctx.keep_unmapped(f"{child_path}/{item_name}", item)
                return True
            if name == "ResultOfQualificationConfirmation":
                records.append(_record(child, child_path, ctx))
                return True
            if name == "QualificationConfirmSearchInfo":
                search = SearchInfo(**_fields(child, SEARCH, child_path, ctx))
                return True
            if name == "SpecificDiseasesCertificateList":
                body_diseases = _specific_diseases(child, child_path, ctx)
                return True
            return False

        body_values = _fields(body_el, BODY, "XmlMsg/MessageBody", ctx, handled=body_extra)

    for path, value in ctx.record_prescriptions:
        if body_values.get("prescription_issue_select") is None:
            body_values["prescription_issue_select"] = value
        elif value != body_values["prescription_issue_select"]:
            ctx.warnings.append(f"{path}: {value!r} differs from the one before; the first is kept")
    if ctx.dropped:
        ctx.warnings.append(
            f"{ctx.dropped} more unmapped elements are not listed (the kept file has them)"
        )
    _check_character_code(header, codec, declared_encoding)

    return QualificationResult(
        source=source,
        header=header,
        records=tuple(records),
        search_info=search,
        body_specific_diseases=body_diseases,
        simulated=simulated,
        file_name=file_name,
        raw_xml=raw_xml,
        encoding=codec,
        unmapped=tuple(ctx.unmapped),
        warnings=tuple(ctx.warnings),
        simulator_info=sim_info,
        **body_values,
    )


def _check_character_code(
    header: MessageHeader, codec: str | None, declared_encoding: str | None
) -> None:
    """The bytes were decoded as `codec` and parsed; a CharacterCodeIdentifier saying otherwise
    is the writer's habit, not this file's problem, so it is logged once per process."""
    if codec is None or header.character_code_identifier is None:
        return
    expected = {CharacterCode.UTF8: "utf-8", CharacterCode.SHIFT_JIS: "cp932"}.get(
        header.character_code_identifier  # type: ignore[arg-type]
    )
    if expected is not None and expected != codec:
        _log_once(
            ("character-code", expected, codec),
            "terminal result files say CharacterCodeIdentifier %s (%s) but are %s (declared %s); "
            "they are read as %s. Said once per process.",
            getattr(header.character_code_identifier, "value", ""),
            display_encoding(expected),
            display_encoding(codec),
            declared_encoding or "nothing",
            display_encoding(codec),
        )


def parse_result(
    data: bytes,
    *,
    source: ResultSource,
    file_name: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> QualificationResult:
    """Parse result bytes; raises a specific `TerminalParseError` subclass when it cannot."""
    doc = parse_xml_bytes(data, max_bytes=max_bytes, file_name=file_name)
    return parse_result_element(
        doc.root,
        source=source,
        file_name=file_name,
        raw_xml=data,
        codec=doc.codec,
        declared_encoding=doc.declared_encoding,
    )


def read_result_file(
    path: Path,
    *,
    source: ResultSource,
    max_bytes: int = DEFAULT_MAX_BYTES,
    settle_s: float = 2.0,
) -> QualificationResult:
    """Read and parse one result file (e.g. one staff picked by hand).

    A file that cannot be parsed yet but was modified less than `settle_s` ago raises
    `FileNotReady` (it is probably still being written: try again); once it has settled, the
    specific parse error. Hostile content is reported at once.
    """
    snapshot = read_shared(path, max_bytes)
    try:
        return parse_result(snapshot.data, source=source, file_name=path.name, max_bytes=max_bytes)
    except TerminalParseError as exc:
        age = time.time() - snapshot.mtime_ns / 1e9
        if not isinstance(exc, HostileXmlError) and age < settle_s:
            raise FileNotReady(f"{path.name} is still being written ({exc.code})") from exc
        raise
