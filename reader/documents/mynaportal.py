"""The マイナポータル 「医療保険の資格情報」 PDF, parsed into typed data for confirmation.

The rules (DOC-07, DOC-09) accept this PDF together with the My Number card when the online
check fails. A PDF is easy to edit, so the result is never a verdict: it carries every value as
read, what could not be read, and warnings, and the desk shows all of it for staff to compare
with the card and the patient. A 12-digit 個人番号 is masked before any field is looked at.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar

from policies.model import DocumentKind, InsuranceKind, Sex
from policies.numbers import insurance_kind_of, validate_insurer_number
from reader.documents.errors import NotMynaportalDocumentError, ResourceLimitError
from reader.documents.isolation import extract_pdf_text_isolated
from reader.documents.labels import SECTION_SCOPED, Hit, Marker, PortalField, Token, scan
from reader.documents.pdftext import PdfLimits, PdfText, extract_pdf_text
from reader.documents.textnorm import MASK, normalize, redact_individual_numbers
from reader.jpdate import DateFormatError, JpDate, parse_jp_date, parse_jp_datetime

DEFAULT_LIMITS = PdfLimits()
#: A real document has a few dozen labels; thousands mean a crafted file.
MAX_LABELS = 1000
_T = TypeVar("_T")


class Relationship(StrEnum):
    """本人・家族の別."""

    SELF = "self"  # 本人 / 被保険者 / 世帯主 / 組合員
    FAMILY = "family"  # 家族 / 被扶養者


class WarningCode(StrEnum):
    """Why a value or the whole document needs a closer look. Stable keys for the UI."""

    INDIVIDUAL_NUMBER_DROPPED = "individual_number_dropped"
    UNREADABLE_VALUE = "unreadable_value"
    EMPTY_VALUE = "empty_value"
    #: Value paired with its label by position (labels block, then values block).
    LAYOUT_GUESSED = "layout_guessed"
    CONFLICTING_VALUES = "conflicting_values"
    CHECK_DIGIT_MISMATCH = "check_digit_mismatch"
    ERA_OUT_OF_RANGE = "era_out_of_range"
    DATES_INCONSISTENT = "dates_inconsistent"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    ISSUED_IN_FUTURE = "issued_in_future"
    NO_ISSUE_DATE = "no_issue_date"
    MULTIPLE_COVERAGES = "multiple_coverages"
    SOURCE_NOT_CONFIRMED = "source_not_confirmed"
    LOOKS_LIKE_NOTICE = "looks_like_notice"
    CONTAINS_IMAGES = "contains_images"
    PDF_REPAIRED = "pdf_repaired"
    EMPTY_PASSWORD_ENCRYPTION = "empty_password_encryption"  # noqa: S105 - a code, not a secret


@dataclass(frozen=True, slots=True)
class ParseWarning:
    """A finding for staff. ``detail`` is English for logs and never quotes document text."""

    code: WarningCode
    field: PortalField | None = None
    detail: str = ""
    #: Which coverage (index into ``PortalQualification.coverages``) it concerns, if any.
    coverage: int | None = None


@dataclass(frozen=True, slots=True)
class ExtractedField:
    """A value exactly as read (normalised, individual numbers masked), for side-by-side display."""

    field: PortalField
    text: str
    #: The label as printed in the PDF.
    label: str
    #: 1-based page number.
    page: int
    #: Index into ``coverages`` for insurance fields; None for the person and the document.
    coverage: int | None


@dataclass(frozen=True, slots=True)
class ElderlyRecipient:
    """高齢受給者 (70–74): its own 負担割合 and validity."""

    burden_ratio: int | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    #: Text printed next to the heading (該当なし …), as read.
    status_text: str = ""


@dataclass(frozen=True, slots=True)
class LimitCertificate:
    """限度額適用 (認定証 information): 区分 and validity."""

    category: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    status_text: str = ""


@dataclass(frozen=True, slots=True)
class PortalCoverage:
    """One insurance the document lists (normally exactly one: the current one)."""

    insurer_name: str | None = None
    insurer_number: str | None = None
    insured_symbol: str | None = None
    insured_number: str | None = None
    insured_branch: str | None = None
    relationship: Relationship | None = None
    insured_person_name: str | None = None
    #: 一部負担金の割合 in 割 (1, 2, 3).
    burden_ratio: int | None = None
    qualification_date: date | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    #: 交付年月日 of the underlying certificate (not the PDF's date).
    certificate_issued_on: date | None = None
    elderly: ElderlyRecipient | None = None
    limit: LimitCertificate | None = None
    insurance_kind: InsuranceKind = InsuranceKind.UNKNOWN
    #: None when there is no well-formed insurer number to check.
    insurer_number_check_ok: bool | None = None


@dataclass(frozen=True, slots=True)
class PortalQualification:
    """Everything read from one マイナポータル 資格情報 PDF, for staff to confirm.

    ``fields`` lists every value as read; ``missing`` names expected fields whose label never
    appeared; ``unreadable`` names fields whose label appeared but whose value could not be
    parsed. Nothing here is a decision: ``policies`` decides, staff confirm.
    """

    name: str | None
    name_kana: str | None
    birth_date: date | None
    sex: Sex | None
    coverages: tuple[PortalCoverage, ...]
    #: The document's own issue/print/retrieval date-time, as printed on it (JST).
    issued_at: datetime | None
    #: /CreationDate from the PDF metadata: a hint only, trivially editable.
    pdf_created_at: datetime | None
    #: The text names マイナポータル; False means it could be any 資格情報-like PDF.
    source_confirmed: bool
    page_count: int
    #: The extracted text (NFKC-normalised, 個人番号-like digits masked); pages split by \f.
    raw_text: str
    fields: tuple[ExtractedField, ...]
    missing: tuple[PortalField, ...]
    unreadable: tuple[PortalField, ...]
    warnings: tuple[ParseWarning, ...]
    document_kind: DocumentKind = DocumentKind.MYNAPORTAL_PDF

    @property
    def coverage(self) -> PortalCoverage | None:
        """The first coverage listed (check MULTIPLE_COVERAGES before relying on it)."""
        return self.coverages[0] if self.coverages else None

    @property
    def needs_attention(self) -> tuple[PortalField, ...]:
        """Fields staff must read off the original themselves: missing or unreadable."""
        seen = dict.fromkeys(self.missing + self.unreadable)
        return tuple(seen)

    def has_warning(self, code: WarningCode) -> bool:
        return any(w.code is code for w in self.warnings)


# ---------------------------------------------------------------------------- assembly


_PERSON_FIELDS = frozenset(
    {PortalField.NAME, PortalField.NAME_KANA, PortalField.BIRTH_DATE, PortalField.SEX}
)
_COVERAGE_TOKENS = frozenset(
    {
        PortalField.INSURER_NAME,
        PortalField.INSURER_NUMBER,
        PortalField.INSURED_SYMBOL,
        PortalField.INSURED_NUMBER,
        PortalField.INSURED_BRANCH,
        Marker.SYMBOL_NUMBER,
        Marker.LATE_ELDERLY_NUMBER,
        PortalField.RELATIONSHIP,
        PortalField.INSURED_PERSON_NAME,
        PortalField.BURDEN_RATIO,
        PortalField.QUALIFICATION_DATE,
        PortalField.VALID_FROM,
        PortalField.VALID_UNTIL,
        PortalField.CERTIFICATE_ISSUED_ON,
    }
)
#: Section-scoped labels each section reads (others inside it are ignored).
_ELDERLY_TOKENS = frozenset(
    {PortalField.BURDEN_RATIO, PortalField.VALID_FROM, PortalField.VALID_UNTIL}
)
_LIMIT_TOKENS = frozenset(
    {PortalField.LIMIT_CATEGORY, PortalField.VALID_FROM, PortalField.VALID_UNTIL}
)


@dataclass
class _CoverageHits:
    main: dict[Token, Hit] = field(default_factory=dict)
    elderly: dict[Token, Hit] = field(default_factory=dict)
    limit: dict[Token, Hit] = field(default_factory=dict)
    elderly_heading: Hit | None = None
    limit_heading: Hit | None = None


@dataclass
class _Assembly:
    person: dict[Token, Hit] = field(default_factory=dict)
    issued: Hit | None = None
    coverages: list[_CoverageHits] = field(default_factory=lambda: [_CoverageHits()])
    warnings: list[ParseWarning] = field(default_factory=list)
    tokens_seen: set[Token] = field(default_factory=set)

    @property
    def current(self) -> _CoverageHits:
        return self.coverages[-1]


def _assemble(hits: Sequence[Hit]) -> _Assembly:
    """Group hits into person, document and per-coverage values, following section headings."""
    out = _Assembly()
    section = Marker.SECTION_MAIN
    for hit in hits:
        token = hit.token
        out.tokens_seen.add(token)
        if token in (Marker.SECTION_ELDERLY, Marker.SECTION_LIMIT):
            section = token
            attr = "elderly_heading" if token is Marker.SECTION_ELDERLY else "limit_heading"
            if getattr(out.current, attr) is None:
                setattr(out.current, attr, hit)
            continue
        if token in (Marker.SECTION_MAIN, Marker.SECTION_OTHER):
            section = token
            continue
        if token in SECTION_SCOPED and section is not Marker.SECTION_MAIN:
            if section is Marker.SECTION_ELDERLY and token in _ELDERLY_TOKENS:
                out.current.elderly.setdefault(token, hit)
            elif section is Marker.SECTION_LIMIT and token in _LIMIT_TOKENS:
                out.current.limit.setdefault(token, hit)
            continue  # 公費 etc.: not read
        if token is PortalField.LIMIT_CATEGORY or token is PortalField.INDIVIDUAL_NUMBER:
            continue  # 区分 outside 限度額 means nothing; 個人番号 is masked and counted
        section = Marker.SECTION_MAIN
        if token in _PERSON_FIELDS:
            first = out.person.setdefault(token, hit)
            if first.value != hit.value:
                out.warnings.append(
                    ParseWarning(
                        WarningCode.CONFLICTING_VALUES,
                        first.token,
                        "the document prints this value twice, differently; the first is shown",
                    )
                )
        elif token is PortalField.ISSUED_AT:
            out.issued = out.issued or hit
        elif token in _COVERAGE_TOKENS:
            known = out.current.main.get(token)
            if known is not None and known.value != hit.value:
                out.coverages.append(_CoverageHits())  # a second insurance (history)
            elif known is not None:
                continue  # repeated header on a later page
            out.current.main[token] = hit
    return out


# ---------------------------------------------------------------------------- conversion


_SPACE = re.compile(r"\s+")
_RATIO_WARI = re.compile(r"(?<!\d)(\d{1,2})\s*割")
_RATIO_PERCENT = re.compile(r"(?<!\d)(\d{1,3})\s*%")
_CODE_CHARS = re.compile(r"[\w\-]{1,20}")
_SPLIT_COMBINED = re.compile(r"\s*[・/]\s*|\s+")
_BRANCH_IN_PARENS = re.compile(r"\(?\s*枝番\s*\)?\s*:?\s*")


class _Unreadable(ValueError):
    """A value was present but is not in a form we accept; the reason is for the log."""


def _compact(text: str) -> str:
    return _SPACE.sub("", text)


def _no_mask(text: str) -> None:
    if MASK in text and re.search(rf"\{MASK}{{4}}", text):
        raise _Unreadable("masked as a possible individual number")


def _text_value(text: str, max_chars: int = 60) -> str:
    _no_mask(text)
    value = _SPACE.sub(" ", text).strip()
    if not value or len(value) > max_chars or not any(ch.isalpha() for ch in value):
        raise _Unreadable("not a plausible name")
    return value


def _code_value(text: str) -> str:
    _no_mask(text)
    value = _compact(text)
    if not _CODE_CHARS.fullmatch(value):
        raise _Unreadable("not a plausible 記号/番号")
    return value


def _insurer_number(text: str) -> str:
    _no_mask(text)
    value = re.sub(r"[\s\-]", "", text)
    if not re.fullmatch(r"\d{6}|\d{8}", value):
        raise _Unreadable("保険者番号 must be 6 or 8 digits")
    return value


def _branch(text: str) -> str:
    value = _compact(text)
    if not re.fullmatch(r"\d{1,2}", value):
        raise _Unreadable("枝番 must be 1 or 2 digits")
    return value.zfill(2)


def _ratio(text: str) -> int:
    match = _RATIO_WARI.search(text)
    if match:
        ratio = int(match[1])
    else:
        match = _RATIO_PERCENT.search(text)
        if not match or int(match[1]) % 10:
            raise _Unreadable("負担割合 not in 割 or %")
        ratio = int(match[1]) // 10
    if not 0 <= ratio <= 10:
        raise _Unreadable("負担割合 out of range")
    return ratio


def _sex(text: str) -> Sex:
    male, female = "男" in text, "女" in text
    if male == female:
        raise _Unreadable("性別 not 男 or 女")
    return Sex.MALE if male else Sex.FEMALE


def _relationship(text: str) -> Relationship:
    self_words = ("本人", "被保険者", "世帯主", "組合員")
    family_words = ("家族", "被扶養者")
    is_self = any(w in text for w in self_words)
    is_family = any(w in text for w in family_words)
    if is_self == is_family:
        raise _Unreadable("本人・家族の別 not recognised")
    return Relationship.SELF if is_self else Relationship.FAMILY


def _split_combined(text: str) -> tuple[str, str, str | None]:
    """記号・番号(・枝番) printed as one value: ``1234・5678・00`` or ``1234 5678 (枝番)00``."""
    _no_mask(text)
    parts = [p for p in _SPLIT_COMBINED.split(_BRANCH_IN_PARENS.sub(" ", text).strip()) if p]
    if len(parts) == 2:
        return _code_value(parts[0]), _code_value(parts[1]), None
    if len(parts) == 3:
        return _code_value(parts[0]), _code_value(parts[1]), _branch(parts[2])
    raise _Unreadable("記号・番号 could not be split")


class _Converter:
    """Turns hits into typed values, collecting fields, unreadable names and warnings."""

    def __init__(self, warnings: list[ParseWarning]) -> None:
        self.fields: list[ExtractedField] = []
        self.unreadable: list[PortalField] = []
        #: Fields filled from a combined value (記号・番号・枝番) rather than their own label.
        self.derived: set[PortalField] = set()
        self.warnings = warnings

    def record(self, hit: Hit, fld: PortalField, coverage: int | None) -> None:
        self.fields.append(ExtractedField(fld, hit.value, hit.label, hit.page + 1, coverage))
        if hit.guessed:
            self.warnings.append(
                ParseWarning(
                    WarningCode.LAYOUT_GUESSED, fld, "paired with its label by position", coverage
                )
            )

    def fail(self, fld: PortalField, reason: str, coverage: int | None) -> None:
        if fld not in self.unreadable:
            self.unreadable.append(fld)
        self.warnings.append(ParseWarning(WarningCode.UNREADABLE_VALUE, fld, reason, coverage))

    def convert(
        self,
        hit: Hit | None,
        fld: PortalField,
        parse: Callable[[str], _T],
        coverage: int | None,
    ) -> _T | None:
        if hit is None:
            return None
        self.record(hit, fld, coverage)
        if not hit.value:
            if fld not in self.unreadable:
                self.unreadable.append(fld)
            self.warnings.append(
                ParseWarning(WarningCode.EMPTY_VALUE, fld, "label without a value", coverage)
            )
            return None
        try:
            return parse(hit.value)
        except (_Unreadable, DateFormatError) as exc:
            self.fail(fld, str(exc), coverage)
            return None

    def date(self, hit: Hit | None, fld: PortalField, coverage: int | None) -> date | None:
        jd: JpDate | None = self.convert(hit, fld, parse_jp_date, coverage)
        if jd is None:
            return None
        if jd.era_out_of_range:
            self.warnings.append(
                ParseWarning(
                    WarningCode.ERA_OUT_OF_RANGE,
                    fld,
                    f"{jd.era} year runs past the era; read as {jd.value.isoformat()}",
                    coverage,
                )
            )
        return jd.value


def _coverage(conv: _Converter, hits: _CoverageHits, index: int) -> PortalCoverage:
    main = hits.main
    F = PortalField

    def value(fld: PortalField, parse: Callable[[str], _T]) -> _T | None:
        return conv.convert(main.get(fld), fld, parse, index)

    symbol = value(F.INSURED_SYMBOL, _code_value)
    number = value(F.INSURED_NUMBER, _code_value)
    branch = value(F.INSURED_BRANCH, _branch)
    combined_hit = main.get(Marker.SYMBOL_NUMBER)
    if combined_hit is not None:
        combined = conv.convert(combined_hit, F.INSURED_NUMBER, _split_combined, index)
        if combined is not None:
            symbol = symbol or combined[0]
            number = number or combined[1]
            branch = branch or combined[2]
            conv.derived.add(F.INSURED_SYMBOL)
            if combined[2] is not None:
                conv.derived.add(F.INSURED_BRANCH)
        else:
            conv.fail(F.INSURED_SYMBOL, "記号・番号 unreadable", index)
    late_number = conv.convert(
        main.get(Marker.LATE_ELDERLY_NUMBER), F.INSURED_NUMBER, _code_value, index
    )
    number = number or late_number

    insurer_number = value(F.INSURER_NUMBER, _insurer_number)
    check_ok = validate_insurer_number(insurer_number).valid if insurer_number else None
    if check_ok is False:
        conv.warnings.append(
            ParseWarning(
                WarningCode.CHECK_DIGIT_MISMATCH,
                F.INSURER_NUMBER,
                "保険者番号 fails its check digit: misprinted, misread or edited",
                index,
            )
        )

    elderly = None
    if hits.elderly or hits.elderly_heading is not None:
        e = hits.elderly
        elderly = ElderlyRecipient(
            burden_ratio=conv.convert(e.get(F.BURDEN_RATIO), F.ELDERLY_BURDEN_RATIO, _ratio, index),
            valid_from=conv.date(e.get(F.VALID_FROM), F.ELDERLY_VALID_FROM, index),
            valid_until=conv.date(e.get(F.VALID_UNTIL), F.ELDERLY_VALID_UNTIL, index),
            status_text=hits.elderly_heading.value if hits.elderly_heading else "",
        )
    limit = None
    if hits.limit or hits.limit_heading is not None:
        lim = hits.limit
        limit = LimitCertificate(
            category=conv.convert(lim.get(F.LIMIT_CATEGORY), F.LIMIT_CATEGORY, _text_value, index),
            valid_from=conv.date(lim.get(F.VALID_FROM), F.LIMIT_VALID_FROM, index),
            valid_until=conv.date(lim.get(F.VALID_UNTIL), F.LIMIT_VALID_UNTIL, index),
            status_text=hits.limit_heading.value if hits.limit_heading else "",
        )

    return PortalCoverage(
        insurer_name=value(F.INSURER_NAME, _text_value),
        insurer_number=insurer_number,
        insured_symbol=symbol,
        insured_number=number,
        insured_branch=branch,
        relationship=value(F.RELATIONSHIP, _relationship),
        insured_person_name=value(F.INSURED_PERSON_NAME, _text_value),
        burden_ratio=value(F.BURDEN_RATIO, _ratio),
        qualification_date=conv.date(main.get(F.QUALIFICATION_DATE), F.QUALIFICATION_DATE, index),
        valid_from=conv.date(main.get(F.VALID_FROM), F.VALID_FROM, index),
        valid_until=conv.date(main.get(F.VALID_UNTIL), F.VALID_UNTIL, index),
        certificate_issued_on=conv.date(
            main.get(F.CERTIFICATE_ISSUED_ON), F.CERTIFICATE_ISSUED_ON, index
        ),
        elderly=elderly,
        limit=limit,
        insurance_kind=insurance_kind_of(insurer_number),
        insurer_number_check_ok=check_ok,
    )


# ---------------------------------------------------------------------------- checks

#: Labels that make a document a 資格情報 document at all (Japanese, for the error message).
_REQUIRED: tuple[tuple[str, frozenset[Token]], ...] = (
    ("保険者番号", frozenset({PortalField.INSURER_NUMBER})),
    (
        "記号・番号",
        frozenset(
            {
                PortalField.INSURED_SYMBOL,
                PortalField.INSURED_NUMBER,
                Marker.SYMBOL_NUMBER,
                Marker.LATE_ELDERLY_NUMBER,
            }
        ),
    ),
    ("氏名/生年月日", frozenset({PortalField.NAME, PortalField.BIRTH_DATE})),
)


def _missing(
    result_cov: PortalCoverage | None, tokens: set[Token], fields_seen: set[PortalField]
) -> tuple[PortalField, ...]:
    expected = [
        PortalField.NAME,
        PortalField.BIRTH_DATE,
        PortalField.SEX,
        PortalField.INSURER_NAME,
        PortalField.INSURER_NUMBER,
        PortalField.INSURED_NUMBER,
        PortalField.QUALIFICATION_DATE,
        PortalField.ISSUED_AT,
    ]
    kind = result_cov.insurance_kind if result_cov else InsuranceKind.UNKNOWN
    late = kind is InsuranceKind.LATE_ELDERLY or Marker.LATE_ELDERLY_NUMBER in tokens
    if late:
        expected.append(PortalField.BURDEN_RATIO)  # 後期 documents always state 1/2/3割
    else:
        expected += [
            PortalField.INSURED_SYMBOL,
            PortalField.INSURED_BRANCH,
            PortalField.RELATIONSHIP,
        ]
    return tuple(f for f in expected if f not in fields_seen)


def _date_checks(
    result: PortalQualification, warnings: list[ParseWarning], today: date | None
) -> None:
    def warn(code: WarningCode, fld: PortalField, detail: str, cov: int | None = None) -> None:
        warnings.append(ParseWarning(code, fld, detail, cov))

    if result.issued_at is None:
        warn(WarningCode.NO_ISSUE_DATE, PortalField.ISSUED_AT, "no issue/print date on it")
    birth = result.birth_date
    if today is not None and birth is not None and birth > today:
        warn(WarningCode.DATES_INCONSISTENT, PortalField.BIRTH_DATE, "birth date in the future")
    if today is not None and result.issued_at is not None and result.issued_at.date() > today:
        warn(WarningCode.ISSUED_IN_FUTURE, PortalField.ISSUED_AT, "issued after today")
    for index, cov in enumerate(result.coverages):
        if cov.valid_from and cov.valid_until and cov.valid_from > cov.valid_until:
            warn(WarningCode.DATES_INCONSISTENT, PortalField.VALID_UNTIL, "ends first", index)
        if birth and cov.qualification_date and cov.qualification_date < birth:
            warn(
                WarningCode.DATES_INCONSISTENT,
                PortalField.QUALIFICATION_DATE,
                "資格取得 before birth",
                index,
            )
        if today is None:
            continue
        if cov.valid_until is not None and cov.valid_until < today:
            warn(WarningCode.EXPIRED, PortalField.VALID_UNTIL, "validity ended", index)
        if cov.valid_from is not None and cov.valid_from > today:
            warn(WarningCode.NOT_YET_VALID, PortalField.VALID_FROM, "validity not begun", index)


# ---------------------------------------------------------------------------- entry points

_NOTICE_TITLES = ("資格情報のお知らせ", "資格情報通知書")


def read_mynaportal_text(pdf: PdfText, *, today: date | None = None) -> PortalQualification:
    """Parse already-extracted PDF text (the pure half of ``parse_mynaportal_pdf``)."""
    warnings: list[ParseWarning] = []
    pages: list[str] = []
    dropped = 0
    for page in pdf.pages:
        text, count = redact_individual_numbers(normalize(page))
        pages.append(text)
        dropped += count
    if dropped:
        warnings.append(
            ParseWarning(
                WarningCode.INDIVIDUAL_NUMBER_DROPPED,
                PortalField.INDIVIDUAL_NUMBER,
                f"{dropped} value(s) that may be an individual number were masked and not kept",
            )
        )
    hits = [hit for index, text in enumerate(pages) for hit in scan(text, index)]
    if len(hits) > MAX_LABELS:
        raise ResourceLimitError("far more labels than any 資格情報 document has")
    assembly = _assemble(hits)
    missing_labels = tuple(
        name for name, tokens in _REQUIRED if not (tokens & assembly.tokens_seen)
    )
    if missing_labels:
        raise NotMynaportalDocumentError(missing_labels)
    warnings.extend(assembly.warnings)

    conv = _Converter(warnings)
    person = assembly.person
    name = conv.convert(person.get(PortalField.NAME), PortalField.NAME, _text_value, None)
    kana = conv.convert(person.get(PortalField.NAME_KANA), PortalField.NAME_KANA, _text_value, None)
    birth = conv.date(person.get(PortalField.BIRTH_DATE), PortalField.BIRTH_DATE, None)
    sex = conv.convert(person.get(PortalField.SEX), PortalField.SEX, _sex, None)
    issued = conv.convert(assembly.issued, PortalField.ISSUED_AT, parse_jp_datetime, None)
    coverages = tuple(_coverage(conv, hits_, i) for i, hits_ in enumerate(assembly.coverages))
    if len(coverages) > 1:
        warnings.append(
            ParseWarning(
                WarningCode.MULTIPLE_COVERAGES,
                None,
                f"the document lists {len(coverages)} insurances; confirm which is current",
            )
        )

    joined = "\f".join(pages)
    source_confirmed = "マイナポータル" in joined
    looks_like_notice = any(title in joined for title in _NOTICE_TITLES)
    if not source_confirmed:
        warnings.append(
            ParseWarning(WarningCode.SOURCE_NOT_CONFIRMED, None, "マイナポータル is not named")
        )
    if looks_like_notice:
        warnings.append(
            ParseWarning(WarningCode.LOOKS_LIKE_NOTICE, None, "titled as a 資格情報のお知らせ")
        )
    if pdf.image_pages:
        warnings.append(
            ParseWarning(
                WarningCode.CONTAINS_IMAGES, None, "parts of it are images and were not read"
            )
        )
    if pdf.repaired:
        warnings.append(
            ParseWarning(WarningCode.PDF_REPAIRED, None, "the PDF structure was damaged")
        )
    if pdf.decrypted_with_empty_password:
        warnings.append(
            ParseWarning(WarningCode.EMPTY_PASSWORD_ENCRYPTION, None, "opened without a password")
        )

    fields_seen = {f.field for f in conv.fields} | conv.derived
    result = PortalQualification(
        name=name,
        name_kana=kana,
        birth_date=birth,
        sex=sex,
        coverages=coverages,
        issued_at=issued[0] if issued else None,
        pdf_created_at=pdf.created_at,
        source_confirmed=source_confirmed,
        page_count=pdf.page_count,
        raw_text=joined,
        fields=tuple(conv.fields),
        missing=_missing(coverages[0] if coverages else None, assembly.tokens_seen, fields_seen),
        unreadable=tuple(conv.unreadable),
        warnings=(),
        document_kind=(
            DocumentKind.QUALIFICATION_NOTICE
            if looks_like_notice and not source_confirmed
            else DocumentKind.MYNAPORTAL_PDF
        ),
    )
    _date_checks(result, warnings, today)
    return _with_warnings(result, warnings)


def _with_warnings(
    result: PortalQualification, warnings: list[ParseWarning]
) -> PortalQualification:
    return replace(result, warnings=tuple(warnings))


def parse_mynaportal_pdf(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_LIMITS.max_bytes,
    max_pages: int = DEFAULT_LIMITS.max_pages,
    time_limit_s: float = DEFAULT_LIMITS.time_limit_s,
    isolated: bool = False,
    today: date | None = None,
) -> PortalQualification:
    """Read a マイナポータル 「医療保険の資格情報」 PDF for staff to confirm.

    Raises a ``DocumentError`` subclass for every unusable file (not a PDF, damaged,
    password-protected, oversize — checked before parsing —, no or too many pages, image only,
    decompression bomb, too slow, not a 資格情報 document). With ``isolated=True`` the PDF is
    opened in a separate process that is killed at the time limit: use that at the desk.
    ``today`` (passed in, never read from the clock) enables the expiry/future-date warnings.
    """
    limits = PdfLimits(max_bytes=max_bytes, max_pages=max_pages, time_limit_s=time_limit_s)
    extract = extract_pdf_text_isolated if isolated else extract_pdf_text
    pdf = extract(data, limits)
    return read_mynaportal_text(pdf, today=today)
