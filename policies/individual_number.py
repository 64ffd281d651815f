"""What counts as a 12-digit individual number (個人番号) in text, and how it is masked (PII-01).

One rule for the pasted-text bridge (reader/) and the storage sanitiser (storage/), kept here
because both may import policies/ but not each other. It does not try to tell a real number from
a typo: ANY run of exactly 12 decimal digits is suspect, check digit valid or not, half- or
full-width (any Unicode decimal digit), ungrouped or grouped 4-4-4 by one space or hyphen-like
character, anywhere inside longer text. Exactly 12: 8-digit insurer numbers, 10-11 digit phone
numbers, dates and 14-digit timestamps are left alone. Masking replaces each digit with ``*``
(same length, separators kept), so a masked text still shows that something was there.
"""

from __future__ import annotations

import re

#: One separator between the 4-digit groups: spaces (also ideographic) and hyphen look-alikes
#: (ASCII, U+2010..U+2015, minus sign, full-width hyphen-minus, the long vowel mark ー).
_SEP = "[ \u3000\\-\u2010-\u2015\u2212\uff0d\u30fc]"
TWELVE_DIGITS = re.compile(rf"(?<!\d)\d{{4}}{_SEP}?\d{{4}}{_SEP}?\d{{4}}(?!\d)")
MASK = "*"
_DIGIT = re.compile(r"\d")


def contains_twelve_digits(text: str) -> bool:
    """True if ``text`` holds a 12-digit run as described in the module docstring."""
    return TWELVE_DIGITS.search(text) is not None


def mask_twelve_digits(text: str) -> str:
    """``text`` with every digit of every 12-digit run replaced by ``*``."""
    return TWELVE_DIGITS.sub(lambda m: _DIGIT.sub(MASK, m.group()), text)
