"""Text clean-up shared by document parsers: width folding and individual-number redaction.

Everything a parser reads goes through ``normalize`` and then ``redact_individual_numbers``
*before* any label is looked at, so a 12-digit 個人番号 can never reach a field, the raw text, a
warning or a log line.
"""

from __future__ import annotations

import re
import unicodedata

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_DASHES = re.compile("[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t]+")

#: 12 digits, optionally grouped 4-4-4 by a space or hyphen, not part of a longer digit run.
_TWELVE_DIGITS = re.compile(r"(?<!\d)\d{4}[ \-]?\d{4}[ \-]?\d{4}(?!\d)")
#: A value printed after a 個人番号/マイナンバー label (full, masked or last-4), but not the
#: words マイナンバーカード / 個人番号カード, which are everywhere on these documents.
_LABELLED_NUMBER = re.compile(
    r"(?:個人番号|マイナンバー)(?!カード)(?:\s*\(?下?\s*\d?\s*桁\)?)?[ \t]*:?[ \t]*"
    r"(?P<value>[0-9*●・\- ]{1,40}+)"
)
MASK = "*"


def normalize(text: str) -> str:
    """Fold widths (NFKC: １２３→123, ：→:, ㋿→令和), unify dashes and newlines, drop controls."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH)
    text = _DASHES.sub("-", text)
    text = _CONTROL.sub("", text)
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))


def _mask(match: re.Match[str], group: int | str = 0) -> str:
    whole = match.group(0)
    start, end = match.span(group)
    offset = match.start(0)
    masked = re.sub(r"\d", MASK, whole[start - offset : end - offset])
    return whole[: start - offset] + masked + whole[end - offset :]


def redact_individual_numbers(text: str) -> tuple[str, int]:
    """Mask anything that looks like a 個人番号; return the text and how many were masked.

    Deliberately broad: a 12-digit run is masked even if it might be something else (a 記号 and
    番号 printed together, say). Losing a field to a visual check is acceptable; keeping an
    individual number is not.
    """
    count = 0

    def labelled(match: re.Match[str]) -> str:
        nonlocal count
        if not any(ch.isdigit() for ch in match["value"]):
            return match.group(0)
        count += 1
        return _mask(match, "value")

    def bare(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return _mask(match)

    text = _LABELLED_NUMBER.sub(labelled, text)
    text = _TWELVE_DIGITS.sub(bare, text)
    return text, count


def join_wrapped(lines: list[str]) -> str:
    """Join a value that the PDF wrapped over several lines.

    Japanese has no spaces between words, so a wrap between two Japanese characters is joined
    without a space; anything else gets one space (digits are not glued: the next line may be
    a page number or another value, and number fields ignore spaces anyway).
    """
    out = ""
    for line in (part.strip() for part in lines):
        if not line:
            continue
        if out and not (_glues(out[-1]) and _glues(line[0])):
            out += " "
        out += line
    return out


def _glues(char: str) -> bool:
    return ord(char) > 0x2E7F
