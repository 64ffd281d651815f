"""The idle lock's clock: any keyboard or mouse input anywhere in the app restarts it.

When it runs out the window locks (the staff member is logged out, the visits stay open in the
runtime). The window starts it at login with the configured minutes and stops it while locked.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

#: Input that counts as "someone is at the desk".
_ACTIVITY = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)


class IdleLock(QObject):
    """A single-shot timer restarted by input; ``expired`` when nobody touched the app."""

    expired = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.expired)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def start(self, minutes: float) -> None:
        self.set_interval_ms(int(minutes * 60_000))

    def set_interval_ms(self, ms: int) -> None:
        """A new idle period, counted from now (tests use a short one)."""
        self.timer.setInterval(ms)
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def detach(self) -> None:
        """Stop watching the app's input (the window is closing)."""
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _ACTIVITY and self.timer.isActive():
            self.timer.start()
        return False
