"""資格確認限定型 bridge: text copied from the マイナ資格確認アプリ → `QualificationResult`.

The app exports nothing; clinics copy its screen. The text is `label value` lines (colon, tab or
spaces between; full- or half-width), sometimes the value on the next line, with sections
裏面記載情報 and 限度額適用認定証. Lines that cannot be used are reported with number and text;
a line that carries an individual number (個人番号) — its label, or any 12-digit run, check digit
valid or not (``policies.individual_number``) — is dropped, said so, and removed from the text we
keep. The storage sanitiser masks any that got through; dropping the line here also keeps the
number out of the parsed fields.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from typing import Any

from policies.individual_number import contains_twelve_digits
from policies.pasted import PasteIssue
from reader.jpdate import parse_date_value
from reader.terminal.codes import (
    LimitCategory,
    PersonalFamily,
    ProcessingResultStatus,
    QualificationValidity,
    ReferenceClassification,
    SegmentOfResult,
    SexCode,
)
from reader.terminal.errors import LineProblem, PastedTextError
from reader.terminal.results import (
    LimitCertificateInfo,
    MessageHeader,
    QualificationRecord,
    QualificationResult,
    ResultSource,
)

#: Replaces a dropped individual-number line in the text we keep.
DROPPED_LINE = "[個人番号らしき行を破棄しました]"
MAX_TEXT_CHARS = 20_000


class _Section:
    MAIN = "main"
    BACK = "裏面記載情報"
    LIMIT = "限度額適用認定証"


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _label_key(label: str) -> str:
    """Label as compared: NFKC, no spaces, no brackets/bullets, ・ variants unified."""
    key = re.sub(r"[\s【】\[\]■◆●◇○<>〈〉「」]", "", _norm(label))
    return key.replace("･", "・").replace("/", "・")


# label → field, per section; the first name is the one the app is known to use.
_MAIN = {
    "氏名": "name",
    "名前": "name",
    "フリガナ": "kana",
    "ふりがな": "kana",
    "氏名カナ": "kana",
    "カナ氏名": "kana",
    "氏名(カナ)": "kana",
    "生年月日": "birthdate",
    "性別": "sex",
    "住所": "address",
    "郵便番号": "post",
    "保険者番号": "insurer_number",
    "保険者名": "insurer_name",
    "保険者名称": "insurer_name",
    "記号": "symbol",
    "被保険者証記号": "symbol",
    "番号": "number",
    "被保険者証番号": "number",
    "枝番": "branch",
    "本人・家族の別": "family",
    "本人家族の別": "family",
    "本人・家族": "family",
    "被保険者氏名": "insured_name",
    "世帯主氏名": "insured_name",
    "資格取得年月日": "qualification_date",
    "資格取得日": "qualification_date",
    "有効開始日": "valid_from",
    "有効開始年月日": "valid_from",
    "有効終了日": "valid_until",
    "有効終了年月日": "valid_until",
    "有効期限": "valid_until",
    "交付年月日": "issued_on",
    "確認日": "confirmed_on",
    "資格確認日": "confirmed_on",
    "負担割合": "ratio",
    "一部負担金割合": "ratio",
    "資格有効性": "validity",
    "資格状態": "validity",
}
_BACK = {"住所": "address", "郵便番号": "post"}
_LIMIT = {
    "区分": "limit_category",
    "適用区分": "limit_category",
    "所得区分": "limit_category",
    "限度額適用認定証適用区分": "limit_category",
    "認定証区分": "limit_classification",
    "限度額適用認定証区分": "limit_classification",
    "交付年月日": "limit_certificate_date",
    "有効開始日": "limit_valid_start",
    "有効開始年月日": "limit_valid_start",
    "有効終了日": "limit_valid_end",
    "有効終了年月日": "limit_valid_end",
    "有効期限": "limit_valid_end",
    "長期入院該当年月日": "limit_long_term_date",
}
_SECTIONS = {
    "裏面記載情報": _Section.BACK,
    "裏面": _Section.BACK,
    "限度額適用認定証": _Section.LIMIT,
    "限度額適用認定証情報": _Section.LIMIT,
    "限度額情報": _Section.LIMIT,
    "資格情報": _Section.MAIN,
    "基本情報": _Section.MAIN,
    "保険情報": _Section.MAIN,
    "被保険者情報": _Section.MAIN,
}
_TABLES = {_Section.MAIN: _MAIN, _Section.BACK: _BACK, _Section.LIMIT: _LIMIT}
_REQUIRED = {
    "name": "氏名",
    "birthdate": "生年月日",
    "insurer_number": "保険者番号",
    "number": "番号",
}
_INDIVIDUAL_NUMBER_LABELS = ("個人番号", "マイナンバー(個人番号)", "マイナンバー")
_LIMIT_KANA = {"ア": "A01", "イ": "A02", "ウ": "A03", "エ": "A04", "オ": "A05", "オ(境)": "A06"}


def _digits(value: str) -> str:
    return re.sub(r"[\s\-‐－]", "", _norm(value))


def _split(line: str) -> tuple[str, str | None]:
    """`label: value`, `label<TAB>value`, `label  value` or `label value` → (label, value).

    The value is "" when a separator is there but nothing after it (an empty field, e.g. no
    end date), and None when the line is a bare label (its value may be on the next line).
    """
    text = _norm(line).strip()
    for sep in (":", "\t"):
        if sep in text:
            label, _, value = text.partition(sep)
            return label.strip(), value.strip()
    parts = text.split(None, 1)
    if len(parts) == 2:
        return parts[0], parts[1].strip()
    return text, None


# ---------------------------------------------------------------- value readers


def _read_date(value: str) -> date:
    return parse_date_value(value)


def _read_insurer(value: str) -> str:
    digits = _digits(value)
    if not digits.isdigit() or len(digits) not in (6, 8):
        raise ValueError("保険者番号 must be 6 or 8 digits")
    return digits.rjust(8, " ")


def _read_branch(value: str) -> str:
    digits = _digits(value)
    if not digits.isdigit() or len(digits) > 2:
        raise ValueError("枝番 must be 1–2 digits")
    return digits.zfill(2)


def _read_sex(value: str) -> SexCode:
    v = _norm(value).strip()
    if v in {"男", "男性", "M"}:
        return SexCode.MALE
    if v in {"女", "女性", "F"}:
        return SexCode.FEMALE
    raise ValueError("性別 must be 男 or 女")


def _read_family(value: str) -> PersonalFamily:
    v = _norm(value).strip()
    if v in {"本人", "被保険者", "被保険者本人"}:
        return PersonalFamily.INSURED
    if v in {"家族", "被扶養者"}:
        return PersonalFamily.FAMILY
    raise ValueError("本人・家族の別 must be 本人 or 家族")


def _read_ratio(value: str) -> str:
    match = re.fullmatch(r"(\d{1,2})\s*割", _norm(value).strip())
    if not match or int(match.group(1)) > 10:
        raise ValueError("負担割合 must look like 3割")
    return f"{int(match.group(1)) * 10:03d}"


def _read_validity(value: str) -> QualificationValidity:
    v = _norm(value).strip()
    table = {
        "有効": QualificationValidity.VALID,
        "無効": QualificationValidity.INVALID,
        "無効(新しい資格あり)": QualificationValidity.INVALID_WITH_NEW,
        "該当資格なし": QualificationValidity.NO_RECORD,
        "資格情報なし": QualificationValidity.NO_RECORD,
        "複数該当": QualificationValidity.MULTIPLE,
    }
    if v not in table:
        raise ValueError("資格有効性 must be 有効, 無効, 該当資格なし or 複数該当")
    return table[v]


def _read_limit_category(value: str) -> LimitCategory | str:
    v = _norm(value).strip().removeprefix("区分")
    if v in _LIMIT_KANA:
        return LimitCategory(_LIMIT_KANA[v])
    if v.upper() in LimitCategory.__members__:
        return LimitCategory(v.upper())
    if not v:
        raise ValueError("区分 is empty")
    return v  # 現役並みⅢ etc.: kept as written


def _read_text(value: str) -> str:
    return _norm(value).strip()


def _read_number(value: str) -> str:
    text = _norm(value).strip()
    if not text:
        raise ValueError("empty")
    return text


_READERS: dict[str, Callable[[str], Any]] = {
    "birthdate": _read_date,
    "qualification_date": _read_date,
    "valid_from": _read_date,
    "valid_until": _read_date,
    "issued_on": _read_date,
    "confirmed_on": _read_date,
    "limit_certificate_date": _read_date,
    "limit_valid_start": _read_date,
    "limit_valid_end": _read_date,
    "limit_long_term_date": _read_date,
    "insurer_number": _read_insurer,
    "branch": _read_branch,
    "sex": _read_sex,
    "family": _read_family,
    "ratio": _read_ratio,
    "validity": _read_validity,
    "limit_category": _read_limit_category,
    "symbol": _read_number,
    "number": _read_number,
}


def _is_section(text: str) -> str | None:
    key = _label_key(text)
    for name, section in _SECTIONS.items():
        if key == name or (key.startswith(name) and len(key) <= len(name) + 2):
            return section
    return None


def _individual_number_line(raw: str, label: str) -> bool:
    key = _label_key(label)
    if any(key.startswith(lab) for lab in _INDIVIDUAL_NUMBER_LABELS) and "カード" not in key:
        return True
    return contains_twelve_digits(_norm(raw))


def parse_limited_app_text(
    text: str, *, received_on: date | None = None, simulated: bool = False
) -> QualificationResult:
    """Parse pasted マイナ資格確認アプリ text into a result (source LIMITED_APP).

    Raises `PastedTextError` listing every line that could not be read (number, text, why) and
    any required label that is missing. Non-fatal oddities (unknown labels, a dropped individual
    number) are in `result.paste_notes`.
    """
    if len(text) > MAX_TEXT_CHARS:
        raise PastedTextError(
            (
                LineProblem(
                    0, "", f"text longer than {MAX_TEXT_CHARS} characters", PasteIssue.TOO_LONG
                ),
            ),
            "not マイナ資格確認アプリ text",
        )
    fields: dict[str, Any] = {}
    failed: set[str] = set()
    errors: list[LineProblem] = []
    notes: list[LineProblem] = []
    kept: list[str] = []
    section = _Section.MAIN
    lines = text.splitlines()
    waiting: tuple[int, str, str] | None = None  # (line_no, raw line, field) of a bare label

    def store(line_no: int, raw: str, fld: str, value: str) -> None:
        if fld in fields:
            notes.append(
                LineProblem(
                    line_no,
                    raw,
                    "label repeated; the first value is kept",
                    PasteIssue.REPEATED_LABEL,
                )
            )
            return
        reader = _READERS.get(fld, _read_text)
        try:
            fields[fld] = reader(value)
        except ValueError as exc:
            failed.add(fld)
            errors.append(LineProblem(line_no, raw, str(exc), PasteIssue.BAD_VALUE))

    for index, raw in enumerate(lines, start=1):
        if not raw.strip():
            kept.append(raw)
            continue
        label, value = _split(raw)
        if _individual_number_line(raw, label):
            notes.append(
                LineProblem(
                    index,
                    "",
                    "individual number (個人番号) dropped: it is never kept",
                    PasteIssue.INDIVIDUAL_NUMBER,
                )
            )
            kept.append(DROPPED_LINE)
            waiting = None
            continue
        kept.append(raw)
        table = _TABLES[section]
        key = _label_key(label)
        if waiting is not None:
            w_line, w_raw, w_field = waiting
            waiting = None
            if key not in table and _is_section(raw) is None:
                store(w_line, f"{w_raw} / {raw.strip()}", w_field, _norm(raw).strip())
                continue
            failed.add(w_field)
            errors.append(LineProblem(w_line, w_raw, "label without a value", PasteIssue.NO_VALUE))
        new_section = _is_section(raw) if value is None else None
        if new_section is not None:
            section = new_section
            continue
        fld = table.get(key)
        if fld is None and section is not _Section.MAIN:
            # Labels after a section that are not its own (確認日 at the end) are main labels.
            fld = _MAIN.get(key)
        if fld is None:
            notes.append(
                LineProblem(
                    index, raw, "not a label this bridge knows; ignored", PasteIssue.UNKNOWN_LABEL
                )
            )
            continue
        if value is None:
            waiting = (index, raw, fld)
        elif value:
            store(index, raw, fld, value)
    if waiting is not None:
        failed.add(waiting[2])
        errors.append(
            LineProblem(waiting[0], waiting[1], "label without a value", PasteIssue.NO_VALUE)
        )
    for fld, label in _REQUIRED.items():
        if fld not in fields and fld not in failed:
            errors.append(
                LineProblem(
                    0, "", f"required label {label} is missing", PasteIssue.MISSING_LABEL, label
                )
            )
    if errors:
        raise PastedTextError(tuple(errors + notes), "the pasted text cannot be used")
    return _build(fields, notes, "\n".join(kept), received_on, simulated)


def _build(
    f: dict[str, Any],
    notes: list[LineProblem],
    kept_text: str,
    received_on: date | None,
    simulated: bool,
) -> QualificationResult:
    limit = None
    if any(k.startswith("limit_") for k in f):
        limit = LimitCertificateInfo(
            classification=f.get("limit_classification"),
            category=f.get("limit_category"),
            certificate_date=f.get("limit_certificate_date"),
            valid_start=f.get("limit_valid_start"),
            valid_end=f.get("limit_valid_end"),
            long_term_date=f.get("limit_long_term_date"),
        )
    record = QualificationRecord(
        insurer_number=f.get("insurer_number"),
        insured_card_symbol=f.get("symbol"),
        insured_identification_number=f.get("number"),
        insured_branch_number=f.get("branch"),
        personal_family=f.get("family"),
        insured_name=f.get("insured_name"),
        name=f.get("name"),
        name_kana=f.get("kana"),
        sex1=f.get("sex"),
        birthdate=f.get("birthdate"),
        address=f.get("address"),
        post_number=f.get("post"),
        qualification_date=f.get("qualification_date"),
        certificate_issuance_date=f.get("issued_on"),
        card_valid_from=f.get("valid_from"),
        card_valid_until=f.get("valid_until"),
        partial_contribution_ratio=f.get("ratio"),
        insurer_name=f.get("insurer_name"),
        limit_certificate=limit,
    )
    header = MessageHeader(
        qualification_confirmation_date=f.get("confirmed_on") or received_on,
        reference_classification=ReferenceClassification.MY_NUMBER_CARD,
        segment_of_result=SegmentOfResult.NORMAL,
    )
    return QualificationResult(
        source=ResultSource.LIMITED_APP,
        header=header,
        processing_result_status=ProcessingResultStatus.NORMAL,
        qualification_validity=f.get("validity", QualificationValidity.VALID),
        records=(record,),
        simulated=simulated,
        raw_text=kept_text,
        paste_notes=tuple(notes),
    )
