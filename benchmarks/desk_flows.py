"""The clerk's keystrokes and clicks, and the wall time, of three everyday visits at the desk.

The real reception window on Qt's offscreen platform over the whole demo stack (SIMULATED card
through the demo reader, SIMULATED terminal subprocess, SIMULATED face reader, SQLite), driven
with real key and mouse events (QTest). The patients are on file beforehand (set up through the
window, not counted). Flows:

- ``card_pin_returning``: a returning patient with the My Number card — 新しい受付, the chart
  number, Enter; the patient puts the card on the reader and enters the PIN; recorded.
- ``face_returning``: a returning patient at the face reader — the result arrives with the
  patient on file as candidate; この結果で受付する, 受付開始; recorded.
- ``document_existing``: an existing patient without the card, with a 資格確認書 — 新しい受付, the
  chart number, Enter; the 資格確認書 option, この方法で進める; the document checked (its numbers
  are those on file, shown for comparison); 記録する; recorded.

Counted: every key press and mouse click of the clerk (a shortcut is one). Not counted: the
characters of data that must be typed (chart number, printed numbers, the patient's PIN) and
what the patient does (the card, the face reader). Time: first action to the recorded visit.

    python benchmarks/desk_flows.py [--json]

With ``--json`` the last line is one JSON object: ``card_pin_returning_actions`` (target ≤ 4),
``face_returning_actions`` (≤ 2), ``document_existing_actions`` (≤ 8) and ``*_s`` per flow.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

import main
from policies.model import DocumentKind, VerificationPath
from policies.reception import Cancel
from reader.reception import SessionUpdated
from storage.demo_data import desk_demo
from tests.ui.conftest import login
from tests.ui.steps import P01, P03, Person, begin_visit, settle, wait_session
from ui.app import make_app
from ui.main_window import MainWindow

TARGETS = {"card_pin_returning": 4, "face_returning": 2, "document_existing": 8}
DEMO_PIN = "1234"
Mod = Qt.KeyboardModifier


class Clerk:
    """Real key and mouse events, counted; data typed is not counted."""

    def __init__(self) -> None:
        self.actions = 0

    # the few pytest-qt calls the shared UI steps use (setting up, not counted)
    def wait(self, ms: int) -> None:
        QTest.qWait(ms)

    def waitUntil(self, predicate: Callable[[], object], timeout: int = 5000) -> None:
        end = time.monotonic() + timeout / 1000
        while not predicate():
            if time.monotonic() > end:
                raise TimeoutError(f"waited {timeout} ms")
            QTest.qWait(10)

    def keyClicks(self, widget: QWidget, text: str) -> None:
        QTest.keyClicks(widget, text)

    def keyClick(self, widget: QWidget, key: Qt.Key) -> None:
        QTest.keyClick(widget, key)

    def mouseClick(self, widget: QWidget, button: Qt.MouseButton) -> None:
        QTest.mouseClick(widget, button)

    # what the clerk does
    def key(self, widget: QWidget, key: Qt.Key, modifier: Mod = Mod.NoModifier) -> None:
        self.actions += 1
        QTest.keyClick(widget, key, modifier)

    def click(self, widget: QWidget, pos: Any = None) -> None:
        self.actions += 1
        if pos is None:
            QTest.mouseClick(widget, Qt.MouseButton.LeftButton)
        else:
            QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Mod.NoModifier, pos)

    def data(self, widget: QWidget, text: str) -> None:
        """Characters the clerk must type anyway (not counted)."""
        QTest.keyClicks(widget, text)


def _active(clerk: Clerk, widget: QWidget) -> None:
    """Offscreen windows only get the keyboard when activated explicitly."""
    widget.activateWindow()
    if QApplication.activeWindow() is not widget:
        QApplication.setActiveWindow(widget)
    clerk.waitUntil(lambda: QApplication.activeWindow() is widget, 5000)


def _register(clerk: Clerk, w: MainWindow, person: Person) -> None:
    """Put the patient on file through a visit that is then cancelled (setting up)."""
    s = begin_visit(clerk, w, person)
    w.desk.dispatch(Cancel(), visit_id=s.visit_id)
    wait_session(clerk, w, s.visit_id, lambda s: s.final and s.recorded)  # 中止 is on record
    w.desk.close_session(s.visit_id)
    clerk.waitUntil(lambda: s.visit_id not in w.sessions, 10_000)


def _new_session(clerk: Clerk, w: MainWindow, before: set[int]) -> SessionUpdated:
    clerk.waitUntil(lambda: bool(set(w.sessions) - before), 15_000)
    (visit,) = set(w.sessions) - before
    return w.sessions[visit]


def _open_search(clerk: Clerk, w: MainWindow, chart: str) -> set[int]:
    """新しい受付 (Ctrl+N), the chart number, Enter: the visit begins for the one match."""
    before = set(w.sessions)
    _active(clerk, w)
    w.new_visit_dialog = None
    clerk.key(w, Qt.Key.Key_N, Mod.ControlModifier)
    clerk.waitUntil(lambda: w.new_visit_dialog is not None, 5000)
    d = w.new_visit_dialog
    _active(clerk, d)
    clerk.data(d.search, chart)
    clerk.key(d.search, Qt.Key.Key_Return)
    return before


def card_pin_returning(clerk: Clerk, w: MainWindow) -> None:
    before = _open_search(clerk, w, P03.chart)
    s = _new_session(clerk, w, before)
    w.desk.demo_insert_card("demo-03")  # the patient puts the card on the reader
    clerk.waitUntil(lambda: w.pin_dialog is not None and w.pin_dialog.isVisible(), 20_000)
    pad = w.pin_dialog
    clerk.data(pad, DEMO_PIN)  # the patient's PIN
    clerk.key(pad, Qt.Key.Key_Return)
    wait_session(clerk, w, s.visit_id, lambda s: s.recorded, 20_000)
    w.desk.demo_remove_card()


def face_returning(clerk: Clerk, w: MainWindow) -> None:
    before = set(w.sessions)
    w.desk.demo_face_reader("demo-01")  # the patient at the face reader
    box = w.face_box
    clerk.waitUntil(lambda: box.list.count() > 0 and box.attach_btn.isVisible(), 20_000)
    clerk.click(box.attach_btn)
    clerk.waitUntil(lambda: w.new_visit_dialog is not None, 5000)
    d = w.new_visit_dialog
    clerk.waitUntil(d.ok.isEnabled, 5000)
    clerk.click(d.ok)
    s = _new_session(clerk, w, before)
    wait_session(clerk, w, s.visit_id, lambda s: s.recorded, 20_000)


def document_existing(clerk: Clerk, w: MainWindow) -> None:
    before = _open_search(clerk, w, P03.chart)
    s = _new_session(clerk, w, before)
    clerk.waitUntil(lambda: w.session_panel.route.options.count() > 0, 5000)
    s = w.sessions[s.visit_id]
    wanted = next(
        i
        for i, o in enumerate(s.options)
        if o.path is VerificationPath.DOCUMENTS
        and DocumentKind.QUALIFICATION_CERTIFICATE in o.documents
    )
    options = w.session_panel.route.options
    options.scrollToItem(options.item(wanted))
    clerk.click(options.viewport(), options.visualItemRect(options.item(wanted)).center())
    _active(clerk, w)
    clerk.key(w, Qt.Key.Key_G, Mod.AltModifier)  # この方法で進める
    form = w.session_panel.documents
    clerk.waitUntil(lambda: bool(form.rows) and form.isVisible(), 10_000)
    (row,) = form.rows
    box = QPoint(8, row.check.height() // 2)  # on the box: a click beside the text misses
    clerk.click(row.check, box)  # 資格確認書 を確認した (its numbers shown from the chart)
    clerk.waitUntil(form.record_btn.isEnabled, 5000)
    clerk.key(w, Qt.Key.Key_S, Mod.AltModifier)  # 確認した内容を記録する
    wait_session(clerk, w, s.visit_id, lambda s: s.recorded, 20_000)


FLOWS: dict[str, Callable[[Clerk, MainWindow], None]] = {
    "card_pin_returning": card_pin_returning,
    "face_returning": face_returning,
    "document_existing": document_existing,
}


def run() -> dict[str, Any]:
    app = make_app()
    setup = Clerk()
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="madoguchi-bench-flows-") as tmp:
        stack = main.build_demo_stack(Path(tmp))
        w = MainWindow(stack)
        try:
            w.start()
            w.show()
            demo = desk_demo()
            login(setup, w, demo.username, demo.password)
            for person in (P01, P03):  # on file: the returning patients
                _register(setup, w, person)
            for name, flow in FLOWS.items():
                settle(setup, 0.5)
                clerk = Clerk()
                started = time.perf_counter()
                flow(clerk, w)
                figures[f"{name}_s"] = round(time.perf_counter() - started, 3)
                figures[f"{name}_actions"] = clerk.actions
        finally:
            w.close()
            stack.close()
            app.processEvents()
    return figures


def main_(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="end with one JSON line of figures")
    args = parser.parse_args(argv)
    figures = run()
    print(f"SIMULATED demo stack, offscreen, {os.cpu_count()} CPUs")
    for name, target in TARGETS.items():
        print(
            f"  {name:20s}: {figures[f'{name}_actions']} actions (target ≤ {target}), "
            f"{figures[f'{name}_s']} s"
        )
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main_())
