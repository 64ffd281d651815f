"""Threads meet Qt here: desk events onto the GUI thread, and blocking work off it.

The desk calls its subscribers on its own actor thread; widgets may only be touched on the GUI
thread. :class:`DeskBridge` re-emits every event through a Qt signal, which Qt queues across
threads. :class:`Jobs` runs database work (login checks, lists, settings, printing) on a thread
pool and delivers the result back on the GUI thread, so the window never blocks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from reader.reception import ReceptionDesk


class DeskBridge(QObject):
    """Forwards desk events (actor thread) to a GUI-thread slot through a queued signal.

    The slot is connected *before* the bridge subscribes: the desk replays its status and open
    sessions to a new subscriber at once, on its own thread, and a replay emitted before the
    connection would be lost (a rebuilt window would then stay on the login page).
    """

    event = Signal(object)

    def __init__(
        self, desk: ReceptionDesk, slot: Callable[[object], None], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.event.connect(slot)
        self._unsubscribe: Callable[[], None] | None = desk.subscribe(self.event.emit)

    def detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None


class _Relay(QObject):
    """Lives on the GUI thread; the worker emits, the GUI thread receives."""

    done = Signal(object)
    failed = Signal(object)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.fn, self.relay = fn, relay
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            value = self.fn()
        except Exception as exc:  # delivered to the caller's error handler, never swallowed
            self.relay.failed.emit(exc)
        else:
            self.relay.done.emit(value)


class Jobs(QObject):
    """Runs callables off the GUI thread; callbacks run on the GUI thread."""

    error = Signal(object)  # an exception nobody handled

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self._relays: set[_Relay] = set()

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        relay = _Relay()
        self._relays.add(relay)

        @Slot(object)
        def finished(value: Any) -> None:
            self._relays.discard(relay)
            if on_done is not None:
                on_done(value)

        @Slot(object)
        def failed(exc: Exception) -> None:
            self._relays.discard(relay)
            if on_error is not None:
                on_error(exc)
            else:
                self.error.emit(exc)

        relay.done.connect(finished)
        relay.failed.connect(failed)
        self.pool.start(_Task(fn, relay))

    def busy(self) -> bool:
        return bool(self._relays)

    def wait(self, msecs: int = 10_000) -> bool:
        return self.pool.waitForDone(msecs)
