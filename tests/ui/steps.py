"""Steps shared by the UI flow tests: what a receptionist does, through the widgets."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pypdf
from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QTableView, QWidget

from policies.model import DocumentKind, FailureReason, VerificationPath
from policies.reception import ChooseOption, Failed, Screen
from reader.reception import SessionUpdated
from ui.main_window import MainWindow
from ui.printouts import documents


@dataclass(frozen=True)
class Person:
    chart: str
    name: str
    kana: str
    birth: str
    insurer: str = ""
    symbol: str = ""
    number: str = ""
    branch: str = ""


#: Simulator persons (resources/demo/terminal/persons.toml) and their demo cards.
P03 = Person(
    "C-0003", "見本 一郎", "ミホン イチロウ", "S50.11.3", "01130012", "11223344", "25", "00"
)
P26 = Person("C-0026", "模擬 他院", "モギ タイン", "1958/2/26")
P01 = Person("C-0001", "架空 太郎", "カクウ タロウ", "1980-04-01")


def type_text(qtbot: Any, edit: Any, text: str) -> None:
    """Type ASCII key by key; Japanese arrives as an input method would commit it."""
    if text.isascii():
        qtbot.keyClicks(edit, text)
    else:
        edit.insert(text)


def begin_visit(qtbot: Any, w: MainWindow, p: Person, *, welfare: bool = False) -> SessionUpdated:
    """Ctrl+N, the new-patient tab, the patient's details, 受付開始."""
    before = set(w.sessions)
    w.new_visit_dialog = None
    w.act_new.trigger()  # Ctrl+N (the keyboard-only test presses the keys themselves)
    qtbot.waitUntil(lambda: w.new_visit_dialog is not None, timeout=5000)
    d = w.new_visit_dialog
    d.tabs.setCurrentIndex(1)
    for edit, text in (
        (d.chart, p.chart),
        (d.name, p.name),
        (d.kana, p.kana),
        (d.birth.edit, p.birth),
        (d.insurer.edit, p.insurer),
        (d.symbol, p.symbol),
        (d.number, p.number),
        (d.branch, p.branch),
    ):
        if text:
            type_text(qtbot, edit, text)
    d.welfare.setChecked(welfare)
    assert d.ok.isEnabled()
    qtbot.mouseClick(d.ok, Qt.MouseButton.LeftButton)
    try:
        qtbot.waitUntil(lambda: bool(set(w.sessions) - before), timeout=15_000)
    except Exception:
        raise AssertionError(f"no session: {w.message.text()} {w.message.toolTip()}") from None
    (visit,) = set(w.sessions) - before
    qtbot.waitUntil(lambda: w.current_visit() == visit, timeout=10_000)
    return w.sessions[visit]


def wait_session(
    qtbot: Any, w: MainWindow, visit: int, predicate: Any, timeout: int = 20_000
) -> SessionUpdated:
    qtbot.waitUntil(
        lambda: visit in w.sessions and bool(predicate(w.sessions[visit])), timeout=timeout
    )
    return w.sessions[visit]


def choose(
    qtbot: Any,
    w: MainWindow,
    visit: int,
    path: VerificationPath,
    documents: tuple[DocumentKind, ...] = (),
) -> None:
    """Select the offered option for ``path`` in the list and press この方法で進める."""
    s = w.sessions[visit]
    ids = [o.id for o in s.options if o.path is path and set(documents) <= set(o.documents)]
    assert ids, [(o.id, o.path) for o in s.options]
    panel = w.session_panel
    rows = [
        panel.route.options.item(i).data(Qt.ItemDataRole.UserRole)
        for i in range(panel.route.options.count())
    ]
    panel.route.options.setCurrentRow(rows.index(ids[0]))
    qtbot.mouseClick(panel.route.choose_btn, Qt.MouseButton.LeftButton)


def type_pin(qtbot: Any, w: MainWindow, pin: str) -> None:
    qtbot.waitUntil(lambda: w.pin_dialog is not None and w.pin_dialog.isVisible(), timeout=20_000)
    dialog = w.pin_dialog
    qtbot.keyClicks(dialog, pin)
    assert dialog.entered() == len(pin)
    qtbot.keyClick(dialog, Qt.Key.Key_Return)


def declaration_visit(qtbot: Any, w: MainWindow, p: Person) -> int:
    """A visit the terminal cannot check: 申立書 chosen, its 印刷 button pressed."""
    visit = begin_visit(qtbot, w, p).visit_id
    w.desk.dispatch(Failed(FailureReason.TERMINAL_DOWN), visit_id=visit)
    s = wait_session(qtbot, w, visit, lambda s: s.reason is FailureReason.TERMINAL_DOWN)
    option = next(o.id for o in s.options if o.path is VerificationPath.SELF_DECLARATION)
    w.desk.dispatch(ChooseOption(option), visit_id=visit)
    wait_session(qtbot, w, visit, lambda s: s.screen is Screen.COLLECT_DOCUMENTS)
    panel = w.session_panel
    qtbot.waitUntil(panel.documents.declaration_btn.isVisible, timeout=5000)
    qtbot.mouseClick(panel.documents.declaration_btn, Qt.MouseButton.LeftButton)
    return visit


def print_through_the_dialog(qtbot: Any, w: MainWindow, out: Path) -> int:
    """Staff press 印刷 in Qt's print dialog; offscreen it prints to a PDF file: its pages."""
    qtbot.waitUntil(
        lambda: w.printouts.print_dialog is not None and w.printouts.print_dialog.isVisible(),
        timeout=60_000,
    )
    dialog = w.printouts.print_dialog
    assert any("印刷" in b.text() for b in dialog.findChildren(QPushButton))  # Qt's, in Japanese
    # no printer on this machine: the dialog's destination is "print to file"; name the file
    file_name = dialog.findChild(QLineEdit, "filename")
    assert file_name is not None
    assert Path(file_name.text()).parent == documents()  # not the program's folder
    file_name.setText(str(out))
    w.message.setText("")
    dialog.accept()
    qtbot.waitUntil(lambda: "しました" in w.message.text(), timeout=30_000)
    w.printouts.print_dialog = None
    return len(pypdf.PdfReader(out).pages)


def cut_texts(root: QWidget) -> list[str]:
    """Texts shown cut off under ``root``: wrapped labels short of their lines, one-line labels
    narrower than their text, list cells narrower than theirs (the message bar is one line by
    design: its tooltip has the rest)."""
    cut: list[str] = []
    for lbl in root.findChildren(QLabel):
        if not lbl.isVisible() or not lbl.text() or lbl.objectName() == "MessageBar":
            continue
        if lbl.wordWrap():
            if lbl.height() < lbl.heightForWidth(lbl.width()):
                cut.append(lbl.text())
        elif lbl.width() < lbl.sizeHint().width():
            cut.append(lbl.text())
    for view in root.findChildren(QTableView):
        if not view.isVisible():
            continue
        model, cells = view.model(), view.fontMetrics()
        for r in range(model.rowCount()):
            for c in range(model.columnCount()):
                text = str(model.index(r, c).data() or "")
                if cells.horizontalAdvance(text) + 8 > view.columnWidth(c):
                    cut.append(text)
    return cut


def rows_for(stack: Any, visit: int) -> list[Any]:
    rows = stack.store.verifications_between(date(2020, 1, 1), date(2100, 1, 1))
    return [r for r in rows if r.visit_id == visit]


@dataclass
class StallMeter:
    """A 5 ms timer on the GUI thread; records the longest gap between its ticks."""

    interval_ms: int = 5
    gaps: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(self.interval_ms)
        self.clock = QElapsedTimer()
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.gaps.clear()
        self.clock.start()
        self.timer.start()

    def _tick(self) -> None:
        self.gaps.append(self.clock.restart())

    def stop(self) -> float:
        """The longest gap, the first tick left out (it includes the timer's own start-up)."""
        self.timer.stop()
        return max(self.gaps[1:], default=0.0)


def settle(qtbot: Any, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        qtbot.wait(20)
