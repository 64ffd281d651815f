"""Result XML as the terminal writes it, for the simulator — always carrying the simulated mark."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from xml.etree import ElementTree as ET

from reader.terminal.config import RequestEncoding
from reader.terminal.simmark import SIM_COMMENT, SIM_INFO_ELEMENT, SIM_MARK_ELEMENT
from reader.terminal_sim.persons import Person, Population, Scenario

#: ErrorCode the simulator uses for a terminal-side failure (real codes are in 別紙6-1, not public).
SIM_TERMINAL_ERROR = "SIM-E9001"
SIM_CERT_GRACE = "SIM-CERT-GRACE"

_VALIDITY = {
    Scenario.OK: "1",
    Scenario.INVALID: "2",
    Scenario.INVALID_WITH_NEW: "3",
    Scenario.NO_RECORD: "4",
    Scenario.MULTIPLE: "5",
    Scenario.WELFARE_UNREGISTERED: "6",
}

_CONSENT_PREFIX = {
    "specific_health_checkups": "SpecificHealthCheckupsInfo",
    "pharmacists": "PharmacistsInfo",
    "diagnosis": "DiagnosisInfo",
    "operation": "OperationInfo",
}


@dataclass(frozen=True, slots=True)
class AnswerContext:
    """Everything about one answer that is not the person: when, for whom, how encoded."""

    now: datetime
    institution_code: str
    encoding: RequestEncoding
    #: 照会区分: "1" card (face), "2" numbers (個別照会).
    reference_classification: str
    file_id: str | None = None
    confirmation_date: date | None = None
    limit_consent: bool = False
    #: Face results carry 閲覧同意; an expired card in its grace gives 資格情報 only.
    with_consents: bool = False
    processing_code: str | None = None
    processing_message: str | None = None
    sim_info: dict[str, str] = field(default_factory=dict)

    @property
    def today(self) -> date:
        return self.now.date()


def _d(value: date | None) -> str | None:
    return None if value is None else f"{value:%Y%m%d}"


def _add(parent: ET.Element, name: str, value: Any) -> None:
    if value is None or value == "":
        return
    ET.SubElement(parent, name).text = value if isinstance(value, str) else _d(value)


def _month_bounds(today: date) -> tuple[date, date]:
    last = calendar.monthrange(today.year, today.month)[1]
    return today.replace(day=1), today.replace(day=last)


def _ticket(parent: ET.Element, t: dict[str, Any], ctx: AnswerContext) -> None:
    el = ET.SubElement(parent, "MedicalTicketInfo")
    month = t.get("treatment_month")
    valid_from, valid_until = t.get("valid_from"), t.get("valid_until")
    if month == "current":
        month = f"{ctx.today:%Y%m}"
        valid_from, valid_until = _month_bounds(ctx.today)
    code = t.get("designated_code")
    if code == "${institution}":
        code = ctx.institution_code
    _add(el, "TicketType", t.get("ticket_type"))
    _add(el, "MedicalTicketValidDate", valid_from)
    _add(el, "MedicalTicketExpirationDate", valid_until)
    _add(el, "IssueNumber", t.get("issue_number"))
    _add(el, "MedicalTreatmentMonth", month)
    _add(el, "DesignatedMedicalInstitutionCode", code)
    _add(el, "DesignatedMedicalInstitutionFlag", t.get("designated_flag"))
    _add(el, "DesignatedMedicalInstitutionName", t.get("designated_name"))
    _add(el, "PrescriptionIssuerMedicalInstitutionCode", t.get("prescription_issuer_code"))
    _add(el, "PrescriptionIssuerMedicalInstitutionName", t.get("prescription_issuer_name"))
    for i, injury in enumerate(t.get("injury_names", [])[:3], start=1):
        _add(el, f"InjuryName{i}", injury)
    _add(el, "MedicalTreatmentType", t.get("treatment_type"))
    _add(el, "SelfPayAmount", t.get("self_pay_amount"))
    _add(el, "DistrictContactName", t.get("district_contact_name"))
    _add(el, "HandlingContactName", t.get("handling_contact_name"))
    _add(el, "SingleOrCombinedUse", t.get("single_or_combined_use"))
    _add(el, "StatusOfSocialInsurance", t.get("status_of_social_insurance"))
    _add(el, "ConsistencyFlag", t.get("consistency_flag"))
    _add(el, "StatusOfInfecton", t.get("status_of_infection"))
    _add(el, "StatusOfElderlyMedicalCare", t.get("status_of_elderly_medical_care"))
    _add(el, "StatusOfPrefecturalExpenses", t.get("status_of_prefectural_expenses"))


def _public_expense(parent: ET.Element, e: dict[str, Any]) -> None:
    el = ET.SubElement(parent, "PublicExpenseInfo")
    _add(el, "PublicExpenseNumber", e.get("payer_number"))
    _add(el, "BeneficiaryNumber", e.get("recipient_number"))
    _add(el, "PublicExpenseName", e.get("name"))
    _add(el, "PublicExpenseValidStartDate", e.get("valid_from"))
    _add(el, "PublicExpenseValidEndDate", e.get("valid_until"))
    _add(el, "PublicExpenseSelfPayLimit", e.get("self_pay_limit"))


def person_record(
    parent: ET.Element, p: Person, ctx: AnswerContext, population: Population
) -> None:
    """ResultOfQualificationConfirmation for one person, in the element order of the spec."""
    r = ET.SubElement(parent, "ResultOfQualificationConfirmation")
    _add(r, "InsuredCardClassification", p.card_classification)
    _add(r, "InsurerNumber", (p.insurer_number or "").rjust(8, " ") or None)
    _add(r, "InsuredCardSymbol", p.symbol)
    _add(r, "InsuredIdentificationNumber", p.number)
    _add(r, "InsuredBranchNumber", p.branch)
    _add(r, "PersonalFamilyClassification", p.family)
    _add(r, "InsuredName", p.insured_name)
    _add(r, "Name", p.name)
    _add(r, "NameKana", p.kana)
    _add(r, "Sex1", p.sex)
    _add(r, "Birthdate", p.birthdate)
    _add(r, "Address", p.address)
    _add(r, "PostNumber", p.post)
    _add(r, "QualificationDate", p.qualification_date)
    _add(r, "DisqualificationDate", p.disqualification_date)
    _add(r, "InsuredCardValidDate", p.valid_from)
    _add(r, "InsuredCardExpirationDate", p.valid_until)
    _add(r, "InsuredPartialContributionRatio", p.ratio)
    _add(r, "PreschoolClassification", p.preschool)
    _add(r, "ReasonOfLoss", p.reason_of_loss)
    _add(r, "InsurerName", p.insurer_name)
    if p.elderly:
        el = ET.SubElement(r, "ElderlyRecipientCertificateInfo")
        _add(el, "ElderlyRecipientCertificateDate", p.elderly.get("certificate_date"))
        _add(el, "ElderlyRecipientValidStartDate", p.elderly.get("valid_start"))
        _add(el, "ElderlyRecipientValidEndDate", p.elderly.get("valid_end"))
        _add(el, "ElderlyRecipientContributionRatio", p.elderly.get("ratio"))
    consent_time = f"{ctx.now:%Y%m%d%H%M%S}"
    _add(r, "LimitApplicationCertificateRelatedConsFlg", "1" if ctx.limit_consent else "0")
    if ctx.limit_consent:
        _add(r, "LimitApplicationCertificateRelatedConsTime", consent_time)
        if p.limit:
            el = ET.SubElement(r, "LimitApplicationCertificateRelatedInfo")
            _add(el, "LimitApplicationCertificateClassification", p.limit.get("classification"))
            _add(el, "LimitApplicationCertificateClassificationFlag", p.limit.get("category"))
            _add(el, "LimitApplicationCertificateDate", p.limit.get("certificate_date"))
            _add(el, "LimitApplicationCertificateValidStartDate", p.limit.get("valid_start"))
            _add(el, "LimitApplicationCertificateValidEndDate", p.limit.get("valid_end"))
            _add(el, "LimitApplicationCertificateLongTermDate", p.limit.get("long_term_date"))
    if p.specific_diseases:
        _add(r, "SpecificDiseasesCertificateRelatedConsFlg", p.specific_disease_consent or "1")
        _add(r, "SpecificDiseasesCertificateRelatedConsTime", consent_time)
        lst = ET.SubElement(r, "SpecificDiseasesCertificateList")
        for d in p.specific_diseases:
            el = ET.SubElement(lst, "SpecificDiseasesCertificateInfo")
            _add(el, "SpecificDiseasesDiseaseCategory", d.get("category"))
            _add(el, "SpecificDiseasesCertificateDate", d.get("certificate_date"))
            _add(el, "SpecificDiseasesValidStartDate", d.get("valid_start"))
            _add(el, "SpecificDiseasesValidEndDate", d.get("valid_end"))
            _add(el, "SpecificDiseasesSelfPay", d.get("self_pay"))
    on_pmh = [
        e for e in p.public_expenses if e.get("municipality_code") in population.pmh_municipalities
    ]
    if p.medical_tickets or on_pmh:
        lst = ET.SubElement(r, "PublicExpenseResultList")
        for t in p.medical_tickets:
            _ticket(lst, t, ctx)
        for e in on_pmh:
            _public_expense(lst, e)
    if ctx.with_consents:
        until = f"{ctx.now:%Y%m%d}235959"
        for kind, prefix in _CONSENT_PREFIX.items():
            flag = p.consents.get(kind, "0")
            _add(r, f"{prefix}ConsFlg", flag)
            if flag == "1":
                _add(r, f"{prefix}ConsTime", consent_time)
                _add(r, f"{prefix}AvailableTime", until)


def _header(
    root: ET.Element,
    ctx: AnswerContext,
    segment: str | None,
    error: tuple[str, str] | None,
    *,
    reception_number: str | None = None,
    counts: tuple[int, int, int] | None = None,
) -> None:
    h = ET.SubElement(root, "MessageHeader")
    _add(h, "ProcessExecutionTime", f"{ctx.now:%Y%m%d%H%M%S}")
    _add(h, "QualificationConfirmationDate", ctx.confirmation_date or ctx.today)
    _add(h, "MedicalInstitutionCode", ctx.institution_code)
    _add(h, "ArbitraryFileIdentifier", ctx.file_id)
    _add(h, "ReceptionNumber", reception_number)
    _add(h, "ReferenceClassification", ctx.reference_classification)
    _add(h, "SegmentOfResult", segment)
    if error:
        _add(h, "ErrorCode", error[0])
        _add(h, "ErrorMessage", error[1])
    if counts:
        for name, value in zip(
            ("NumberOfProcessingResult", "NumberOfNormalProcessing", "NumberOfError"),
            counts,
            strict=True,
        ):
            _add(h, name, str(value))
    _add(h, "CharacterCodeIdentifier", ctx.encoding.character_code_identifier)
    _add(h, SIM_MARK_ELEMENT, "1")
    info = ET.SubElement(h, SIM_INFO_ELEMENT)
    for key, value in ctx.sim_info.items():
        _add(info, key, value)


def _serialise(root: ET.Element, ctx: AnswerContext, declared: RequestEncoding | None) -> bytes:
    ET.indent(root)
    decl = declared or ctx.encoding
    text = (
        f'<?xml version="1.0" encoding="{decl.xml_name}" standalone="no"?>\n'
        f"<!--{SIM_COMMENT}-->\n" + ET.tostring(root, encoding="unicode") + "\n"
    )
    return text.encode(ctx.encoding.codec, errors="xmlcharrefreplace")


def render_result(
    persons: Iterable[Person],
    ctx: AnswerContext,
    population: Population,
    *,
    search_echo: dict[str, str] | None = None,
    declared: RequestEncoding | None = None,
) -> bytes:
    """An answer for these matched persons: 0 → 該当資格なし, scenario decides the rest.

    `declared` lets the wrong-encoding fault declare one encoding while writing another.
    """
    root = ET.Element("XmlMsg")
    scenario, person = _scenario(persons)
    if scenario is Scenario.TERMINAL_ERROR:
        _header(
            root, ctx, "9", (SIM_TERMINAL_ERROR, "（模擬）資格確認システムでエラーが発生しました")
        )
        _unit_fields(ET.SubElement(root, "MessageBody"), scenario, person, ctx, population)
        return _serialise(root, ctx, declared)
    _header(root, ctx, "1", None)
    body = ET.SubElement(root, "MessageBody")
    if ctx.reference_classification == "1":
        _add(body, "PrescriptionIssueSelect", "1")
    _unit_fields(body, scenario, person, ctx, population, result_list=True)
    if search_echo:
        _search_echo(body, search_echo)
    return _serialise(root, ctx, declared)


def _scenario(persons: Iterable[Person]) -> tuple[Scenario, Person | None]:
    """What the terminal says for these matched persons: 0 → 該当資格なし, 2+ → 複数該当."""
    matched = list(persons)
    if len(matched) > 1:
        return Scenario.MULTIPLE, matched[0]
    if not matched:
        return Scenario.NO_RECORD, None
    return matched[0].scenario, matched[0]


def _unit_fields(
    parent: ET.Element,
    scenario: Scenario,
    person: Person | None,
    ctx: AnswerContext,
    population: Population,
    *,
    result_list: bool = False,
) -> None:
    """ProcessingResult*, QualificationValidity and the record, as an answer body or a unit."""
    if scenario is Scenario.TERMINAL_ERROR:
        _add(parent, "ProcessingResultStatus", "2")
        _add(parent, "ProcessingResultCode", SIM_TERMINAL_ERROR)
        _add(parent, "ProcessingResultMessage", "（模擬）処理に失敗しました")
        return
    _add(parent, "ProcessingResultStatus", "1")
    _add(parent, "ProcessingResultCode", ctx.processing_code)
    _add(parent, "ProcessingResultMessage", ctx.processing_message)
    _add(parent, "QualificationValidity", _VALIDITY[scenario])
    if person is not None and scenario not in (Scenario.NO_RECORD, Scenario.MULTIPLE):
        holder = ET.SubElement(parent, "ResultList") if result_list else parent
        person_record(holder, person, ctx, population)


def _search_echo(parent: ET.Element, search: dict[str, str]) -> None:
    echo = ET.SubElement(parent, "QualificationConfirmSearchInfo")
    for key, value in search.items():
        _add(echo, key, value)


@dataclass(frozen=True, slots=True)
class BulkUnitAnswer:
    """One patient of a 一括照会: the search as sent and the persons it designates."""

    search: dict[str, str]
    persons: tuple[Person, ...]


def render_bulk_receipt(ctx: AnswerContext, reception_number: str) -> bytes:
    """`OQSmuquc01res`: the 一括照会 was accepted under this reception number."""
    root = ET.Element("XmlMsg")
    _header(root, ctx, None, None)
    body = ET.SubElement(root, "MessageBody")
    _add(body, "ReceptionNumber", reception_number)
    _add(body, "ReceptionDateTime", f"{ctx.now:%Y%m%d%H%M%S}")
    return _serialise(root, ctx, None)


def render_bulk_processing(ctx: AnswerContext, reception_number: str) -> bytes:
    """`OQSmuquc02res` while the job runs: SegmentOfResult 2 (処理中), no units."""
    root = ET.Element("XmlMsg")
    _header(root, ctx, "2", None, reception_number=reception_number)
    ET.SubElement(root, "MessageBody")
    return _serialise(root, ctx, None)


def render_bulk_result(
    units: Iterable[BulkUnitAnswer],
    ctx: AnswerContext,
    population: Population,
    reception_number: str,
) -> bytes:
    """The finished `OQSmuquc02res`: one BulkConfirmUnit per search, in the order sent."""
    root = ET.Element("XmlMsg")
    body = ET.Element("MessageBody")
    normal = errors = 0
    for unit in units:
        el = ET.SubElement(body, "BulkConfirmUnit")
        _search_echo(el, unit.search)
        scenario, person = _scenario(unit.persons)
        consent = unit.search.get("LimitApplicationCertificateRelatedConsFlg") == "1"
        unit_ctx = replace(ctx, limit_consent=consent)
        _unit_fields(el, scenario, person, unit_ctx, population)
        if scenario is Scenario.TERMINAL_ERROR:
            errors += 1
        else:
            normal += 1
    _header(
        root,
        ctx,
        "1",
        None,
        reception_number=reception_number,
        counts=(normal + errors, normal, errors),
    )
    root.append(body)
    return _serialise(root, ctx, None)


def render_bulk_error(ctx: AnswerContext, reception_number: str, code: str, message: str) -> bytes:
    """`OQSmuquc02res` for a job the terminal cannot answer (e.g. an unknown number)."""
    root = ET.Element("XmlMsg")
    _header(root, ctx, "9", (code, message), reception_number=reception_number)
    ET.SubElement(root, "MessageBody")
    return _serialise(root, ctx, None)


def render_error(ctx: AnswerContext, code: str, message: str) -> bytes:
    """A face-style error answer (card refused: expired, untrusted, bad signature…)."""
    root = ET.Element("XmlMsg")
    _header(root, ctx, "9", (code, message))
    body = ET.SubElement(root, "MessageBody")
    _add(body, "ProcessingResultStatus", "2")
    _add(body, "ProcessingResultCode", code)
    _add(body, "ProcessingResultMessage", message)
    return _serialise(root, ctx, None)
