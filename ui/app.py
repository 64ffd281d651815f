"""The UI's entry point: ``run(stack)`` is what ``python main.py run`` calls.

main.py builds the stack (it alone chooses implementations); this module makes the
QApplication, applies the font size and language, shows the window and runs the event loop.
``display_problem`` is asked first: without a display Qt aborts the whole process (exit 134,
after the stack has started), so the command line refuses it in one line before anything starts.
"""

from __future__ import annotations

import os
import signal
import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from ui.i18n import apply_font
from ui.main_window import MainWindow
from ui.stack import Stack


def display_problem() -> str | None:
    """Why Qt would find no display to show the window on, or None (Windows and macOS always
    have one; elsewhere X11 or Wayland must be named, or a platform chosen explicitly)."""
    if sys.platform in ("win32", "darwin") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "no display: neither DISPLAY nor WAYLAND_DISPLAY is set; set QT_QPA_PLATFORM=offscreen "
        "for a headless check or use demo-check"
    )


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Madoguchi")
    app.setApplicationDisplayName("窓口 Madoguchi")
    # The desk's Python threads (actor, card, terminal, database) share the GIL with the GUI
    # thread; a shorter switch interval keeps the event loop's turn well under 50 ms.
    sys.setswitchinterval(0.001)
    apply_font(app)
    # Inactive colours = active ones: the PIN pad (a modal dialog) taking the focus then does
    # not repaint the whole reception window twice (30–40 ms each), and nothing looks dimmed.
    palette = app.palette()
    for role in QPalette.ColorRole:
        if role is not QPalette.ColorRole.NColorRoles:
            active = palette.color(QPalette.ColorGroup.Active, role)
            palette.setColor(QPalette.ColorGroup.Inactive, role, active)
    app.setPalette(palette)
    return app


class Shell:
    """Owns the window; rebuilds it when the language changes (sessions live in the desk)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.window: MainWindow | None = None
        self.build()

    def build(self) -> MainWindow:
        old = self.window
        window = MainWindow(self.stack)
        # Rebuilt once the emitting window's slot has returned: it is closed by the rebuild.
        window.language_changed.connect(lambda: QTimer.singleShot(0, self.rebuild))
        window.start()
        screen = window.screen().availableGeometry() if window.screen() else None
        if screen is not None and (screen.width() < 1700 or screen.height() < 950):
            window.showMaximized()  # a 1366×768 reception PC: use all of it
        else:
            window.show()
        self.window = window
        if old is not None:
            old.close()
            old.deleteLater()
        return window

    def rebuild(self) -> None:
        self.build()


def run(stack: Stack) -> int:
    """Show the reception window for ``stack`` until it is closed; the exit code."""
    app = make_app()
    shell = Shell(stack)
    for sig in (signal.SIGINT, signal.SIGTERM):  # Ctrl+C / SIGTERM end the run cleanly
        signal.signal(sig, lambda *_: app.quit())
    wake = QTimer()
    wake.timeout.connect(lambda: None)  # lets Python run its signal handlers
    wake.start(300)
    code = app.exec()
    if shell.window is not None:
        shell.window.close()
    return int(code)
