"""Formatting of dates, money and times for Japanese paperwork."""

from __future__ import annotations

from datetime import date, datetime
from xml.sax.saxutils import escape

_WEEKDAYS = "月火水木金土日"


def jp_date(d: date) -> str:
    """2026年11月20日（金）"""
    return f"{d.year}年{d.month}月{d.day}日（{_WEEKDAYS[d.weekday()]}）"


def jp_month(year: int, month: int) -> str:
    return f"{year}年{month}月"


def yen(amount: int | None) -> str:
    return "—" if amount is None else f"{amount:,}円"


def clock(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def markup(text: str) -> str:
    """Escape text for a reportlab Paragraph (names may contain & or <)."""
    return escape(text)
