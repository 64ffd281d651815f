"""Typed, immutable eligibility results as reception needs them.

One `QualificationResult` per terminal answer (個別照会 `res`, face-reader `face`) or pasted
マイナ資格確認アプリ text. Code values are enums from `codes` when known, the raw string otherwise;
dates are `datetime.date`. The raw bytes are always kept, and every element the parser does not
map is kept as `unmapped` (path and text), so nothing a new terminal version adds can vanish
without a word: the result panel lists them as 「未対応の項目」 and the daily CSV counts them. The
`simulated` mark of the terminal simulator is carried so it can never be lost downstream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple

from policies.model import InsuranceKind, Sex, VerificationPath
from policies.numbers import insurance_kind_of, normalise_insurer_number
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
)
from reader.terminal.errors import LineProblem


class ResultSource(StrEnum):
    """Where a result came from."""

    #: Answer to Madoguchi's own individual query (req → res).
    QUERY = "query"
    #: Face-reader confirmation file written by the terminal into face.
    FACE = "face"
    #: Text pasted from the official マイナ資格確認アプリ (資格確認限定型).
    LIMITED_APP = "limited_app"


class ConsentKind(StrEnum):
    """閲覧同意 families; element prefixes in `CONSENT_PREFIXES` (names drift between versions)."""

    SPECIFIC_HEALTH_CHECKUPS = "specific_health_checkups"
    PHARMACISTS = "pharmacists"
    DIAGNOSIS = "diagnosis"
    OPERATION = "operation"
    DIAGNOSIS_NAME = "diagnosis_name"
    INFECTIOUS = "infectious"
    ALLERGY = "allergy"
    CONTRAINDICATION = "contraindication"
    TEST = "test"
    PRESCRIPTION = "prescription"


#: Element prefix → consent kind. `PharmaceuticalInfo` is the drifted spelling seen in one project.
CONSENT_PREFIXES: dict[str, ConsentKind] = {
    "SpecificHealthCheckupsInfo": ConsentKind.SPECIFIC_HEALTH_CHECKUPS,
    "PharmacistsInfo": ConsentKind.PHARMACISTS,
    "PharmaceuticalInfo": ConsentKind.PHARMACISTS,
    "DiagnosisInfo": ConsentKind.DIAGNOSIS,
    "OperationInfo": ConsentKind.OPERATION,
    "DiagnosisName": ConsentKind.DIAGNOSIS_NAME,
    "InfectiousInfo": ConsentKind.INFECTIOUS,
    "AllergyInfo": ConsentKind.ALLERGY,
    "ContraindicationInfo": ConsentKind.CONTRAINDICATION,
    "TestInfo": ConsentKind.TEST,
    "PrescriptionInfo": ConsentKind.PRESCRIPTION,
}


#: 法別番号 of 生活保護 (医療扶助) 公費負担者番号.
WELFARE_LAW_CODE = "12"


class Unmapped(NamedTuple):
    """An element the parser does not map: its path (``XmlMsg/…``) and its text as shown (cut
    at `UNMAPPED_TEXT_LIMIT` characters, 12-digit runs masked); the kept raw bytes hold all."""

    path: str
    text: str


#: Characters of an unmapped element's text kept for display.
UNMAPPED_TEXT_LIMIT = 200


@dataclass(frozen=True, slots=True)
class MessageHeader:
    process_execution_time: datetime | None = None
    qualification_confirmation_date: date | None = None
    medical_institution_code: str | None = None
    arbitrary_file_identifier: str | None = None
    reference_classification: ReferenceClassification | str | None = None
    segment_of_result: SegmentOfResult | str | None = None
    error_code: str | None = None
    error_message: str | None = None
    character_code_identifier: CharacterCode | str | None = None


@dataclass(frozen=True, slots=True)
class SearchInfo:
    """QualificationConfirmSearchInfo: what was asked (echoed in a 個別照会 answer)."""

    insurer_number: str | None = None
    insured_card_symbol: str | None = None
    insured_identification_number: str | None = None
    insured_branch_number: str | None = None
    birthdate: date | None = None
    limit_consent: ConsentFlag | str | None = None
    arbitrary_identifier: str | None = None


@dataclass(frozen=True, slots=True)
class ElderlyRecipientInfo:
    """高齢受給者証情報."""

    certificate_date: date | None = None
    valid_start: date | None = None
    valid_end: date | None = None
    #: As sent: a percentage-like code ("20" = 2割, sometimes "020").
    contribution_ratio: str | None = None

    @property
    def ratio_wari(self) -> int | None:
        return ratio_to_wari(self.contribution_ratio)


@dataclass(frozen=True, slots=True)
class LimitCertificateInfo:
    """限度額適用認定証関連情報."""

    classification: LimitCertificateClassification | str | None = None
    category: LimitCategory | str | None = None
    certificate_date: date | None = None
    valid_start: date | None = None
    valid_end: date | None = None
    long_term_date: date | None = None


@dataclass(frozen=True, slots=True)
class SpecificDiseaseInfo:
    """特定疾病療養受療証情報."""

    category: SpecificDiseaseCategory | str | None = None
    certificate_date: date | None = None
    valid_start: date | None = None
    valid_end: date | None = None
    #: 自己負担限度額 as sent (e.g. "10000").
    self_pay: str | None = None


@dataclass(frozen=True, slots=True)
class MedicalTicketInfo:
    """医療券・調剤券情報 of 医療扶助 (PublicExpenseResultList/MedicalTicketInfo)."""

    ticket_type: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    issue_number: str | None = None
    #: 診療年月 as YYYYMM.
    treatment_month: str | None = None
    designated_institution_code: str | None = None
    #: 指定医療機関確認フラグ: meaning of the values is not public; kept raw.
    designated_institution_flag: str | None = None
    designated_institution_name: str | None = None
    prescription_issuer_code: str | None = None
    prescription_issuer_name: str | None = None
    injury_names: tuple[str, ...] = ()
    treatment_type: str | None = None
    self_pay_amount: str | None = None
    district_contact_name: str | None = None
    handling_contact_name: str | None = None
    single_or_combined_use: str | None = None
    status_of_social_insurance: str | None = None
    consistency_flag: str | None = None
    status_of_infection: str | None = None
    status_of_elderly_medical_care: str | None = None
    status_of_prefectural_expenses: str | None = None
    remarks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PublicExpenseInfo:
    """公費 (医療費助成 via PMH) entry.

    The element names of this block are NOT verified against the official spec (only one public
    project tries `PublicExpenseNumber`/`BeneficiaryNumber`); the simulator uses them.
    """

    payer_number: str | None = None
    recipient_number: str | None = None
    name: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    self_pay_limit: str | None = None


@dataclass(frozen=True, slots=True)
class ConsentInfo:
    """One 閲覧同意 (flag, when given, until when usable)."""

    kind: ConsentKind
    element_prefix: str
    flag: ConsentFlag | str | None = None
    consented_at: datetime | None = None
    available_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class QualificationRecord:
    """ResultOfQualificationConfirmation: one insurance (or 医療扶助) qualification."""

    card_classification: InsuredCardClassification | str | None = None
    #: 8 characters as sent (a 6-digit 国保 number is left-padded with spaces).
    insurer_number: str | None = None
    insured_card_symbol: str | None = None
    insured_identification_number: str | None = None
    insured_branch_number: str | None = None
    personal_family: PersonalFamily | str | None = None
    insured_name: str | None = None
    name: str | None = None
    name_of_other: str | None = None
    name_kana: str | None = None
    name_of_other_kana: str | None = None
    sex1: SexCode | str | None = None
    sex2: SexCode | str | None = None
    birthdate: date | None = None
    address: str | None = None
    post_number: str | None = None
    qualification_date: date | None = None
    disqualification_date: date | None = None
    certificate_issuance_date: date | None = None
    card_valid_from: date | None = None
    card_valid_until: date | None = None
    #: 一部負担金割合 as sent ("010" = 1割 for 後期高齢者).
    partial_contribution_ratio: str | None = None
    preschool: PreschoolClassification | str | None = None
    reason_of_loss: ReasonOfLoss | str | None = None
    insurer_name: str | None = None
    elderly: ElderlyRecipientInfo | None = None
    limit_consent: ConsentFlag | str | None = None
    limit_consented_at: datetime | None = None
    limit_certificate: LimitCertificateInfo | None = None
    specific_disease_consent: ConsentFlag | str | None = None
    specific_disease_consented_at: datetime | None = None
    specific_diseases: tuple[SpecificDiseaseInfo, ...] = ()
    medical_tickets: tuple[MedicalTicketInfo, ...] = ()
    public_expenses: tuple[PublicExpenseInfo, ...] = ()
    consents: tuple[ConsentInfo, ...] = ()
    reference_number: str | None = None
    arbitrary_identifier: str | None = None
    #: 医療扶助 公費負担者番号, 受給者番号 and 福祉事務所名 sent directly in the record (the element
    #: names OQSDrug2 reads; SINGLE source). See `welfare_numbers`.
    payer_number: str | None = None
    recipient_number: str | None = None
    welfare_office_name: str | None = None

    @property
    def insurer_number_digits(self) -> str | None:
        """Insurer number without its padding (6 digits for 国保, 8 otherwise), whether the
        terminal padded a 国保 number with spaces or a レセコン with zeros (``00138016``)."""
        return normalise_insurer_number(self.insurer_number) or None

    @property
    def is_welfare(self) -> bool:
        """医療扶助: 被保険者証区分 A1, or a 公費負担者番号 of 法別 12 (生活保護) (OQSDrug2)."""
        if self.card_classification == InsuredCardClassification.WELFARE:
            return True
        payer = normalise_insurer_number(self.payer_number or self.insurer_number)
        return len(payer) == 8 and payer.startswith(WELFARE_LAW_CODE)

    @property
    def welfare_numbers(self) -> tuple[str | None, str | None]:
        """(公費負担者番号, 受給者番号) of a 医療扶助 record: PublicExpenseNumber and
        BeneficiaryNumber when sent, else InsurerNumber and InsuredIdentificationNumber, which
        carry them in 医療扶助 records (OQSDrug2 reads either)."""
        return (
            (self.payer_number or "").strip() or self.insurer_number_digits,
            (self.recipient_number or "").strip() or self.insured_identification_number,
        )

    @property
    def insurance_kind(self) -> InsuranceKind:
        """Broad class from the insurer number (法別番号 / 6-digit 国保 / 39 = 後期高齢者)."""
        if self.is_welfare:
            return InsuranceKind.WELFARE
        return insurance_kind_of(self.insurer_number_digits)

    @property
    def sex(self) -> Sex:
        """性別1 in the clinic's words (unknown when unset or a code this version does not know)."""
        return self.sex1.to_sex() if isinstance(self.sex1, SexCode) else Sex.UNKNOWN

    @property
    def ratio_wari(self) -> int | None:
        """負担割合 in 割 from InsuredPartialContributionRatio, when sent."""
        return ratio_to_wari(self.partial_contribution_ratio)

    def consent(self, kind: ConsentKind) -> ConsentInfo | None:
        return next((c for c in self.consents if c.kind is kind), None)


@dataclass(frozen=True, slots=True)
class QualificationResult:
    """One answer from the terminal (or the limited app), parsed.

    `simulated` is True whenever the answer came from the simulator (its mark in the file, or a
    site configured as simulated); everything derived from this result must carry it on.
    """

    source: ResultSource
    header: MessageHeader
    processing_result_status: ProcessingResultStatus | str | None = None
    processing_result_code: str | None = None
    processing_result_message: str | None = None
    qualification_validity: QualificationValidity | str | None = None
    records: tuple[QualificationRecord, ...] = ()
    search_info: SearchInfo | None = None
    prescription_issue_select: PrescriptionIssueSelect | str | None = None
    #: Body-level SpecificDiseasesCertificateList (seen in one implementation).
    body_specific_diseases: tuple[SpecificDiseaseInfo, ...] = ()
    simulated: bool = False
    #: Name of the file the result came from (None for pasted text).
    file_name: str | None = None
    #: The bytes exactly as received (empty for pasted text).
    raw_xml: bytes = b""
    #: Pasted text as received, with any individual-number line removed (limited app only).
    raw_text: str | None = None
    #: Python codec the bytes were decoded with.
    encoding: str | None = None
    #: Every element this parser does not map, in document order, with its text.
    unmapped: tuple[Unmapped, ...] = ()
    #: Non-fatal oddities: unparseable dates, declared vs. CharacterCodeIdentifier mismatch, …
    warnings: tuple[str, ...] = ()
    #: Lines of pasted text set aside without refusing it (limited app only; typed, for the desk).
    paste_notes: tuple[LineProblem, ...] = ()
    #: Simulator-only extras (identity check used, presentation id); never in real files.
    simulator_info: tuple[tuple[str, str], ...] = field(default=())

    @property
    def record(self) -> QualificationRecord | None:
        """The first (usually only) qualification record."""
        return self.records[0] if self.records else None

    @property
    def request_id(self) -> str | None:
        return self.header.arbitrary_file_identifier

    @property
    def verification_path(self) -> VerificationPath | None:
        """The path this result itself implies (limited app); otherwise the caller knows it."""
        return VerificationPath.LIMITED_APP if self.source is ResultSource.LIMITED_APP else None

    def simulator_value(self, key: str) -> str | None:
        return next((v for k, v in self.simulator_info if k == key), None)

    @property
    def unknown_elements(self) -> tuple[str, ...]:
        """The paths of `unmapped`, each once, in document order."""
        return tuple(dict.fromkeys(u.path for u in self.unmapped))


def ratio_to_wari(raw: str | None) -> int | None:
    """'010' → 1, '20' → 2, '030' → 3: the terminal sends tenths of 10割 or percents, padded."""
    if raw is None:
        return None
    digits = raw.strip()
    if not digits.isdigit():
        return None
    value = int(digits)
    if value == 0:
        return 0
    if value % 10 == 0 and value <= 100:
        return value // 10
    return None
