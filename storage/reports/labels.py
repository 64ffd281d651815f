"""Japanese labels of the shared vocabulary, for paper and CSV (one table, every member).

The database keeps the stable English values of :mod:`policies.model`; printouts show these
labels. A member without a label prints its raw value rather than failing an evening print run,
and a test checks that the table covers every member of every enum in the model.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, NamedTuple

from policies.model import (
    DocumentKind,
    FacilityKind,
    FailureReason,
    Flow,
    InsuranceKind,
    OqsMode,
    Outcome,
    VerificationPath,
)
from storage.reports.model import PatientMasking


class Label(NamedTuple):
    long: str
    #: For narrow table columns (monthly per-day table); defaults to the long label.
    short: str = ""


P, R, D = VerificationPath, FailureReason, DocumentKind

_TABLE: Final[tuple[tuple[StrEnum, Label], ...]] = (
    # Verification paths
    (P.MYNA_FACE_READER, Label("マイナ保険証（顔認証付きカードリーダー）", "顔認証")),
    (
        P.MYNA_FACE_READER_VISUAL,
        Label("マイナ保険証（顔認証付きカードリーダー・目視確認モード）", "顔認証目視"),
    ),
    (P.MYNA_GENERAL_READER_PIN, Label("マイナ保険証（汎用カードリーダー・暗証番号）", "汎用暗証")),
    (
        P.MYNA_GENERAL_READER_VISUAL,
        Label("マイナ保険証（汎用カードリーダー・目視確認）", "汎用目視"),
    ),
    (P.LIMITED_APP, Label("マイナ保険証（資格確認限定型・マイナ資格確認アプリ）", "限定型")),
    (P.HOME_VISIT_FIRST, Label("居宅同意取得型（初回・マイナ保険証）", "居宅初回")),
    (P.HOME_VISIT_REQUERY, Label("居宅同意取得型（再照会）", "居宅再照会")),
    (P.ONLINE_CONSULTATION, Label("オンライン診療等（マイナ在宅受付Web）", "オンライン")),
    (P.MOBILE_DEVICE, Label("外来・モバイル端末（通常と異なる動線／機器故障時等）", "モバイル")),
    (P.NUMBER_QUERY, Label("被保険者番号等による個別照会", "番号照会")),
    (P.DOCUMENTS, Label("書類の目視確認（オンライン確認なし）", "書類")),
    (P.SELF_DECLARATION, Label("被保険者資格申立書", "申立書")),
    (P.WELFARE_PAPER_TICKET, Label("紙の医療券・調剤券（医療扶助）", "紙医療券")),
    (P.SELF_PAY, Label("資格確認できず（10割負担）", "10割")),
    # Failure reasons
    (R.NO_CARD, Label("マイナンバーカード不持参")),
    (R.READER_FAILURE, Label("カードリーダー故障・未接続")),
    (R.CARD_UNREADABLE, Label("カード読取不可")),
    (R.CARD_EXPIRED, Label("電子証明書の有効期限切れ")),
    (R.PIN_LOCKED, Label("暗証番号ロック")),
    (R.PIN_UNKNOWN, Label("暗証番号不明・入力辞退")),
    (R.FACE_AUTH_FAILED, Label("顔認証できず")),
    (R.PATIENT_CANNOT_OPERATE, Label("患者による操作が困難")),
    (R.TERMINAL_DOWN, Label("資格確認端末・回線の障害")),
    (R.TERMINAL_ERROR, Label("資格確認端末のエラー応答")),
    (R.NO_RECORD, Label("資格情報なし")),
    (R.ELIGIBILITY_LOST, Label("資格無効（喪失）")),
    (R.MULTIPLE_MATCHES, Label("複数該当")),
    (R.NOT_DESIGNATED_WELFARE, Label("医療扶助のオンライン資格確認対象外")),
    (R.PMH_NOT_AVAILABLE, Label("公費がPMH未対応")),
    # Documents seen at the desk
    (D.MYNA_CARD, Label("マイナンバーカード")),
    (D.MYNA_SMARTPHONE, Label("スマホのマイナ保険証")),
    (D.QUALIFICATION_CERTIFICATE, Label("資格確認書")),
    (D.QUALIFICATION_NOTICE, Label("資格情報のお知らせ")),
    (D.MYNAPORTAL_SCREEN, Label("マイナポータル資格情報画面")),
    (D.MYNAPORTAL_PDF, Label("マイナポータル資格情報PDF")),
    (D.INSURANCE_CARD, Label("健康保険証")),
    (D.EXPIRED_INSURANCE_CARD, Label("期限切れの健康保険証")),
    (D.SELF_DECLARATION_FORM, Label("被保険者資格申立書")),
    (D.MEDICAL_TICKET, Label("医療券")),
    (D.DISPENSING_TICKET, Label("調剤券")),
    (D.PUBLIC_EXPENSE_CERTIFICATE, Label("公費受給者証")),
    (D.ELDERLY_RECIPIENT_CERTIFICATE, Label("高齢受給者証")),
    (D.LIMIT_CERTIFICATE, Label("限度額適用認定証")),
    # Outcomes
    (Outcome.CONFIRMED, Label("確認済")),
    (Outcome.PROVISIONAL, Label("仮（後日確認）")),
    (Outcome.NOT_CONFIRMED, Label("未確認（10割）")),
    (Outcome.ABANDONED, Label("中止")),
    # Facility
    (FacilityKind.HOSPITAL, Label("病院")),
    (FacilityKind.CLINIC, Label("診療所")),
    (FacilityKind.PHARMACY, Label("薬局")),
    (FacilityKind.LARGE_CHAIN_PHARMACY, Label("大型チェーン薬局")),
    (OqsMode.MANDATED, Label("オンライン資格確認（義務化対象）")),
    (OqsMode.LIMITED, Label("資格確認限定型")),
    (OqsMode.NONE, Label("オンライン資格確認なし（義務化対象外）")),
    (Flow.FACE_READER, Label("顔認証付きカードリーダー")),
    (Flow.GENERAL_READER, Label("汎用カードリーダー")),
    (Flow.HOME_VISIT, Label("居宅同意取得型（訪問診療等）")),
    (Flow.ONLINE_CONSULTATION, Label("オンライン診療等")),
    (Flow.UNUSUAL_ROUTE, Label("外来（通常と異なる動線・機器故障時等）")),
    (Flow.WELFARE, Label("医療扶助のオンライン資格確認")),
    (Flow.PMH, Label("医療費助成（PMH）")),
    (InsuranceKind.NATIONAL, Label("国民健康保険")),
    (InsuranceKind.EMPLOYEE, Label("被用者保険")),
    (InsuranceKind.LATE_ELDERLY, Label("後期高齢者医療")),
    (InsuranceKind.WELFARE, Label("医療扶助")),
    (InsuranceKind.UNKNOWN, Label("不明")),
    # Report options
    (PatientMasking.FULL, Label("氏名・生年月日を表示")),
    (PatientMasking.PARTIAL, Label("姓と生年のみ表示")),
    (PatientMasking.CHART_ONLY, Label("カルテ番号のみ表示")),
)

#: Keyed by (enum class, value): members of different enums can be equal strings with equal
#: hashes (Flow.WELFARE == InsuranceKind.WELFARE), which would silently overwrite each other.
LABELS: Final[dict[tuple[type[StrEnum], str], Label]] = {
    (type(member), member.value): lbl for member, lbl in _TABLE
}


def label(member: StrEnum | None, default: str = "—") -> str:
    """The Japanese label of ``member``; its raw value if unlabelled; ``default`` for None."""
    if member is None:
        return default
    found = LABELS.get((type(member), member.value))
    return found.long if found else str(member.value)


def short_label(member: StrEnum) -> str:
    found = LABELS.get((type(member), member.value))
    if not found:
        return str(member.value)
    return found.short or found.long
