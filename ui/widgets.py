"""Small shared widgets and the application style (status colours always paired with words)."""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QFrame, QLabel, QSizePolicy, QWidget


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
QLabel#ScreenTitle    { font-weight: bold; }
QLabel#BigValue       { font-weight: bold; }
QFrame#Card           { border: 1px solid #9aa3b5; border-radius: 6px; background: #fbfcff; }
QPushButton           { padding: 5px 12px; }
QPushButton:default   { border: 2px solid #3559b7; }
QPushButton:focus     { outline: 2px solid #3559b7; }
QTableView            { selection-background-color: #3559b7; selection-color: #ffffff; }
"""


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
    """A font ``factor`` times the application font; :func:`rescale` follows setting changes."""
    widget.setProperty("fontScale", factor)
    widget.setProperty("fontBold", bold)
    _apply_scale(widget, QApplication.font().pointSizeF())


def _apply_scale(widget: QWidget, base: float) -> None:
    font = QFont(QApplication.font())
    if base > 0:
        font.setPointSizeF(base * float(widget.property("fontScale")))
    font.setBold(bool(widget.property("fontBold")))
    widget.setFont(font)


def rescale(root: QWidget) -> None:
    """Re-apply every scaled font under ``root`` after the application font changed."""
    base = QApplication.font().pointSizeF()
    for widget in [root, *root.findChildren(QWidget)]:
        if widget.property("fontScale") is not None:
            _apply_scale(widget, base)


def wrapped(text: str = "", parent: QWidget | None = None) -> QLabel:
    lbl = QLabel(text, parent)
    lbl.setWordWrap(True)
    lbl.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    lbl.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return lbl


def card_frame(parent: QWidget | None = None) -> QFrame:
    frame = QFrame(parent)
    frame.setObjectName("Card")
    return frame
