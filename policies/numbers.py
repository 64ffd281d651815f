"""Check digits (検証番号) of 保険者番号, 公費負担者番号 and 公費の受給者番号.

Algorithm (保険者番号設定要領, NUM-01..03): multiply the digits before the check digit by 2 and 1
alternately starting from the LAST of them, add the products (a two-digit product counts as the
sum of its digits), and subtract the last digit of that sum from 10; a result of 10 is 0.
(The mod-10 "Luhn" scheme.) Sources: HIT-MC0124 (example 33120015), NANBYO-UKURE (example
54016027), CHIGASAKI-17440 (layouts), IRYOJIMU-180515. The 受給者番号 rule rests on secondary
sources only, so its result carries ``single_source``.

Layouts: 保険者番号 8 digits = 法別2 + 都道府県2 + 保険者別3 + 検証1; 国保 6 digits = 都道府県2 +
保険者別3 + 検証1. 公費負担者番号 8 digits = 法別2 + 都道府県2 + 実施機関3 + 検証1.
受給者番号 7 digits.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from policies.model import InsuranceKind


class NumberKind(StrEnum):
    INSURER = "insurer"  # 保険者番号
    PUBLIC_PAYER = "public_payer"  # 公費負担者番号
    RECIPIENT = "recipient"  # 公費の受給者番号


class NumberProblem(StrEnum):
    NONE = "none"
    EMPTY = "empty"
    NOT_DIGITS = "not_digits"
    WRONG_LENGTH = "wrong_length"
    PREFECTURE = "prefecture"  # 都道府県番号 outside 01..47
    CHECK_DIGIT = "check_digit"
    UNKNOWN_CLAIM = "unknown_claim"  # 77777777 / 77777779: the 不詳請求 placeholder (FAIL-04)


@dataclass(frozen=True, slots=True)
class NumberCheck:
    kind: NumberKind
    value: str  # normalised (half-width digits, no spaces or hyphens)
    valid: bool
    problem: NumberProblem
    expected_check_digit: int | None = None
    law_code: str = ""  # 法別番号
    prefecture_code: str = ""
    single_source: bool = False


_UNKNOWN_CLAIM = {"77777777", "77777779"}


def check_digit(body: str) -> int:
    """Check digit for the digits ``body`` (everything before the check digit)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        product = int(ch) * (2 if i % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def normalise(value: str) -> str:
    """Full-width digits to ASCII; drop spaces and hyphens staff type or scanners add."""
    text = unicodedata.normalize("NFKC", value)
    return "".join(ch for ch in text if ch not in " -\t")


def _check(
    kind: NumberKind, raw: str, lengths: tuple[int, ...], single_source: bool = False
) -> NumberCheck:
    value = normalise(raw)

    def result(problem: NumberProblem, **kw: object) -> NumberCheck:
        return NumberCheck(
            kind, value, problem is NumberProblem.NONE, problem, single_source=single_source, **kw
        )  # type: ignore[arg-type]

    if not value:
        return result(NumberProblem.EMPTY)
    if not value.isdigit() or not value.isascii():
        return result(NumberProblem.NOT_DIGITS)
    if len(value) not in lengths:
        return result(NumberProblem.WRONG_LENGTH)
    if kind is NumberKind.INSURER and value in _UNKNOWN_CLAIM:
        return result(NumberProblem.UNKNOWN_CLAIM, law_code=value[:2])
    law, pref = "", ""
    if kind is not NumberKind.RECIPIENT:
        law, pref = (value[:2], value[2:4]) if len(value) == 8 else ("", value[:2])
        if not 1 <= int(pref) <= 47:
            return result(NumberProblem.PREFECTURE, law_code=law, prefecture_code=pref)
    expected = check_digit(value[:-1])
    problem = NumberProblem.NONE if int(value[-1]) == expected else NumberProblem.CHECK_DIGIT
    return result(problem, expected_check_digit=expected, law_code=law, prefecture_code=pref)


def validate_insurer_number(value: str) -> NumberCheck:
    """保険者番号: 8 digits, or 6 digits for 国民健康保険 (市町村)."""
    return _check(NumberKind.INSURER, value, (6, 8))


def validate_public_payer_number(value: str) -> NumberCheck:
    """公費負担者番号: 8 digits."""
    return _check(NumberKind.PUBLIC_PAYER, value, (8,))


def validate_recipient_number(value: str) -> NumberCheck:
    """公費負担医療の受給者番号: 7 digits (secondary sources only)."""
    return _check(NumberKind.RECIPIENT, value, (7,), single_source=True)


#: 法別番号 of 被用者保険 (協会けんぽ 01, 船員 02, 日雇 03/04, 組合 06, 自衛官 07, 共済 31–34,
#: 特例退職 63, 共済 特例退職 72–75); 39 = 後期高齢者医療; 67 = 退職者医療 (国保).
_EMPLOYEE_LAW_CODES = frozenset(
    {"01", "02", "03", "04", "06", "07", "31", "32", "33", "34", "63", "72", "73", "74", "75"}
)
_LATE_ELDERLY_LAW_CODE = "39"
_RETIREE_NATIONAL_LAW_CODE = "67"


#: No 法別番号 is 00, so an 8-digit number starting 00 is a 6-digit 国保 number zero-padded to
#: the field's 8 characters (as some レセコン and requests pad it; the terminal pads with spaces).
_ZERO_PADDED_NATIONAL = "00"


def normalise_insurer_number(value: str | None) -> str:
    """A 保険者番号 as its digits: normalised (spaces and hyphens dropped, so the space padding
    of a 6-digit 国保 number goes) and a zero-padded 国保 number (``00138016``) back to its 6
    digits (``138016``). Anything else is returned normalised, to be validated as it is."""
    text = normalise(value or "")
    if len(text) == 8 and text.startswith(_ZERO_PADDED_NATIONAL) and text.isdigit():
        return text[2:]
    return text


def insurance_kind_of(insurer_number: str | None) -> InsuranceKind:
    """The insurer class a 保険者番号 implies (6 digits: 市町村国保; 8 digits: by 法別番号)."""
    value = normalise_insurer_number(insurer_number)
    if not value.isascii() or not value.isdigit():
        return InsuranceKind.UNKNOWN
    if len(value) == 6:
        return InsuranceKind.NATIONAL
    if len(value) == 8:
        law = value[:2]
        if law == _LATE_ELDERLY_LAW_CODE:
            return InsuranceKind.LATE_ELDERLY
        if law == _RETIREE_NATIONAL_LAW_CODE:
            return InsuranceKind.NATIONAL
        if law in _EMPLOYEE_LAW_CODES:
            return InsuranceKind.EMPLOYEE
    return InsuranceKind.UNKNOWN
