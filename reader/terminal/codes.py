"""Code lists of the OQS result XML (別紙5-1 業務コード仕様 as public implementations show them).

Values are the raw strings the terminal writes, so a parsed field is either one of these members
or, when the terminal sends a code we do not know (spec drift), the raw string itself. Sources and
confidence are in /work/shared/research/oqs-interface.md §2.2.
"""

from __future__ import annotations

from enum import Enum, StrEnum
from typing import TypeVar

from policies.model import Sex

E = TypeVar("E", bound=Enum)


def code_or_raw(enum_cls: type[E], raw: str | None) -> E | str | None:
    """Map a raw code to its enum member; keep unknown codes as the raw string (never guess)."""
    if raw is None:
        return None
    try:
        return enum_cls(raw)
    except ValueError:
        return raw


class CharacterCode(StrEnum):
    """CharacterCodeIdentifier 文字コード識別."""

    UTF8 = "0"
    SHIFT_JIS = "1"


class ReferenceClassification(StrEnum):
    """照会区分."""

    MY_NUMBER_CARD = "1"
    INSURANCE_NUMBERS = "2"


class SegmentOfResult(StrEnum):
    """処理結果区分 (header): 9 per hangilc/Sotatek; one source says 3, also kept as an error."""

    NORMAL = "1"
    IN_PROGRESS = "2"
    ABNORMAL_ALT = "3"
    ABNORMAL = "9"


class ProcessingResultStatus(StrEnum):
    """処理結果状況 (OQSCD004)."""

    NORMAL = "1"
    ERROR = "2"


class QualificationValidity(StrEnum):
    """資格有効性 (OQSCD006)."""

    VALID = "1"
    INVALID = "2"
    INVALID_WITH_NEW = "3"
    NO_RECORD = "4"
    MULTIPLE = "5"
    #: 有効（未登録）: 医療扶助 only.
    VALID_UNREGISTERED = "6"


class InsuredCardClassification(StrEnum):
    """被保険者証区分."""

    GENERAL = "01"
    RETIRED = "02"
    SHORT_TERM_GENERAL = "03"
    SHORT_TERM_RETIRED = "04"
    QUALIFICATION_CERTIFICATE = "05"
    SPECIAL_RETIRED = "06"
    SELF_DEFENSE = "07"
    #: 医療扶助 (生活保護).
    WELFARE = "A1"


class PersonalFamily(StrEnum):
    """本人・家族の別."""

    INSURED = "1"
    FAMILY = "2"


class SexCode(StrEnum):
    """性別1/性別2 as the terminal writes it; :meth:`to_sex` is the clinic's word for it."""

    MALE = "1"
    FEMALE = "2"
    UNSET = "3"

    def to_sex(self) -> Sex:
        return {SexCode.MALE: Sex.MALE, SexCode.FEMALE: Sex.FEMALE}.get(self, Sex.UNKNOWN)


class ReasonOfLoss(StrEnum):
    """資格喪失事由."""

    DEATH = "01"
    WELFARE_START = "02"
    OTHER_INSURANCE = "03"
    OTHER = "99"


class ConsentFlag(StrEnum):
    """同意フラグ (限度額, 閲覧); 2 appears for 特定疾病 (同意有効期限切れ)."""

    NOT_AGREED = "0"
    AGREED = "1"
    EXPIRED = "2"


class LimitCertificateClassification(StrEnum):
    """限度額適用認定証区分."""

    LIMIT = "01"
    LIMIT_AND_MEAL = "02"
    MEAL = "03"


class LimitCategory(StrEnum):
    """限度額適用認定証適用区分 (OQSCD012).

    A01–A06 are 区分ア–オ（境） (under 70). B01–B10 are the 70-and-over categories from 現役並みⅢ
    to 一般Ⅰ; their exact order is not in any public source, so they carry no Japanese label here.
    """

    A01 = "A01"
    A02 = "A02"
    A03 = "A03"
    A04 = "A04"
    A05 = "A05"
    A06 = "A06"
    B01 = "B01"
    B02 = "B02"
    B03 = "B03"
    B04 = "B04"
    B05 = "B05"
    B06 = "B06"
    B07 = "B07"
    B08 = "B08"
    B09 = "B09"
    B10 = "B10"

    @property
    def label(self) -> str:
        """区分 name for display; B codes show the code itself (order unverified)."""
        return _LIMIT_LABELS.get(self.value, f"70歳以上 {self.value}")


_LIMIT_LABELS = {
    "A01": "区分ア",
    "A02": "区分イ",
    "A03": "区分ウ",
    "A04": "区分エ",
    "A05": "区分オ",
    "A06": "区分オ（境）",
}


class SpecificDiseaseCategory(StrEnum):
    """特定疾病療養受療証認定疾病区分 (OQSCD013)."""

    DIALYSIS = "1"
    HEMOPHILIA = "2"
    HIV = "3"


class PreschoolClassification(StrEnum):
    """未就学区分 (one source also lists 2 就学中)."""

    PRESCHOOL = "1"
    IN_SCHOOL = "2"


class PrescriptionIssueSelect(StrEnum):
    """処方箋発行形態 chosen by the patient on the face reader."""

    ELECTRONIC = "1"
    PAPER = "2"
