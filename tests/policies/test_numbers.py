"""Check digits of 保険者番号 (6/8 digits), 公費負担者番号 (8) and 受給者番号 (7)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.model import InsuranceKind
from policies.numbers import (
    NumberProblem,
    check_digit,
    insurance_kind_of,
    normalise_insurer_number,
    validate_insurer_number,
    validate_public_payer_number,
    validate_recipient_number,
)

# Published examples: HIT-MC0124 (千葉県警 33120015), NANBYO-UKURE (54016027), and the five
# 公費負担者番号 of 八王子市 (HACHIOJI; PMH from 2026-04-01).
HACHIOJI = ["81136244", "81137242", "88138243", "88131248", "89131247"]


@pytest.mark.parametrize("number", ["33120015"])
def test_insurer_examples(number: str) -> None:
    result = validate_insurer_number(number)
    assert result.valid, result
    assert result.prefecture_code == number[2:4]


@pytest.mark.parametrize("number", ["54016027", *HACHIOJI])
def test_public_payer_examples(number: str) -> None:
    result = validate_public_payer_number(number)
    assert result.valid, result
    assert result.law_code == number[:2]


def test_hachioji_numbers_are_tokyo(rulebook) -> None:
    group = next(g for g in rulebook.pmh_groups if g.id == "hachioji-child-single-parent")
    assert list(group.payer_numbers) == HACHIOJI
    assert {
        rulebook.prefectures[validate_public_payer_number(n).prefecture_code] for n in HACHIOJI
    } == {"東京都"}


def test_check_digit_worked_example() -> None:
    # 3312001 -> products from the last digit 2,0,0,2,2,3,6 -> 15 -> 10 - 5 = 5
    assert check_digit("3312001") == 5
    assert check_digit("5401602") == 7
    assert check_digit("0000000") == 0  # "一の位の数が0のときは0"


def test_national_health_insurance_six_digits() -> None:
    body = "13805"
    number = body + str(check_digit(body))
    assert validate_insurer_number(number).valid
    assert validate_insurer_number(number).prefecture_code == "13"
    wrong = body + str((check_digit(body) + 1) % 10)
    assert validate_insurer_number(wrong).problem is NumberProblem.CHECK_DIGIT


def test_recipient_number_is_single_source() -> None:
    body = "123456"
    result = validate_recipient_number(body + str(check_digit(body)))
    assert result.valid and result.single_source


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("", NumberProblem.EMPTY),
        ("3312001X", NumberProblem.NOT_DIGITS),
        ("3312001", NumberProblem.WRONG_LENGTH),
        ("33120016", NumberProblem.CHECK_DIGIT),
        ("33480010", NumberProblem.PREFECTURE),
        ("77777777", NumberProblem.UNKNOWN_CLAIM),
        ("77777779", NumberProblem.UNKNOWN_CLAIM),
    ],
)
def test_insurer_problems(number: str, problem: NumberProblem) -> None:
    result = validate_insurer_number(number)
    assert not result.valid and result.problem is problem


def test_full_width_and_spaces_are_normalised() -> None:
    assert validate_insurer_number("３３１２ ００１５").valid
    assert validate_public_payer_number("8113-6244").valid


def test_unknown_claim_numbers_match_the_rule_data(rulebook) -> None:
    """77777777 fails the check digit; 77777779 is its check-digit-valid twin (FAIL-04)."""
    claim = rulebook.unknown_claims[0]
    assert check_digit(claim.insurer_number[:7]) == int(claim.insurer_number_alt[-1])
    assert claim.insurer_number_alt[:7] == claim.insurer_number[:7]


@given(st.from_regex(r"\A[0-9]{2}(0[1-9]|[1-3][0-9]|4[0-7])[0-9]{3}\Z"))
def test_every_single_digit_error_is_caught(body: str) -> None:
    number = body + str(check_digit(body))
    if number in ("77777777", "77777779"):
        return
    assert validate_insurer_number(number).valid
    for i in range(len(number)):
        for digit in "0123456789":
            if digit != number[i]:
                typo = number[:i] + digit + number[i + 1 :]
                assert not validate_insurer_number(typo).valid, (number, typo)


@pytest.mark.parametrize(
    ("sent", "digits", "kind"),
    [
        ("00138016", "138016", InsuranceKind.NATIONAL),  # zero-padded 国保
        ("  138016", "138016", InsuranceKind.NATIONAL),  # space-padded, as the terminal sends
        ("００１３８０１６", "138016", InsuranceKind.NATIONAL),  # typed full-width
        ("39130018", "39130018", InsuranceKind.LATE_ELDERLY),
        ("01130012", "01130012", InsuranceKind.EMPLOYEE),
        ("0013801", "0013801", InsuranceKind.UNKNOWN),  # 7 digits: not guessed at
    ],
)
def test_insurer_number_padding_is_normalised_in_one_place(
    sent: str, digits: str, kind: InsuranceKind
) -> None:
    assert normalise_insurer_number(sent) == digits
    assert insurance_kind_of(sent) is kind
