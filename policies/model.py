"""The shared vocabulary of reception: facilities, verification paths, failure reasons, documents.

Every other layer (reader, storage, ui, reports) speaks in these terms, so the values are
stable strings: they are written to the database and the audit chain. Add members freely;
never rename or reuse a value that has been shipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class FacilityKind(StrEnum):
    """Facility class as the subsidy notices distinguish them (SEED000/001/003)."""

    HOSPITAL = "hospital"
    CLINIC = "clinic"
    PHARMACY = "pharmacy"
    #: 大型チェーン薬局: defined in the rule data (``[[facility_class]]``, subsidies.toml).
    LARGE_CHAIN_PHARMACY = "large_chain_pharmacy"


class OqsMode(StrEnum):
    """How the facility does online eligibility checks at all."""

    #: Obligated facility with the full system (資格確認端末 + 顔認証付きカードリーダー).
    MANDATED = "mandated"
    #: 資格確認限定型: マイナ資格確認アプリ + general-purpose reader (LTD-01..05).
    LIMITED = "limited"
    #: Exempt facility with no online check at all (DOC-09).
    NONE = "none"


class Flow(StrEnum):
    """Optional flows a facility has enabled on its terminal (環境設定情報更新)."""

    FACE_READER = "face_reader"
    GENERAL_READER = "general_reader"
    HOME_VISIT = "home_visit"  # 居宅同意取得型 訪問診療等 (HOME-01)
    ONLINE_CONSULTATION = "online_consultation"  # オンライン診療等 (HOME-04)
    UNUSUAL_ROUTE = "unusual_route"  # 外来: 通常とは異なる動線 / 機器故障時等 (HOME-05/06, FAIL-08)
    WELFARE = "welfare"  # 医療扶助のオンライン資格確認 (MA-01..)
    PMH = "pmh"  # 医療費助成 via PMH (PMH-07)
    SMARTPHONE_READER = "smartphone_reader"  # スマホのマイナ保険証 reader (DOC-10), optional


class VerificationPath(StrEnum):
    """How eligibility was established for one visit: exactly one per recorded verification."""

    #: マイナ保険証 on the 顔認証付きカードリーダー, face authentication or PIN on the reader.
    MYNA_FACE_READER = "myna_face_reader"
    #: マイナ保険証, face reader switched to 目視確認モード by staff (FAIL-05).
    MYNA_FACE_READER_VISUAL = "myna_face_reader_visual"
    #: マイナ保険証 on a general-purpose PC/SC reader, identity by the 4-digit PIN.
    MYNA_GENERAL_READER_PIN = "myna_general_reader_pin"
    #: マイナ保険証 on a general-purpose reader, identity by staff visual check (目視確認).
    MYNA_GENERAL_READER_VISUAL = "myna_general_reader_visual"
    #: 資格確認限定型: the official マイナ資格確認アプリ, result pasted into Madoguchi.
    LIMITED_APP = "limited_app"
    #: 居宅同意取得型, first visit: card read on a mobile device at home, consent taken.
    HOME_VISIT_FIRST = "home_visit_first"
    #: 居宅同意取得型, later visit: 再照会 with the numbers taken on the first visit.
    HOME_VISIT_REQUERY = "home_visit_requery"
    #: オンライン診療等 via マイナ在宅受付Web.
    ONLINE_CONSULTATION = "online_consultation"
    #: 外来 unusual route / equipment failure, mobile device (居宅同意取得型).
    MOBILE_DEVICE = "mobile_device"
    #: Individual OQS query with the numbers from a presented document (資格確認書, お知らせ, …).
    NUMBER_QUERY = "number_query"
    #: Documents only, checked by staff; nothing confirmed online.
    DOCUMENTS = "documents"
    #: 被保険者資格申立書 (FAIL-02/03); billed as 不詳 if nothing is found later (FAIL-04).
    SELF_DECLARATION = "self_declaration"
    #: Paper 医療券/調剤券 for 医療扶助 (FAIL-09).
    WELFARE_PAPER_TICKET = "welfare_paper_ticket"
    #: Nothing verifiable: 10割 (DOC-14).
    SELF_PAY = "self_pay"
    #: スマホのマイナ保険証 on the extra reader (DOC-10, from 2025-09-19).
    MYNA_SMARTPHONE = "myna_smartphone"


class FailureReason(StrEnum):
    """Why the primary path did not work; pre-fills the fallback guide."""

    NO_CARD = "no_card"  # patient did not bring a My Number card
    READER_FAILURE = "reader_failure"  # reader broken / unplugged / no reader
    CARD_UNREADABLE = "card_unreadable"  # chip damaged, pulled mid-read, not a My Number card
    CARD_EXPIRED = "card_expired"  # auth certificate expired beyond the DOC-11 grace
    PIN_LOCKED = "pin_locked"  # auth PIN blocked (FAIL-06)
    PIN_UNKNOWN = "pin_unknown"  # patient does not know the PIN / declines
    FACE_AUTH_FAILED = "face_auth_failed"
    PATIENT_CANNOT_OPERATE = "patient_cannot_operate"  # wheelchair, elderly, disability
    TERMINAL_DOWN = "terminal_down"  # terminal or network unreachable / no answer in time
    TERMINAL_ERROR = "terminal_error"  # terminal answered with an error code
    NO_RECORD = "no_record"  # 資格情報なし / 該当資格なし
    ELIGIBILITY_LOST = "eligibility_lost"  # 資格（無効）, 無効（新しい資格あり）
    MULTIPLE_MATCHES = "multiple_matches"  # 複数該当
    NOT_DESIGNATED_WELFARE = "not_designated_welfare"  # 医療扶助: 未委託 / no welfare flow here
    PMH_NOT_AVAILABLE = "pmh_not_available"  # 公費 not on PMH for this municipality/type
    IDENTITY_MISMATCH = "identity_mismatch"  # 目視確認: the person is not the one on the card


class DocumentKind(StrEnum):
    """Things a patient can present at the desk."""

    MYNA_CARD = "myna_card"  # マイナンバーカード (physical)
    MYNA_SMARTPHONE = "myna_smartphone"  # スマホのマイナ保険証 (DOC-10)
    QUALIFICATION_CERTIFICATE = "qualification_certificate"  # 資格確認書 (DOC-03)
    QUALIFICATION_NOTICE = "qualification_notice"  # 資格情報のお知らせ (DOC-07/08)
    MYNAPORTAL_SCREEN = "mynaportal_screen"  # マイナポータル 医療保険の資格情報 screen
    MYNAPORTAL_PDF = "mynaportal_pdf"  # its downloaded PDF
    INSURANCE_CARD = "insurance_card"  # 健康保険証 (valid, DOC-04)
    EXPIRED_INSURANCE_CARD = "expired_insurance_card"  # 期限切れ保険証 (DOC-05/06 暫定)
    SELF_DECLARATION_FORM = "self_declaration_form"  # 被保険者資格申立書
    MEDICAL_TICKET = "medical_ticket"  # 医療券 (paper)
    DISPENSING_TICKET = "dispensing_ticket"  # 調剤券 (paper)
    PUBLIC_EXPENSE_CERTIFICATE = "public_expense_certificate"  # 受給者証 (paper)
    ELDERLY_RECIPIENT_CERTIFICATE = "elderly_recipient_certificate"  # 高齢受給者証
    LIMIT_CERTIFICATE = "limit_certificate"  # 限度額適用認定証


class Outcome(StrEnum):
    """What the verification established."""

    CONFIRMED = "confirmed"  # eligibility confirmed (online, or by an accepted document)
    PROVISIONAL = "provisional"  # 申立書 / oral confirmation: bill, confirm later
    NOT_CONFIRMED = "not_confirmed"  # nothing accepted: 10割
    ABANDONED = "abandoned"  # patient left / visit cancelled before a path was recorded


class Sex(StrEnum):
    """A patient's sex as the clinic keeps it; the terminal's 性別 codes map onto it
    (``reader.terminal.codes.SexCode``)."""

    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


class InsuranceKind(StrEnum):
    """Broad insurer class; rules differ by it (DOC-04, DOC-12, MA-*)."""

    NATIONAL = "national"  # 国民健康保険
    EMPLOYEE = "employee"  # 被用者保険 (協会けんぽ, 健保組合, 共済, 船員)
    LATE_ELDERLY = "late_elderly"  # 後期高齢者医療
    WELFARE = "welfare"  # 医療扶助 (生活保護)
    UNKNOWN = "unknown"


class VisitSetting(StrEnum):
    """Where and how the patient is seen; the 居宅同意取得型 rules depend on it (HOME-01..06)."""

    OUTPATIENT = "outpatient"  # 外来, at the desk
    UNUSUAL_ROUTE = (
        "unusual_route"  # 外来, 通常とは異なる動線 (発熱外来, ward, drive-through; HOME-05)
    )
    HOME_VISIT = "home_visit"  # 訪問診療・訪問薬剤管理指導 (continuing care; HOME-01)
    HOUSE_CALL = "house_call"  # 往診: a fresh check at every visit (HOME-01)
    ONLINE_CONSULTATION = "online_consultation"  # オンライン診療・服薬指導 (HOME-04)


class AcceptAction(StrEnum):
    """What staff do with what the patient presents."""

    ONLINE = "online"  # マイナ保険証 checked online (reader, app, mobile device)
    ACCEPT = "accept"  # accept the documents as they are
    QUERY_OQS = "query_oqs"  # query the terminal with the numbers on the document (個別照会/再照会)
    SELF_DECLARATION = (
        "self_declaration"  # 被保険者資格申立書 or oral confirmation that counts as one
    )
    PAPER_TICKET = "paper_ticket"  # paper 医療券/調剤券 (医療扶助)
    CONTACT_WELFARE_OFFICE = "contact_welfare_office"  # ask the 福祉事務所 for the 医療券 (MA-05)
    SELF_PAY = "self_pay"  # 10割


class SubsidyType(StrEnum):
    """医療費助成 kinds as the PMH notices count them (SEED003 別添2, SEED004 PMH-03)."""

    INTRACTABLE_DISEASE = "intractable_disease"  # 難病 (特定医療費)
    PEDIATRIC_CHRONIC = "pediatric_chronic"  # 小児慢性特定疾病
    TUBERCULOSIS = "tuberculosis"  # 結核患者の医療
    PREMATURE_INFANT = "premature_infant"  # 未熟児養育医療
    MENTAL_OUTPATIENT = "mental_outpatient"  # 精神通院 (自立支援医療)
    REHABILITATION = "rehabilitation"  # 更生医療 (自立支援医療)
    YOUTH_REHABILITATION = "youth_rehabilitation"  # 育成医療 (自立支援医療)
    CARE_MEDICAL = "care_medical"  # 療養介護医療費
    DISABLED_CHILD = "disabled_child"  # 肢体不自由児通所医療費・障害児入所医療費
    INFECTIOUS_RESTRAINT = "infectious_restraint"  # 新型インフルエンザ等 外出自粛対象者の医療
    HEPATITIS = "hepatitis"  # 肝炎治療・肝がん・重度肝硬変 (予算事業)
    SPECIFIED_DISEASE = "specified_disease"  # 特定疾患治療研究事業
    CHILD = "child"  # 地単: こども医療費助成
    DISABILITY = "disability"  # 地単: 障害者医療費助成
    SINGLE_PARENT = "single_parent"  # 地単: ひとり親家庭等医療費助成
    OTHER_LOCAL = "other_local"  # 地単: その他


@dataclass(frozen=True, slots=True)
class FacilityProfile:
    """What the rules need to know about this facility."""

    kind: FacilityKind
    oqs_mode: OqsMode
    flows: frozenset[Flow] = field(default_factory=frozenset)
    #: 医療機関コード (10 digits) as used in the terminal exchange.
    medical_institution_code: str = ""
    #: 2-digit prefecture code (JIS X 0401) and 6-digit municipality code, for PMH lookups.
    prefecture_code: str = ""
    municipality_code: str = ""
    name: str = ""

    def has(self, flow: Flow) -> bool:
        return flow in self.flows


@dataclass(frozen=True, slots=True)
class PublicExpense:
    """One 公費/地単 entitlement, named by the body that pays it (the issuer of the 受給者証).

    The payer, not the residence, decides PMH coverage: e.g. 名古屋市 runs its own 小児慢性 program
    although it lies in 愛知県.
    """

    subsidy_type: SubsidyType
    prefecture: str  # payer prefecture, e.g. "愛知県"
    municipality: str = ""  # payer municipality; "" when the prefecture itself pays
    payer_number: str = ""  # 公費負担者番号 (8 digits) when known


@dataclass(frozen=True, slots=True)
class PatientContext:
    """What the rules need to know about the patient for this visit (never the 個人番号)."""

    insurance_kind: InsuranceKind = InsuranceKind.UNKNOWN
    birth_date: date | None = None
    #: 再診: the institution knows the patient and the billing data from earlier visits.
    revisit: bool = False
    setting: VisitSetting = VisitSetting.OUTPATIENT
    public_expenses: tuple[PublicExpense, ...] = ()
    #: Expiry of the 利用者証明用電子証明書 when known (card read or stated); drives DOC-11.
    cert_expiry: date | None = None
    #: Printed 有効期限 of documents the patient holds, when staff entered them.
    printed_expiry: tuple[tuple[DocumentKind, date], ...] = ()
    #: Date of the first 電子資格確認 by this institution in continuing home care (HOME-01 再照会).
    home_first_check: date | None = None

    @property
    def welfare(self) -> bool:
        """医療扶助 (生活保護): the insurer is the 福祉事務所, documents are 医療券/調剤券."""
        return self.insurance_kind is InsuranceKind.WELFARE

    def expiry_of(self, kind: DocumentKind) -> date | None:
        return next((d for k, d in self.printed_expiry if k is kind), None)
