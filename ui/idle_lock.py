"""The idle lock's clock, and the cover that keeps a locked window's other windows off screen.

Any keyboard or mouse input anywhere in the app restarts the clock. When it runs out the window
locks (the staff member is logged out, the visits stay open in the runtime). The window starts
it at login with the configured minutes and stops it while locked.

Locking shows the lock page in the main window, but dialogs are windows of their own: the
新しい受付 dialog, the PIN pad, print and file dialogs would stay on top of the lock page with a
patient's name and birth date. :class:`LockCover` hides every window of the main window while
it is locked — including one that a background job opens during the lock — and shows them
again only when the same staff member unlocks (a logout closes them).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget
from shiboken6 import isValid

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


class LockCover(QObject):
    """While ``window`` is locked, none of its other windows (dialogs, the PIN pad) is shown."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        self.hidden: list[QWidget] = []
        self.locked = False

    def lock(self) -> None:
        self.locked = True
        for other in self._others():
            self._hide(other)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def unlock(self) -> None:
        """The same staff member is back: the windows reappear as they were."""
        self._stop()
        for other in self.hidden:
            if isValid(other):
                other.show()
        self.hidden.clear()

    def close_all(self) -> None:
        """A logout (or another login): the window's other windows close, hidden or not."""
        self._stop()
        for other in [*self.hidden, *self._others()]:
            if isValid(other):
                other.close()
        self.hidden.clear()

    def _stop(self) -> None:
        self.locked = False
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def _hide(self, other: QWidget) -> None:
        other.hide()
        if other not in self.hidden:
            self.hidden.append(other)

    def _mine(self, widget: QWidget) -> bool:
        parent = widget.parentWidget()
        while parent is not None:
            if parent is self.window:
                return True
            parent = parent.parentWidget()
        return False

    def _others(self) -> list[QWidget]:
        return [
            w
            for w in QApplication.topLevelWidgets()
            if w is not self.window and w.isVisible() and self._mine(w)
        ]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            self.locked
            and event.type() == QEvent.Type.Show
            and isinstance(watched, QWidget)
            and watched.isWindow()
            and self._mine(watched)
        ):
            QTimer.singleShot(0, lambda: self.locked and isValid(watched) and self._hide(watched))
        return False
