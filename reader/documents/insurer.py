"""保険者番号: format, check digit (検証番号) and the insurer class it implies."""

from __future__ import annotations

from policies.model import InsuranceKind

#: 法別番号 of 被用者保険 (協会けんぽ 01, 船員 02, 日雇 03/04, 組合 06, 自衛官 07, 共済 31–34,
#: 特例退職 63, 共済 特例退職 72–75).
_EMPLOYEE_LAW_CODES = frozenset(
    {"01", "02", "03", "04", "06", "07", "31", "32", "33", "34", "63", "72", "73", "74", "75"}
)
_LATE_ELDERLY_LAW_CODE = "39"
_RETIREE_NATIONAL_LAW_CODE = "67"


def check_digit_ok(number: str) -> bool:
    """Verify the 検証番号 of a 6- or 8-digit 保険者番号 (保険者番号設定要領).

    Weights 2,1,2,1… from the rightmost body digit; two-digit products add their digits; the
    check digit is 10 minus the last digit of the sum (0 when that is 0).
    """
    if len(number) not in (6, 8) or not number.isascii() or not number.isdigit():
        return False
    body, check = number[:-1], int(number[-1])
    total = 0
    for position, char in enumerate(reversed(body)):
        product = int(char) * (2 if position % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10 == check


def insurance_kind(number: str | None) -> InsuranceKind:
    """The insurer class a 保険者番号 implies (6 digits: 市町村国保 or 国保組合)."""
    if not number:
        return InsuranceKind.UNKNOWN
    if len(number) == 6:
        return InsuranceKind.NATIONAL
    if len(number) == 8:
        law = number[:2]
        if law == _LATE_ELDERLY_LAW_CODE:
            return InsuranceKind.LATE_ELDERLY
        if law == _RETIREE_NATIONAL_LAW_CODE:
            return InsuranceKind.NATIONAL
        if law in _EMPLOYEE_LAW_CODES:
            return InsuranceKind.EMPLOYEE
    return InsuranceKind.UNKNOWN
