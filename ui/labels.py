"""Labels of the shared vocabulary, from the ONE table: resources/policies/labels.toml.

The rule book (policies) loads that table; the printouts read the same file. The desk passes
its rule book in once (:func:`use`); each label then goes through Qt's translator under the
context ``EnumLabel`` so the English file can translate it too (``python -m ui.i18n`` adds every
label of the table to the .ts).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from PySide6.QtCore import QCoreApplication

from policies.rulebook import RuleBook
from reader.jpdate import format_wareki

CONTEXT = "EnumLabel"
_book: RuleBook | None = None


def use(rulebook: RuleBook) -> None:
    global _book  # noqa: PLW0603 - one rule book per process, set by the window at start
    _book = rulebook


def label(member: StrEnum | None, default: str = "—") -> str:
    if member is None:
        return default
    text = _book.label(member) if _book is not None else str(member.value)
    return QCoreApplication.translate(CONTEXT, text)


def labels(members: object) -> str:
    """Several labels joined the Japanese way ("、")."""
    return (
        QCoreApplication.translate(CONTEXT, "、").join(
            label(m)
            for m in members  # type: ignore[attr-defined]
        )
        or "—"
    )


def sources(ids: tuple[str, ...]) -> list[str]:
    """Citations of notice ids (title, date) from the rule book."""
    return _book.cite(ids) if _book is not None else list(ids)


def jp_date(value: date | None) -> str:
    """2026年4月1日 (令和8年) style is what staff read on documents."""
    if value is None:
        return "—"
    try:
        wareki = format_wareki(value)
    except ValueError:
        wareki = ""
    western = f"{value.year}/{value.month:02d}/{value.day:02d}"
    return f"{western}（{wareki}）" if wareki else western
