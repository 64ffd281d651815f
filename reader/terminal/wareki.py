"""Japanese dates as people type and apps display them: 令和7年5月1日, 令和元年, R7.5.1, 2025/05/01.

Era boundaries are checked (平成31年5月1日 does not exist: that day is 令和元年5月1日), so a
mistyped era is reported instead of silently shifting a birth date by decades.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Era:
    name: str
    letter: str
    start: date
    end: date | None  # last day, None for the current era

    def to_date(self, year: int, month: int, day: int) -> date:
        if year < 1:
            raise ValueError(f"{self.name}{year}年 does not exist")
        result = date(self.start.year + year - 1, month, day)
        if result < self.start:
            raise ValueError(f"{self.name} starts on {self.start.isoformat()}")
        if self.end is not None and result > self.end:
            raise ValueError(f"{self.name} ended on {self.end.isoformat()}")
        return result


ERAS = (
    Era("令和", "R", date(2019, 5, 1), None),
    Era("平成", "H", date(1989, 1, 8), date(2019, 4, 30)),
    Era("昭和", "S", date(1926, 12, 25), date(1989, 1, 7)),
    Era("大正", "T", date(1912, 7, 30), date(1926, 12, 24)),
    Era("明治", "M", date(1868, 1, 1), date(1912, 7, 29)),
)
_BY_NAME = {e.name: e for e in ERAS}
_BY_LETTER = {e.letter: e for e in ERAS}

_KANJI = re.compile(
    r"(?P<era>令和|平成|昭和|大正|明治)\s*(?P<y>\d{1,2}|元)\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日?"
)
_LETTER = re.compile(
    r"(?P<era>[RHSTMrhstm])\s*(?P<y>\d{1,2}|元)\s*[./\-年]\s*(?P<m>\d{1,2})\s*[./\-月]\s*(?P<d>\d{1,2})\s*日?"
)
_WESTERN = re.compile(
    r"(?P<y>\d{4})\s*[./\-年]\s*(?P<m>\d{1,2})\s*[./\-月]\s*(?P<d>\d{1,2})\s*日?|(?P<compact>\d{8})"
)
#: A weekday or note after the date: (木), （木曜日）.
_TRAILER = re.compile(r"\s*\(.*\)\s*$")


def parse_japanese_date(text: str) -> date:
    """Parse one date; raises ValueError saying why it is not one."""
    value = _TRAILER.sub("", unicodedata.normalize("NFKC", text)).strip()
    if not value:
        raise ValueError("no date given")
    try:
        for pattern, by in ((_KANJI, _BY_NAME), (_LETTER, _BY_LETTER)):
            match = pattern.fullmatch(value)
            if match:
                era = by[match.group("era").upper() if by is _BY_LETTER else match.group("era")]
                year = 1 if match.group("y") == "元" else int(match.group("y"))
                return era.to_date(year, int(match.group("m")), int(match.group("d")))
        match = _WESTERN.fullmatch(value)
        if match:
            if match.group("compact"):
                c = match.group("compact")
                return date(int(c[:4]), int(c[4:6]), int(c[6:]))
            return date(int(match.group("y")), int(match.group("m")), int(match.group("d")))
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid date ({exc})") from None
    raise ValueError(f"{value!r} is not a date in a known format (e.g. 令和7年5月1日, R7.5.1)")
