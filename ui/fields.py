"""Input fields that validate as staff type: numbers by their check digit, dates incl. 和暦.

Validation itself is in :mod:`policies.numbers` and :mod:`reader.jpdate`; a field only
shows the verdict next to the box, in words (✓/✗ and a sentence), never by colour alone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QWidget

from policies.numbers import (
    NumberCheck,
    NumberProblem,
    validate_insurer_number,
    validate_public_payer_number,
    validate_recipient_number,
)
from reader.jpdate import DateFormatError, parse_date_value
from ui.labels import jp_date
from ui.widgets import Level, set_level


class CheckedField(QWidget):
    """A line edit with a verdict label; ``value()`` is None unless the input is valid."""

    changed = Signal()

    def __init__(self, placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.verdict = QLabel()
        self.verdict.setProperty("chip", "true")
        self.verdict.setWordWrap(True)
        layout.addWidget(self.edit, 2)
        layout.addWidget(self.verdict, 3)
        self.setFocusProxy(self.edit)
        self.edit.textChanged.connect(self._update)
        self._update()

    def text(self) -> str:
        return self.edit.text().strip()

    def setText(self, text: str) -> None:
        self.edit.setText(text)

    def is_empty(self) -> bool:
        return not self.text()

    def ok(self) -> bool:
        """Empty (optional) or valid."""
        return self.is_empty() or self._check()[0]

    def _check(self) -> tuple[bool, str]:
        raise NotImplementedError

    def _update(self) -> None:
        if self.is_empty():
            self.verdict.setText("")
            set_level(self.verdict, Level.OFF)
            self.verdict.hide()
        else:
            good, words = self._check()
            self.verdict.setText(("✓ " if good else "✗ ") + words)
            set_level(self.verdict, Level.OK if good else Level.ERROR)
            self.verdict.show()
        self.changed.emit()


class NumberField(CheckedField):
    """保険者番号 / 公費負担者番号 / 受給者番号 with the 検証番号 check."""

    def __init__(
        self,
        validate: Callable[[str], NumberCheck] = validate_insurer_number,
        placeholder: str = "",
        parent: QWidget | None = None,
    ) -> None:
        self._validate = validate
        super().__init__(placeholder, parent)

    def value(self) -> str | None:
        if self.is_empty():
            return None
        check = self._validate(self.text())
        return check.value if check.valid else None

    def _check(self) -> tuple[bool, str]:
        check = self._validate(self.text())
        if check.valid:
            note = self.tr("（根拠は二次資料のみ）") if check.single_source else ""
            return True, self.tr("検証番号OK") + note
        words = {
            NumberProblem.NOT_DIGITS: self.tr("数字以外が含まれています"),
            NumberProblem.WRONG_LENGTH: self.tr("桁数が違います"),
            NumberProblem.PREFECTURE: self.tr("都道府県番号が01〜47ではありません"),
            NumberProblem.CHECK_DIGIT: self.tr("検証番号が合いません（正しくは {d}）").format(
                d=check.expected_check_digit
            ),
            NumberProblem.UNKNOWN_CLAIM: self.tr("不詳請求用の番号です"),
        }
        return False, words.get(check.problem, self.tr("番号が正しくありません"))


def insurer_field(parent: QWidget | None = None) -> NumberField:
    return NumberField(validate_insurer_number, "01130012", parent)


def payer_field(parent: QWidget | None = None) -> NumberField:
    return NumberField(validate_public_payer_number, "12130017", parent)


def recipient_field(parent: QWidget | None = None) -> NumberField:
    return NumberField(validate_recipient_number, "1234566", parent)


class DateField(CheckedField):
    """A date typed as 2026/4/1, 20260401, 令和8年4月1日 or R8.4.1."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("R8.4.1 / 2026-04-01", parent)

    def value(self) -> date | None:
        if self.is_empty():
            return None
        try:
            return parse_date_value(self.text())
        except DateFormatError:
            return None

    def _check(self) -> tuple[bool, str]:
        try:
            return True, jp_date(parse_date_value(self.text()))
        except DateFormatError:
            return False, self.tr("日付として読めません（例：R8.4.1、2026/4/1）")
