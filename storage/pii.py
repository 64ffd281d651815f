"""Guard against the 12-digit individual number (個人番号) ever reaching the database (PII-01).

Madoguchi never asks for, reads or stores it; this guard catches a number typed into a free-text
field by mistake. It refuses any standalone run of 12 digits (half- or full-width, optionally
grouped 4-4-4 by spaces or hyphens) instead of trying to tell a valid number from a typo.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from storage.errors import InvalidInput

_TWELVE = re.compile(r"(?<![0-9])[0-9]{4}[ \-]?[0-9]{4}[ \-]?[0-9]{4}(?![0-9])")


def looks_like_individual_number(text: str) -> bool:
    return bool(_TWELVE.search(unicodedata.normalize("NFKC", text)))


def refuse_individual_number(field: str, value: str | None) -> str | None:
    """Return ``value`` unchanged, or raise :class:`InvalidInput` if it holds 12 digits."""
    if value is not None and looks_like_individual_number(value):
        raise InvalidInput(
            f"{field}: a 12-digit number was entered; Madoguchi must never store an individual "
            "number (個人番号). Remove it and enter only what the field asks for."
        )
    return value


def refuse_in_strings(field: str, values: Iterable[object]) -> None:
    """Check every string nested in JSON-like data (document details, summaries)."""
    for value in values:
        if isinstance(value, str):
            refuse_individual_number(field, value)
        elif isinstance(value, dict):
            refuse_in_strings(field, list(value.keys()) + list(value.values()))
        elif isinstance(value, list | tuple):
            refuse_in_strings(field, value)
