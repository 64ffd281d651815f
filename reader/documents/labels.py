"""Label-based field scanning for Japanese insurance documents.

Layouts vary (label and value on one line, value on the next line, two label/value pairs per
row, values wrapped over lines) and the exact マイナポータル layout is not published, so the
scanner does not rely on positions: it finds every known label in reading order and takes the
text up to the next label as that label's value. Labels are matched longest-first so
``被保険者等記号・番号・枝番`` wins over ``番号``, and only where they stand as words (not inside
a longer word), tolerating a single space or line break between their characters.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from enum import StrEnum

from reader.documents.textnorm import join_wrapped


class PortalField(StrEnum):
    """Fields of a 医療保険の資格情報 document. Values are stable keys (UI translates them)."""

    INSURER_NAME = "insurer_name"
    INSURER_NUMBER = "insurer_number"
    INSURED_SYMBOL = "insured_symbol"
    INSURED_NUMBER = "insured_number"
    INSURED_BRANCH = "insured_branch"
    NAME = "name"
    NAME_KANA = "name_kana"
    BIRTH_DATE = "birth_date"
    SEX = "sex"
    RELATIONSHIP = "relationship"
    INSURED_PERSON_NAME = "insured_person_name"
    BURDEN_RATIO = "burden_ratio"
    QUALIFICATION_DATE = "qualification_date"
    VALID_FROM = "valid_from"
    VALID_UNTIL = "valid_until"
    CERTIFICATE_ISSUED_ON = "certificate_issued_on"
    ELDERLY_BURDEN_RATIO = "elderly_burden_ratio"
    ELDERLY_VALID_FROM = "elderly_valid_from"
    ELDERLY_VALID_UNTIL = "elderly_valid_until"
    LIMIT_CATEGORY = "limit_category"
    LIMIT_VALID_FROM = "limit_valid_from"
    LIMIT_VALID_UNTIL = "limit_valid_until"
    #: The document's own issue/print/retrieval date-time (発行日, 取得日時 …).
    ISSUED_AT = "issued_at"
    #: Never stored: only named in the warning that says one was dropped.
    INDIVIDUAL_NUMBER = "individual_number"


class Marker(StrEnum):
    """Label kinds that are not one field: combined values and section headings."""

    SYMBOL_NUMBER = "symbol_number"  # 記号・番号(・枝番) printed together
    LATE_ELDERLY_NUMBER = "late_elderly_number"  # 被保険者番号 (後期: no 記号)
    SECTION_ELDERLY = "section_elderly"
    SECTION_LIMIT = "section_limit"
    SECTION_MAIN = "section_main"
    SECTION_OTHER = "section_other"  # 公費, 特定疾病 …: not parsed, ends the previous value


#: What a label announces: a field (for section-scoped ones, the main-section field) or a marker.
Token = PortalField | Marker


#: Label spellings seen on 資格確認書, 資格情報のお知らせ, the マイナ資格確認アプリ and insurer
#: portals (see README.md for sources); NFKC-normalised.
LABELS: dict[Token, tuple[str, ...]] = {
    PortalField.INSURER_NAME: (
        "保険者名称",
        "保険者名",
        "保険者等名称",
        "保険者等の名称",
        "保険者の名称",
    ),
    PortalField.INSURER_NUMBER: ("保険者番号", "保険者等番号", "保険者番号等"),
    PortalField.INSURED_SYMBOL: ("記号", "被保険者証記号", "被保険者等記号", "被保険者記号"),
    PortalField.INSURED_NUMBER: ("番号", "被保険者証番号", "被保険者等番号"),
    PortalField.INSURED_BRANCH: ("枝番", "枝番号"),
    Marker.SYMBOL_NUMBER: (
        "被保険者等記号・番号・枝番",
        "被保険者等記号・番号",
        "記号・番号・枝番",
        "記号・番号",
        "記号番号",
        "被保険者証記号・番号",
        "被保険者証等記号・番号",
    ),
    Marker.LATE_ELDERLY_NUMBER: ("被保険者番号",),
    PortalField.NAME: ("氏名", "名前", "受診者氏名", "加入者氏名", "被保険者等氏名"),
    PortalField.NAME_KANA: (
        "氏名(カナ)",
        "氏名(フリガナ)",
        "氏名カナ",
        "カナ氏名",
        "フリガナ",
        "ふりがな",
        "氏名(ふりがな)",
    ),
    PortalField.BIRTH_DATE: ("生年月日",),
    PortalField.SEX: ("性別",),
    PortalField.RELATIONSHIP: (
        "本人・家族の別",
        "本人・家族区分",
        "本人家族の別",
        "本人家族区分",
        "本人・家族",
        "本人/家族",
        "被保険者・被扶養者の別",
        "続柄",
    ),
    PortalField.INSURED_PERSON_NAME: ("被保険者氏名", "被保険者名", "世帯主氏名", "世帯主名"),
    PortalField.BURDEN_RATIO: (
        "一部負担金の割合",
        "一部負担金割合",
        "一部負担割合",
        "負担割合",
        "自己負担割合",
        "窓口負担割合",
    ),
    PortalField.QUALIFICATION_DATE: (
        "資格取得年月日",
        "資格取得日",
        "資格取得年月",
        "資格認定年月日",
        "適用開始年月日",
    ),
    PortalField.VALID_FROM: (
        "有効開始日",
        "有効開始年月日",
        "適用開始日",
        "発効期日",
        "有効期間開始日",
    ),
    PortalField.VALID_UNTIL: (
        "有効期限",
        "有効終了日",
        "有効終了年月日",
        "有効期限日",
        "有効期間終了日",
        "適用終了日",
    ),
    PortalField.CERTIFICATE_ISSUED_ON: ("交付年月日", "交付日"),
    PortalField.LIMIT_CATEGORY: ("適用区分", "所得区分", "限度額区分", "区分"),
    PortalField.ISSUED_AT: (
        "発行日時",
        "発行日",
        "発行年月日",
        "取得日時",
        "取得日",
        "出力日時",
        "出力日",
        "作成日時",
        "作成日",
        "照会日時",
        "照会日",
        "表示日時",
        "印刷日時",
        "確認日時",
        "確認日",
        "情報取得日時",
    ),
    PortalField.INDIVIDUAL_NUMBER: ("個人番号", "マイナンバー"),
    Marker.SECTION_ELDERLY: (
        "高齢受給者証情報",
        "高齢受給者情報",
        "高齢受給者証",
        "高齢受給者",
    ),
    Marker.SECTION_LIMIT: (
        "限度額適用・標準負担額減額認定証",
        "限度額適用認定証関連情報",
        "限度額適用認定証",
        "限度額適用情報",
        "限度額情報",
        "限度額適用",
    ),
    Marker.SECTION_MAIN: ("医療保険の資格情報", "健康保険証の資格情報", "資格情報"),
    Marker.SECTION_OTHER: (
        "特定疾病療養受療証",
        "公費負担医療",
        "公費情報",
        "医療費助成",
        "薬剤情報",
        "診療情報",
        "特定健診情報",
    ),
}

#: Tokens whose value belongs to the current section (高齢受給者, 限度額) when inside one.
SECTION_SCOPED = frozenset(
    {
        PortalField.BURDEN_RATIO,
        PortalField.VALID_FROM,
        PortalField.VALID_UNTIL,
        PortalField.LIMIT_CATEGORY,
    }
)
SECTIONS = frozenset(
    {Marker.SECTION_ELDERLY, Marker.SECTION_LIMIT, Marker.SECTION_MAIN, Marker.SECTION_OTHER}
)
#: Longest value any field can legitimately have; longer means we ran into body text.
MAX_VALUE_CHARS = 120


def _label_pattern(label: str) -> str:
    # One optional space between characters (letter-spaced cells); a line break only after
    # "・", where a long label wraps in a narrow column. Never a bare line break: two labels on
    # consecutive lines (記号 / 番号) must stay two labels.
    out = re.escape(label[0])
    for previous, char in itertools.pairwise(label):
        out += (r"\s?" if previous == "・" else "[ ]?") + re.escape(char)
    return out


def _compile() -> tuple[re.Pattern[str], dict[str, Token]]:
    group_token: dict[str, Token] = {}
    parts: list[tuple[int, str]] = []
    for index, (token, spellings) in enumerate(LABELS.items()):
        for number, spelling in enumerate(spellings):
            group = f"t{index}_{number}"
            group_token[group] = token
            parts.append((len(spelling), f"(?P<{group}>{_label_pattern(spelling)})"))
    parts.sort(key=lambda item: -item[0])
    alternation = "|".join(pattern for _, pattern in parts)
    # A label stands as a word: not preceded by a letter, not followed by one (digits may
    # follow directly: 保険者番号01130012).
    pattern = re.compile(rf"(?<!\w)(?:{alternation})(?![^\W\d])")
    return pattern, group_token


_PATTERN, _GROUP_TOKEN = _compile()
_LEADING_JUNK = re.compile(r"^[\s:|)\]】」』>＞]+")
_TRAILING_JUNK = re.compile(r"[\s:|(\[【「『<＜]+$")
_NOTE_LINE = re.compile(
    r"^\s*(?:※|\*|注\s*\d*\s*[:.)])"  # footnotes
    # page numbers: 1/2, - 1 -, 1ページ, P.1 (never a bare number: 枝番 00 stands alone)
    r"|^\s*(?:\d{1,3}\s*/\s*\d{1,3}|-\s*\d{1,3}\s*-|\d{1,3}\s*(?:ページ|頁)|P\.?\s*\d{1,3})\s*$"
)


@dataclass(frozen=True, slots=True)
class Hit:
    """One label found in the text and the value that follows it."""

    token: Token
    label: str
    value: str
    page: int
    #: Position in the page text, for ordering.
    start: int
    #: The value was paired with its label by position in a block of labels followed by a
    #: block of values (a table extracted column by column): plausible, not certain.
    guessed: bool = False


def _strip_notes(text: str) -> str:
    """Blank out footnotes (※…) and page numbers: prose and furniture, never values."""
    return "\n".join("" if _NOTE_LINE.match(line) else line for line in text.split("\n"))


def _clean(value: str) -> str:
    return _TRAILING_JUNK.sub("", _LEADING_JUNK.sub("", value))


def _value_lines(raw: str, token: Token) -> list[str]:
    lines = [line.strip() for line in raw.split("\n")]
    if token in SECTIONS:
        # A heading's own "value" is at most the rest of its line (…: 該当なし).
        return lines[:1]
    return lines


def _pair_column_blocks(
    found: list[tuple[Token, str, list[str], int]],
) -> list[tuple[Token, str, str, int, bool]]:
    """Join values to labels; undo a labels-then-values block if the counts match exactly."""
    out: list[tuple[Token, str, str, int, bool]] = []
    empty_run: list[int] = []
    for token, label, lines, start in found:
        non_empty = [line for line in lines if _clean(line)]
        if token in SECTIONS:
            empty_run = []
        elif not non_empty:
            empty_run.append(len(out))
        elif len(empty_run) >= 2 and not _clean(lines[0]) and len(non_empty) == len(empty_run) + 1:
            for position, line in zip(empty_run, non_empty, strict=False):
                t, lab, _, st, _ = out[position]
                out[position] = (t, lab, _clean(line), st, True)
            out.append((token, label, _clean(non_empty[-1]), start, True))
            empty_run = []
            continue
        else:
            empty_run = []
        out.append((token, label, _clean(join_wrapped(lines)), start, False))
    return out


def scan(page_text: str, page: int) -> list[Hit]:
    """All labels on one (normalised, redacted) page, in reading order, with their values."""
    text = _strip_notes(page_text)
    matches = [
        (m.start(), m.end(), _GROUP_TOKEN[m.lastgroup or ""], m.group(0))
        for m in _PATTERN.finditer(text)
    ]
    found: list[tuple[Token, str, list[str], int]] = []
    for index, (start, end, token, label) in enumerate(matches):
        stop = matches[index + 1][0] if index + 1 < len(matches) else len(text)
        found.append((token, re.sub(r"\s", "", label), _value_lines(text[end:stop], token), start))
    return [
        Hit(token, label, value, page, start, guessed)
        for token, label, value, start, guessed in _pair_column_blocks(found)
    ]
