"""Japanese dates as printed on documents and shown by apps: 和暦 (令和6年4月1日, R6.4.1) and 西暦.

The one date reader of the project (the マイナポータル PDF import, the 資格確認限定型 bridge and the
desk's input checks all use it). :func:`parse_jp_date` finds a date inside document text that is
already NFKC-normalised; it is strict about calendar validity (no 2月30日) but only *flags* an era
year beyond the era's end (平成32年 is still printed on old cards), so staff see the date with a
warning instead of losing it. :func:`parse_date_value` reads a whole typed or pasted value and
refuses such an era year, so a mistyped era never shifts a birth date by decades.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from policies.dates import JST


@dataclass(frozen=True, slots=True)
class _Era:
    name: str
    first_day: date
    last_day: date | None


_ERAS: tuple[_Era, ...] = (
    _Era("明治", date(1868, 10, 23), date(1912, 7, 29)),
    _Era("大正", date(1912, 7, 30), date(1926, 12, 24)),
    _Era("昭和", date(1926, 12, 25), date(1989, 1, 7)),
    _Era("平成", date(1989, 1, 8), date(2019, 4, 30)),
    _Era("令和", date(2019, 5, 1), None),
)
_ERA_BY_TOKEN: dict[str, _Era] = {}
for _era in _ERAS:
    _ERA_BY_TOKEN[_era.name] = _era
    _ERA_BY_TOKEN[_era.name[0]] = _era
_ERA_BY_TOKEN.update({"M": _ERAS[0], "T": _ERAS[1], "S": _ERAS[2], "H": _ERAS[3], "R": _ERAS[4]})
for _letter in "mtshr":
    _ERA_BY_TOKEN[_letter] = _ERA_BY_TOKEN[_letter.upper()]

_ERA_ALT = "明治|大正|昭和|平成|令和|[明大昭平令]|[MTSHRmtshr]"
_SP = r"[ \t]*"
_ERA_KANJI_DATE = re.compile(
    rf"(?<![A-Za-z])(?P<era>{_ERA_ALT}){_SP}(?P<y>\d{{1,2}}|元){_SP}年{_SP}(?P<m>\d{{1,2}}){_SP}月"
    rf"{_SP}(?P<d>\d{{1,2}}){_SP}日"
)
_ERA_SEP_DATE = re.compile(
    rf"(?<![A-Za-z])(?P<era>{_ERA_ALT}){_SP}(?P<y>\d{{1,2}}|元){_SP}[./\-]{_SP}(?P<m>\d{{1,2}}){_SP}[./\-]"
    rf"{_SP}(?P<d>\d{{1,2}})(?!\d)"
)
_WESTERN_KANJI_DATE = re.compile(
    rf"(?<!\d)(?P<y>\d{{4}}){_SP}年{_SP}(?P<m>\d{{1,2}}){_SP}月{_SP}(?P<d>\d{{1,2}}){_SP}日"
)
_WESTERN_SEP_DATE = re.compile(
    rf"(?<!\d)(?P<y>\d{{4}}){_SP}(?P<sep>[./\-]){_SP}(?P<m>\d{{1,2}}){_SP}(?P=sep){_SP}"
    rf"(?P<d>\d{{1,2}})(?!\d)"
)
_WESTERN_COMPACT_DATE = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})(?!\d)")
_TIME = re.compile(
    rf"{_SP}(?:[,T]|現在)?{_SP}(?P<h>\d{{1,2}}){_SP}(?:[:時]){_SP}(?P<mi>\d{{1,2}}){_SP}分?"
    rf"(?:{_SP}:{_SP}(?P<s>\d{{1,2}})|{_SP}(?P<s2>\d{{1,2}}){_SP}秒)?"
)


class DateFormatError(ValueError):
    """The text holds no date, an impossible date, or two dates that disagree."""


@dataclass(frozen=True, slots=True)
class JpDate:
    """A date read from a document, with how it was written."""

    value: date
    #: The era name if the document wrote 和暦, else None.
    era: str | None
    #: True when the era year runs past the era's end (or before its start): 平成32年.
    era_out_of_range: bool
    #: Offsets of the date in the text it was read from.
    start: int
    end: int


def _to_int(year: str) -> int:
    return 1 if year == "元" else int(year)


def _build(era_token: str | None, y: str, m: str, d: str, span: tuple[int, int]) -> JpDate:
    start, end = span
    month, day = int(m), int(d)
    if era_token is None:
        try:
            return JpDate(date(int(y), month, day), None, False, start, end)
        except ValueError as exc:
            raise DateFormatError("impossible calendar date") from exc
    era = _ERA_BY_TOKEN[era_token]
    era_year = _to_int(y)
    if era_year < 1:
        raise DateFormatError("era year must be 1 or more")
    try:
        value = date(era.first_day.year + era_year - 1, month, day)
    except ValueError as exc:
        raise DateFormatError("impossible calendar date") from exc
    out_of_range = value < era.first_day or (era.last_day is not None and value > era.last_day)
    return JpDate(value, era.name, out_of_range, start, end)


def _candidates(text: str) -> tuple[list[tuple[int, JpDate]], DateFormatError | None]:
    """All readable dates in ``text`` by position, and the first reason one was unreadable."""
    found: list[tuple[int, JpDate]] = []
    spans: list[tuple[int, int]] = []
    problem: DateFormatError | None = None
    patterns = (
        (_ERA_KANJI_DATE, True),
        (_ERA_SEP_DATE, True),
        (_WESTERN_KANJI_DATE, False),
        (_WESTERN_SEP_DATE, False),
        (_WESTERN_COMPACT_DATE, False),
    )
    for pattern, has_era in patterns:
        for match in pattern.finditer(text):
            if any(s <= match.start() < e for s, e in spans):
                continue  # the 西暦 patterns must not re-read digits of a 和暦 date
            spans.append((match.start(), match.end()))
            try:
                jd = _build(
                    match["era"] if has_era else None,
                    match["y"],
                    match["m"],
                    match["d"],
                    match.span(),
                )
            except DateFormatError as exc:
                problem = problem or exc
                continue
            found.append((match.start(), jd))
    found.sort(key=lambda item: item[0])
    return found, problem


def parse_jp_date(text: str) -> JpDate:
    """Read the one date in ``text``.

    A value may carry the same date twice (``2024年4月1日（令和6年4月1日）``); that is accepted.
    Two different dates in one value are ambiguous and refused.
    """
    found, problem = _candidates(text)
    if not found:
        raise problem or DateFormatError("no date found")
    first = found[0][1]
    if any(jd.value != first.value for _, jd in found[1:]):
        raise DateFormatError("two different dates in one value")
    return first


def parse_jp_datetime(text: str) -> tuple[datetime, JpDate]:
    """Read a date and an optional time (``10:30``, ``10時30分``) following it, as JST."""
    jd = parse_jp_date(text)
    match = _TIME.match(text, jd.end)
    hour = minute = second = 0
    if match:
        hour, minute = int(match["h"]), int(match["mi"])
        second = int(match["s"] or match["s2"] or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise DateFormatError("impossible time of day")
    moment = datetime(jd.value.year, jd.value.month, jd.value.day, hour, minute, second, tzinfo=JST)
    return moment, jd


#: A weekday or note after a typed date: (木), （木曜日）.
_TRAILER = re.compile(r"\s*\(.*\)\s*$")


def parse_date_value(text: str) -> date:
    """Read a whole value that must be exactly one valid date (typed, or pasted from an app).

    Full-width forms are folded; a trailing weekday note is ignored; an era year outside its era
    (平成31年5月1日, 令和元年4月30日) is refused. Raises :class:`DateFormatError` saying why.
    """
    value = _TRAILER.sub("", unicodedata.normalize("NFKC", text)).strip()
    if not value:
        raise DateFormatError("no date given")
    try:
        jd = parse_jp_date(value)
    except DateFormatError as exc:
        raise DateFormatError(f"{value!r} is not a valid date ({exc})") from None
    if jd.start != 0 or jd.end != len(value):
        raise DateFormatError(f"{value!r} is more than a date (e.g. 令和7年5月1日, R7.5.1)")
    if jd.era_out_of_range:
        era = _ERA_BY_TOKEN[jd.era or ""]
        if jd.value < era.first_day:
            raise DateFormatError(f"{value!r}: {era.name} began on {era.first_day.isoformat()}")
        raise DateFormatError(f"{value!r}: {era.name} ended on {era.last_day}")
    return jd.value


def format_wareki(value: date, *, style: str = "kanji") -> str:
    """Write ``value`` in 和暦 (used by fixtures and to show both forms side by side)."""
    for era in reversed(_ERAS):
        if value >= era.first_day:
            year = value.year - era.first_day.year + 1
            if style == "kanji":
                return f"{era.name}{year}年{value.month}月{value.day}日"
            letter = next(k for k, v in _ERA_BY_TOKEN.items() if v is era and k.isupper())
            return f"{letter}{year}.{value.month}.{value.day}"
    raise ValueError("date before 明治")
