"""Why a line of pasted マイナ資格確認アプリ text could not be used: stable codes.

The bridge that reads the text lives behind the reception runtime, but the desk must say each
line's reason in the staff's language. The reason therefore travels as one of these codes (the
shared vocabulary both sides may import) next to an English sentence for the log; the desk maps
the code to its words and never parses the sentence.
"""

from __future__ import annotations

from enum import StrEnum


class PasteIssue(StrEnum):
    """One reason a pasted line (or the text as a whole) was refused or set aside."""

    TOO_LONG = "too_long"  # the text is longer than the bridge accepts
    UNKNOWN_LABEL = "unknown_label"  # ignored; the rest of the text is still read
    REPEATED_LABEL = "repeated_label"  # the first value is kept
    BAD_VALUE = "bad_value"  # a known label whose value cannot be read
    NO_VALUE = "no_value"  # a label with nothing after it
    MISSING_LABEL = "missing_label"  # a required label is absent (``LineProblem.label``)
    INDIVIDUAL_NUMBER = "individual_number"  # the line carried a 個人番号 and was dropped
