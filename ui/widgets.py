"""Small shared widgets and the application style (status colours always paired with words)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLayoutItem,
    QPushButton,
    QSizePolicy,
    QWidget,
)


class Level(StrEnum):
    """A status level: the colour of a chip. The chip's TEXT always says the same thing."""

    OK = "ok"
    WARN = "warn"
    ERROR = "error"
    SIM = "sim"
    INFO = "info"
    OFF = "off"


#: Contrast ≥ 7:1 for every foreground/background pair (WCAG AAA for normal text).
STYLE = """
QLabel[level="ok"]    { background: #d9f2de; color: #0b3b17; border: 2px solid #2e7d32; }
QLabel[level="warn"]  { background: #fff3c4; color: #3d2c00; border: 2px solid #b58900; }
QLabel[level="error"] { background: #ffdede; color: #5c0000; border: 2px solid #c62828; }
QLabel[level="sim"]   { background: #ffe3bf; color: #4a2200; border: 2px dashed #c25e00; }
QLabel[level="info"]  { background: #e4ecff; color: #0a2563; border: 2px solid #3559b7; }
QLabel[level="off"]   { background: #eeeeee; color: #222222; border: 2px solid #888888; }
QLabel[chip="true"]   { padding: 3px 8px; border-radius: 4px; }
QLabel#SimBanner      { background: #c25e00; color: #ffffff; font-weight: bold;
                        padding: 6px; border: 3px dashed #ffffff; }
QLabel#RolledBackBanner { background: #8b0000; color: #ffffff; font-weight: bold;
                          padding: 6px; }
QLabel#ScreenTitle    { font-weight: bold; }
QLabel#BigValue       { font-weight: bold; }
QFrame#Card           { border: 1px solid #9aa3b5; border-radius: 6px; background: #fbfcff; }
QPushButton           { padding: 5px 12px; }
QPushButton:default   { border: 2px solid #3559b7; }
QPushButton:focus     { outline: 2px solid #3559b7; }
QTableView            { selection-background-color: #3559b7; selection-color: #ffffff; }
"""


#: The font factors widgets may ask for: few, so the glyph caches stay warm (a text at a size
#: never drawn before costs milliseconds to rasterise) and the style sheet stays short.
SCALES = (1.15, 1.3, 1.5, 2.2, 3.2)


def style_sheet(base_pt: float) -> str:
    """The application style with the scaled fonts for ``base_pt``.

    Scaled fonts live in the style sheet, not in QWidget.setFont: the style sheet re-polishes a
    widget it matches (at show, on a level change, on re-parenting) and that reset an explicit
    font, so enlarged chips (the PIN pad's tries line) showed at the normal size.
    """
    rules = [
        f'*[fontScale="{round(f * 100)}"] {{ font-size: {base_pt * f:.1f}pt; }}' for f in SCALES
    ]
    rules.append('*[fontBold="true"] { font-weight: bold; }')
    return STYLE + "\n".join(rules) + "\n"


def set_level(label: QLabel, level: Level) -> None:
    if label.property("level") == level.value:
        return  # re-polishing under a style sheet is costly: only on a real change
    label.setProperty("level", level.value)
    label.style().unpolish(label)
    label.style().polish(label)


def chip(text: str = "", level: Level = Level.OFF, parent: QWidget | None = None) -> QLabel:
    lbl = QLabel(text, parent)
    lbl.setProperty("chip", "true")
    lbl.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    set_level(lbl, level)
    return lbl


def scaled(widget: QWidget, factor: float, *, bold: bool = False) -> None:
    """A font ``factor`` (one of :data:`SCALES`) times the application font size."""
    if factor not in SCALES:
        raise ValueError(f"font factor {factor} is not in widgets.SCALES")
    widget.setProperty("fontScale", str(round(factor * 100)))
    if bold:
        widget.setProperty("fontBold", "true")


def wrapped(text: str = "", parent: QWidget | None = None) -> QLabel:
    lbl = QLabel(text, parent)
    lbl.setWordWrap(True)
    lbl.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    lbl.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return lbl


def button(text: str, name: str, slot: Callable[[], object]) -> QPushButton:
    """A push button that Enter in a field never presses (no auto-default)."""
    btn = QPushButton(text)
    btn.setObjectName(name)
    btn.setAutoDefault(False)
    btn.clicked.connect(slot)
    return btn


def button_row(*widgets: QWidget) -> QHBoxLayout:
    """Widgets side by side from the left, the rest of the line empty."""
    row = QHBoxLayout()
    for w in widgets:
        row.addWidget(w)
    row.addStretch(1)
    return row


def card_frame(parent: QWidget | None = None) -> QFrame:
    frame = QFrame(parent)
    frame.setObjectName("Card")
    return frame


class FlowLayout(QLayout):
    """Items left to right, wrapping onto the next line when the row is full.

    The status strip uses it: six chips in one row need ~1500 px at the default font, more at
    the large one, and the window must fit a 1366 px screen.
    """

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._place(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._place(rect, apply=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def _place(self, rect: QRect, *, apply: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, line = area.x(), area.y(), 0
        for item in self._items:
            if item.isEmpty():
                continue
            hint = item.sizeHint()
            if x > area.x() and x + hint.width() > area.right() + 1:
                x, y, line = area.x(), y + line + self._gap, 0
            if apply:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._gap
            line = max(line, hint.height())
        return y + line - rect.y() + m.bottom()
