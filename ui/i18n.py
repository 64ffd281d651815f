"""Translations: Japanese is the source language; English is resources/i18n/madoguchi_en.ts.

``install(app, "en")`` loads the compiled .qm. ``python -m ui.i18n`` refreshes the .ts from the
sources (pyside6-lupdate) plus every label of resources/policies/labels.toml (context
``EnumLabel``, see ui.labels) and the words for records that do not verify, which the printouts
share (``storage.reports.text.UNVERIFIED_TEXTS``, context ``Texts``), keeping the translations
already made, then compiles the .qm (pyside6-lrelease). A test checks that the committed .qm
matches the .ts.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import tomllib
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from storage.reports.text import UNVERIFIED_TEXTS
from ui.widgets import style_sheet

ROOT = Path(__file__).resolve().parents[1]
I18N = ROOT / "resources" / "i18n"
TS = I18N / "madoguchi_en.ts"
QM = I18N / "madoguchi_en.qm"
_installed: list[QTranslator] = []
DEFAULT_FONT_PT = 12


def install(app: QCoreApplication, language: str) -> bool:
    """Use ``language`` ("ja" or "en") from now on; True if a translation was loaded."""
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    if language == "ja":
        QLocale.setDefault(QLocale(QLocale.Language.Japanese, QLocale.Country.Japan))
        # Qt's own dialogs (file, print, message boxes) in Japanese: PySide6 ships qtbase_ja
        qt = QTranslator(app)
        if qt.load("qtbase_ja", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            app.installTranslator(qt)
            _installed.append(qt)
        return True
    translator = QTranslator(app)
    if not translator.load(str(I18N / f"madoguchi_{language}.qm")):
        return False
    app.installTranslator(translator)
    _installed.append(translator)
    QLocale.setDefault(QLocale(QLocale.Language.English))
    return True


_FAMILIES = ["Noto Sans CJK JP", "Yu Gothic UI", "Meiryo UI", "Hiragino Sans", "sans-serif"]


def apply_font(app: QApplication, point_size: int = DEFAULT_FONT_PT) -> None:
    """The app-wide font: a Japanese UI family at the chosen size (every widget follows)."""
    font = QFont(app.font())
    font.setFamilies(_FAMILIES)
    font.setPointSize(point_size)
    app.setFont(font)
    if app.property("madoguchi_font_pt") != point_size:  # a new style sheet re-polishes all
        app.setProperty("madoguchi_font_pt", point_size)
        app.setStyleSheet(style_sheet(point_size))


def apply_language(app: QApplication, language: str) -> bool:
    """Switch the translator; True when the language actually changed."""
    current = app.property("madoguchi_language") or "ja"
    if language == current:
        return False
    if not install(app, language):
        return False
    app.setProperty("madoguchi_language", language)
    return True


def _tool(name: str) -> str:
    candidate = Path(sys.executable).with_name(name)
    return str(candidate) if candidate.exists() else name


def _label_source() -> str:
    """A throw-away Python file naming every label and every text the window shares with the
    printouts, so lupdate puts them in the .ts."""
    text = resources.files("resources.policies").joinpath("labels.toml").read_text("utf-8")
    groups = tomllib.loads(text).get("labels", {})
    seen: dict[str, None] = {}
    for values in groups.values():
        for value in values.values():
            seen[value] = None
    seen["、"] = None
    lines = [f"QT_TRANSLATE_NOOP({'EnumLabel'!r}, {value!r})" for value in seen]
    lines += [f"QT_TRANSLATE_NOOP({'Texts'!r}, {value!r})" for value in UNVERIFIED_TEXTS]
    return "\n".join(lines) + "\n"


def update() -> None:
    sources = sorted(str(p) for p in (ROOT / "ui").glob("*.py"))
    with tempfile.TemporaryDirectory() as tmp:
        extra = Path(tmp) / "enum_labels.py"
        extra.write_text(_label_source(), "utf-8")
        subprocess.run(
            [
                _tool("pyside6-lupdate"),
                *sources,
                str(extra),
                "-locations",
                "none",
                "-no-obsolete",
                "-source-language",
                "ja_JP",
                "-target-language",
                "en",
                "-ts",
                str(TS),
            ],
            check=True,
        )
    compile_qm(QM)


def compile_qm(out: Path) -> None:
    subprocess.run([_tool("pyside6-lrelease"), str(TS), "-qm", str(out)], check=True)


if __name__ == "__main__":
    update()
