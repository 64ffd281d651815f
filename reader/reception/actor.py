"""The desk's actor: one thread that owns every piece of runtime state, and its workers.

Every collaborator of :class:`~reader.reception.desk.ReceptionDesk` (sessions, card watch,
terminal link, face pickup, recording, status) keeps its state on this one thread, so none of
them needs a lock: a public command, a worker's result, a timer and a reader or terminal event all
arrive as a function in the inbox and run here one after another. Slow work leaves the thread on
one of three single workers (card, recorder, documents) and comes back through :meth:`Actor.work`.

Subscribers are called on this thread, in order; a failing subscriber or command is logged and
never stops the loop.
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from reader.reception.events import DeskEvent, Problem, ProblemKind

log = logging.getLogger(__name__)

T = TypeVar("T")
Subscriber = Callable[[DeskEvent], None]


class Actor:
    """The inbox, the subscribers, the worker pools and the timers of one desk."""

    def __init__(self) -> None:
        self._inbox: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._subscribers: list[Subscriber] = []
        self._sub_lock = threading.Lock()
        self._timers: set[threading.Timer] = set()
        #: One card job at a time (one reader = one card session); demo card moves too.
        self.card_pool = ThreadPoolExecutor(1, thread_name_prefix="desk-card")
        #: Every call to the Recorder port (database).
        self.db_pool = ThreadPoolExecutor(1, thread_name_prefix="desk-recorder")
        #: マイナポータル PDFs (parsed in an isolated child process).
        self.doc_pool = ThreadPoolExecutor(1, thread_name_prefix="desk-documents")
        self.closed = False

    @property
    def started(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="desk-actor", daemon=True)
        self._thread.start()

    def stop_timers(self) -> None:
        for timer in list(self._timers):
            timer.cancel()

    def stop(self, timeout: float) -> None:
        """Finish the records in flight, drop other jobs, end the loop and wait for it."""
        self.db_pool.shutdown(wait=True)
        self.card_pool.shutdown(wait=False, cancel_futures=True)
        self.doc_pool.shutdown(wait=False, cancel_futures=True)
        self._inbox.put(None)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def post(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the actor thread (dropped once the desk is closed)."""
        if not self.closed:
            self._inbox.put(fn)

    def _run(self) -> None:
        while True:
            fn = self._inbox.get()
            if fn is None:
                return
            try:
                fn()
            except Exception as exc:  # the actor must survive anything
                log.exception("desk actor error")
                self.emit(Problem(ProblemKind.COMMAND, f"internal error: {type(exc).__name__}"))

    # -- subscribers --

    def subscribe(
        self, callback: Subscriber, replay: Callable[[], Iterable[DeskEvent]]
    ) -> Callable[[], None]:
        """Add ``callback`` on the actor thread, first handing it the events ``replay`` gives."""

        def add() -> None:
            with self._sub_lock:
                self._subscribers.append(callback)
            for event in replay():
                self._safe_call(callback, event)

        self.post(add)

        def unsubscribe() -> None:
            with self._sub_lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def _safe_call(self, callback: Subscriber, event: DeskEvent) -> None:
        try:
            callback(event)
        except Exception:
            log.exception("desk subscriber failed on %s", type(event).__name__)

    def emit(self, event: DeskEvent) -> None:
        with self._sub_lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            self._safe_call(callback, event)

    def problem(
        self,
        kind: ProblemKind,
        message: str,
        *,
        code: str = "",
        visit_id: int | None = None,
        **extra: Any,
    ) -> None:
        self.emit(Problem(kind, message, code=code, visit_id=visit_id, **extra))

    # -- jobs and timers --

    def work(
        self,
        pool: ThreadPoolExecutor,
        job: Callable[[], T],
        done: Callable[[T | None, BaseException | None], None],
    ) -> None:
        """Run ``job`` on ``pool``; ``done(result, error)`` runs on the actor afterwards."""

        def run() -> None:
            try:
                result = job()
            except BaseException as exc:
                self.post(functools.partial(done, None, exc))
                return
            self.post(lambda: done(result, None))

        try:
            pool.submit(run)
        except RuntimeError:  # pool shut down: the desk is closing
            log.debug("job dropped: desk closing")

    def later(self, seconds: float, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the actor after ``seconds`` (cancelled when the desk closes)."""

        def fire() -> None:
            self._timers.discard(timer)
            self.post(fn)

        timer = threading.Timer(seconds, fire)
        timer.daemon = True
        self._timers.add(timer)
        timer.start()

    def wait_idle(self, timeout: float) -> bool:
        """Block until everything queued before this call was handled."""
        if self.closed:
            return False
        done = threading.Event()
        self.post(done.set)
        return done.wait(timeout)
