"""The one rule for a 12-digit individual number (個人番号) in text, and its mask."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.individual_number import contains_twelve_digits, mask_twelve_digits

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("123456789012", True),
        ("123456789018", True),  # check digit valid
        ("123456789010", True),  # check digit wrong: still refused
        ("1234 5678 9012", True),
        ("1234-5678-9012", True),
        ("1234－5678－9012", True),  # full-width hyphen
        ("1234ー5678ー9012", True),  # long vowel mark typed through an IME
        ("１２３４５６７８９０１２", True),
        ("１２３４　５６７８　９０１２", True),  # ideographic spaces
        ("東京都架空区1-2 番号は123456789012です", True),
        ("山田123456789012", True),
        ("12345678901", False),  # 11 digits: a mobile phone number
        ("0312345678", False),  # 10 digits: a land line
        ("090-1234-5678", False),
        ("1234567890123", False),  # 13 digits
        ("20261120103045", False),  # a 14-digit timestamp
        ("06139999", False),  # an insurer number
        ("2026-11-23", False),
        ("1234 5678 901", False),
        ("1234  5678 9012", False),  # two separators: not the card's 4-4-4
    ],
)
def test_twelve_digit_runs(text: str, found: bool) -> None:
    assert contains_twelve_digits(text) is found
    masked = mask_twelve_digits(text)
    assert not contains_twelve_digits(masked)
    assert (masked != text) is found
    assert len(masked) == len(text)


@given(
    digits=st.text("0123456789", min_size=12, max_size=12),
    sep=st.sampled_from(["", " ", "-", "－", "\u3000", "ー"]),
    full=st.booleans(),
    before=st.text(st.characters(exclude_categories=("Nd",)), max_size=8),
    after=st.text(st.characters(exclude_categories=("Nd",)), max_size=8),
)
def test_any_twelve_digits_inside_text_are_masked(
    digits: str, sep: str, full: bool, before: str, after: str
) -> None:
    number = sep.join((digits[:4], digits[4:8], digits[8:]))
    if full:
        number = number.translate(FULL_WIDTH)
    text = before + number + after
    masked = mask_twelve_digits(text)
    assert not contains_twelve_digits(masked)
    assert masked.startswith(before) and masked.endswith(after)
    assert "*" * 4 in masked


@given(st.lists(st.text("0123456789", min_size=1, max_size=20), max_size=6))
def test_runs_of_other_lengths_are_kept(runs: list[str]) -> None:
    text = "、".join(r for r in runs if len(r) != 12)
    assert mask_twelve_digits(text) == text
