"""The shared vocabulary of reception: facilities, verification paths, failure reasons, documents.

Every other layer (reader, storage, ui, reports) speaks in these terms, so the values are
stable strings: they are written to the database and the audit chain. Add members freely;
never rename or reuse a value that has been shipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class FacilityKind(StrEnum):
    """Facility class as the subsidy notices distinguish them (SEED000/001/003)."""

    HOSPITAL = "hospital"
    CLINIC = "clinic"
    PHARMACY = "pharmacy"
    #: 大型チェーン薬局: group receiving ≥ 40,000 prescriptions a month (SEED000 flyer).
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


class InsuranceKind(StrEnum):
    """Broad insurer class; rules differ by it (DOC-04, DOC-12, MA-*)."""

    NATIONAL = "national"  # 国民健康保険
    EMPLOYEE = "employee"  # 被用者保険 (協会けんぽ, 健保組合, 共済, 船員)
    LATE_ELDERLY = "late_elderly"  # 後期高齢者医療
    WELFARE = "welfare"  # 医療扶助 (生活保護)
    UNKNOWN = "unknown"


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
