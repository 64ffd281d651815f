"""Formatting of dates, money and times for Japanese paperwork, and the words for records that
do not verify.

Those words are said in two places: on a printout made with ``--print-unverified`` (always
Japanese) and in the window when it refuses to print (Japanese or English). They are defined
once, here: :func:`unverified_detail` takes a translator, the window passes Qt's (its .ts lists
:data:`UNVERIFIED_TEXTS` under the context ``Texts``, see ``ui.i18n``) and a printout none.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from storage.chain import VerifyResult

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


UNVERIFIED_ROW_FIELD = "表 {table}、番号 {id}、項目 {field}"
UNVERIFIED_ROW = "表 {table}、番号 {id}"
UNVERIFIED_MORE = "、ほか{n}件"
UNVERIFIED_WITNESS = "このPCが記録した内容より古いか、別のデータベースです"
UNVERIFIED_EVENT = "監査記録 通番 {seq}"
UNVERIFIED_DETAIL = "監査記録と一致しない記録があります（改ざんの可能性：{where}）"
#: Every text :func:`unverified_detail` says, for the window's translation file.
UNVERIFIED_TEXTS = (
    UNVERIFIED_ROW_FIELD,
    UNVERIFIED_ROW,
    UNVERIFIED_MORE,
    UNVERIFIED_WITNESS,
    UNVERIFIED_EVENT,
    UNVERIFIED_DETAIL,
)


def unverified_detail(check: VerifyResult, tr: Callable[[str], str] = str) -> str:
    """Records that do not verify, and where: the first row that differs by table, id and
    column (and how many more); else this PC's witness saw a newer chain; else the first
    broken event. ``tr`` translates each text before it is filled in."""
    rows = check.rows
    if rows is not None and rows.problems:
        first = rows.problems[0]
        if first.field:
            where = tr(UNVERIFIED_ROW_FIELD).format(
                table=first.table, id=first.row_id, field=first.field
            )
        else:
            where = tr(UNVERIFIED_ROW).format(table=first.table, id=first.row_id)
        if rows.count > 1:
            where += tr(UNVERIFIED_MORE).format(n=rows.count - 1)
    elif rows is not None:  # the chain and its rows verify; this PC saw a newer chain
        where = tr(UNVERIFIED_WITNESS)
    else:
        where = tr(UNVERIFIED_EVENT).format(seq=check.first_broken_seq)
    return tr(UNVERIFIED_DETAIL).format(where=where)
