"""The terminal exchange: write queries into req, take answers from res and face, deliver events.

One worker thread owns all processing, fed by change notices and a periodic scan of res/face
(`reader.terminal.watch` decides when a file is worth reading and how long an incomplete one is
waited for). A file is taken when it parses (an .err once it is seen unchanged), copied into our
archive, turned into a typed event and recorded so it is taken once per version. Face files are
never moved or deleted.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import queue
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from reader.terminal.config import TerminalConfig
from reader.terminal.errors import (
    FileTooLargeError,
    FileVanished,
    HostileXmlError,
    NotAFileError,
    RequestWriteError,
    TerminalError,
    TerminalParseError,
)
from reader.terminal.events import (
    FaceResultArrived,
    RequestSent,
    ResultArrived,
    TerminalEvent,
    TerminalProblem,
    TerminalProblemKind,
)
from reader.terminal.files import Archive, FileSnapshot, Ledger, atomic_write, read_shared
from reader.terminal.outcome import (
    OutcomeKind,
    QueryOutcome,
    decode_err,
    outcome_for_result,
)
from reader.terminal.parser import parse_result
from reader.terminal.queries import (
    FACE_PREFIX,
    IndividualQuery,
    new_file_identifier,
    render_request,
    request_file_name,
    result_file_name,
)
from reader.terminal.results import QualificationResult, ResultSource
from reader.terminal.simmark import SIM_ERR_MARK
from reader.terminal.watch import (
    FileState,
    FileTracker,
    FolderWatch,
    Identity,
    Pending,
    Watching,
    identity_of,
)

log = logging.getLogger(__name__)

_RES = re.compile(r"OQSsiquc01res_(?P<id>[0-9A-Za-z]+)\.xml", re.IGNORECASE)
_ERR = re.compile(r"OQSsiquc01req_(?P<id>[0-9A-Za-z]+)\.err", re.IGNORECASE)
_RETURNED = re.compile(r"OQSsiquc01req_(?P<id>[0-9A-Za-z]+)\.xml", re.IGNORECASE)
_FACE = re.compile(re.escape(FACE_PREFIX) + r".+\.xml", re.IGNORECASE)

Subscriber = Callable[[TerminalEvent], None]
_KEEP_EXPIRED_S = 3600.0


class _Kind(StrEnum):
    RES = "res"
    ERR = "err"
    RETURNED = "returned"
    FACE = "face"


@dataclass
class _Pending:
    request_id: str
    file_name: str
    query: IndividualQuery
    future: Future[QueryOutcome]
    deadline: float
    collect_check: float
    collect_warned: bool = False


@dataclass(frozen=True, slots=True)
class PendingQuery:
    """Handle on a submitted query; `result()` blocks until an outcome (never longer than the
    query's timeout plus a small margin: "no answer" is itself an outcome)."""

    request_id: str
    file_name: str
    query: IndividualQuery
    future: Future[QueryOutcome] = field(compare=False)
    timeout_s: float = 30.0

    def result(self, timeout: float | None = None) -> QueryOutcome:
        return self.future.result(self.timeout_s + 5.0 if timeout is None else timeout)


@dataclass(frozen=True, slots=True)
class TerminalHealth:
    running: bool
    simulated: bool
    folders_ok: bool
    last_answer_at: datetime | None
    pending: int
    #: How res/face are watched: notifications, or polled (configured, a network share, or
    #: notifications unavailable — then ``watch_problem`` says why).
    watching: Watching = Watching.NOT_STARTED
    watch_problem: str | None = None


class TerminalExchange:
    """Talks to the terminal through its folders. Thread-safe; events on the worker thread.

    `clock` gives local wall time (dates for requests and eligibility checks); `on_read_chunk`
    is a test seam that runs after each chunk read from a file (e.g. to move it mid-read).
    """

    def __init__(
        self,
        config: TerminalConfig,
        *,
        clock: Callable[[], datetime] = datetime.now,
        on_read_chunk: Callable[[Path, int], None] | None = None,
    ) -> None:
        self.config = config
        self._clock = clock
        self._on_read_chunk = on_read_chunk
        self._subscribers: list[Subscriber] = []
        self._lock = threading.RLock()
        self._queue: queue.Queue[Path | None] = queue.Queue()
        self._pending: dict[str, _Pending] = {}
        #: Queries that got "no answer", kept for an hour so a late answer is still recognised.
        self._expired: dict[str, _Pending] = {}
        self._tracker: FileTracker | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._watch = FolderWatch(config.watch, self._queue)
        self._folder_problem: set[str] = set()
        self._archive = Archive(config.archive_dir)
        self._seen: Ledger | None = None
        self._issued: Ledger | None = None
        self._started_wall = 0.0
        self._last_answer_at: datetime | None = None
        self._dirs: dict[_Kind, Path] = {}

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        if self._thread is not None:
            return
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        self._seen = Ledger(self.config.ledger_dir / "processed.txt")
        self._issued = Ledger(self.config.ledger_dir / "issued.txt")
        self._tracker = FileTracker(
            self._seen,
            settle_s=self.config.settle_s,
            deadline_s=self.config.pending_deadline_s,
        )
        self._started_wall = time.time()
        self._stop.clear()
        self._watch.start()
        self._refresh_dirs()
        self._thread = threading.Thread(target=self._run, name="terminal-exchange", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._queue.put(None)
        if threading.current_thread() is not self._thread:  # a subscriber may call stop()
            self._thread.join(timeout)
        self._thread = None
        self._watch.stop(timeout)
        with self._lock:
            pending = list(self._pending.values())
            self._pending.clear()
        for p in pending:
            if not p.future.done():
                p.future.set_result(
                    QueryOutcome(
                        OutcomeKind.NO_ANSWER,
                        p.request_id,
                        error_message="the terminal exchange was stopped",
                        simulated=self.config.simulated,
                    )
                )
        for ledger in (self._seen, self._issued):
            if ledger is not None:
                ledger.close()

    def __enter__(self) -> TerminalExchange:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def health(self) -> TerminalHealth:
        with self._lock:
            pending = len(self._pending)
        watching, problem = self._watch.how()
        return TerminalHealth(
            running=self.running,
            simulated=self.config.simulated,
            folders_ok=not self._folder_problem,
            last_answer_at=self._last_answer_at,
            pending=pending,
            watching=watching,
            watch_problem=problem,
        )

    # ------------------------------------------------------------------ subscribers

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Register for events; returns the function that unsubscribes."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._subscribers.remove(callback)

        return unsubscribe

    def _emit(self, event: TerminalEvent) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(event)
            except Exception:
                log.exception("terminal event subscriber failed on %r", type(event).__name__)

    # ------------------------------------------------------------------ queries

    def submit(self, query: IndividualQuery, *, timeout_s: float | None = None) -> PendingQuery:
        """Write the query into req and return at once; the outcome arrives on the future/events."""
        if not self.running:
            raise TerminalError("the terminal exchange is not running")
        timeout = self.config.answer_timeout_s if timeout_s is None else timeout_s
        now = self._clock()
        req_dir = self.config.req_dir
        for _ in range(10):
            file_id = new_file_identifier(now)
            name = request_file_name(file_id)
            if file_id not in self._pending and not (req_dir / name).exists():
                break
        data = render_request(
            query,
            institution_code=self.config.medical_institution_code,
            file_id=file_id,
            confirmation_date=now.date(),
            encoding=self.config.request_encoding,
        )
        future: Future[QueryOutcome] = Future()
        start = time.monotonic()
        pending = _Pending(
            file_id, name, query, future, start + timeout, start + min(10.0, timeout / 2)
        )
        with self._lock:
            # Registered before the file exists: a very fast answer must find its request.
            self._pending[file_id] = pending
            assert self._issued is not None
            self._issued.add(file_id)
        try:
            atomic_write(req_dir, name, data)
        except OSError as exc:
            with self._lock:
                self._pending.pop(file_id, None)
            raise RequestWriteError(f"cannot write {name} into {req_dir}: {exc}") from exc
        self._queue.put(Path())  # wake the worker so it knows the new deadline
        self._emit(RequestSent(file_id, name, query, self.config.simulated))
        return PendingQuery(file_id, name, query, future, timeout)

    def query(self, query: IndividualQuery, *, timeout_s: float | None = None) -> QueryOutcome:
        """Blocking form for worker threads: the outcome, NO_ANSWER after the timeout.

        Not from a subscriber callback: those run on the exchange's own thread.
        """
        return self.submit(query, timeout_s=timeout_s).result()

    def rescan_now(self) -> None:
        """Look at res/face again at once (e.g. after the share came back)."""
        with self._lock:
            self._next_scan = 0.0
        self._queue.put(Path())

    # ------------------------------------------------------------------ worker

    _next_scan = 0.0

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._tick()
            except Exception:  # the worker must survive anything a file can do to it
                log.exception("terminal exchange worker error")
                time.sleep(0.1)

    def _tick(self) -> None:
        assert self._tracker is not None
        if time.monotonic() >= self._next_scan:
            self._scan()
            interval = (
                self.config.poll_interval_s
                if self._watch.polling
                else self.config.rescan_interval_s
            )
            self._next_scan = time.monotonic() + interval
        for state in self._tracker.due(time.monotonic()):
            self._recheck(state)
        self._check_deadlines()
        due = [self._next_scan]
        timer = self._tracker.next_due()
        if timer is not None:
            due.append(timer)
        with self._lock:
            for p in self._pending.values():
                due.append(p.deadline)
                if not p.collect_warned:
                    due.append(p.collect_check)
        wait = max(0.0, min(due) - time.monotonic())
        try:
            items = [self._queue.get(timeout=min(wait, 1.0))]
        except queue.Empty:
            return
        with contextlib.suppress(queue.Empty):
            while True:  # a burst of notices is handled once per file
                items.append(self._queue.get_nowait())
        for item in dict.fromkeys(items):
            if item is None:
                return
            if item.name:
                self._notice(item)

    def _refresh_dirs(self) -> None:
        self._dirs = {_Kind.RES: self.config.res_dir, _Kind.FACE: self.config.face_dir}
        for kind, directory in self._dirs.items():
            if not directory.is_dir():
                self._folder_missing(kind, directory)
                continue
            self._watch.watch(directory)

    def _problem(
        self,
        kind: TerminalProblemKind,
        message: str,
        *,
        file_name: str | None = None,
        request_id: str | None = None,
        error_code: str | None = None,
    ) -> None:
        self._emit(
            TerminalProblem(
                kind, message, file_name, request_id, error_code, simulated=self.config.simulated
            )
        )

    def _folder_missing(self, kind: _Kind, directory: Path, detail: str = "missing") -> None:
        if kind.value in self._folder_problem:
            return
        self._folder_problem.add(kind.value)
        self._problem(TerminalProblemKind.FOLDER_UNAVAILABLE, f"{directory}: {detail}")

    def _scan(self) -> None:
        """List res/face: read new and changed files, forget those that went away."""
        assert self._tracker is not None
        self._refresh_dirs()
        for kind, directory in self._dirs.items():
            try:
                entries = sorted(
                    (e for e in os.scandir(directory) if not e.is_dir(follow_symlinks=False)),
                    key=lambda e: e.name,
                )
            except OSError as exc:
                self._folder_missing(kind, directory, str(exc))
                continue
            self._folder_problem.discard(kind.value)
            present: set[str] = set()
            for entry in entries:
                path = directory / entry.name
                candidate = self._candidate(path)
                if candidate is None:
                    continue
                try:
                    identity = identity_of(entry.stat(follow_symlinks=False))
                except FileNotFoundError:
                    continue  # gone since the listing: forgotten below
                except OSError:
                    present.add(str(path))  # there, but not now: the next scan looks again
                    continue
                present.add(str(path))
                self._check(path, candidate, identity)
            for state in self._tracker.prune(directory, present, time.monotonic()):
                self._problem_vanished(state.path, state.request_id, "moved or deleted")

    def _check_deadlines(self) -> None:
        now = time.monotonic()
        expired: list[_Pending] = []
        uncollected: list[_Pending] = []
        with self._lock:
            for key in [k for k, p in self._expired.items() if now - p.deadline > _KEEP_EXPIRED_S]:
                del self._expired[key]
            for p in list(self._pending.values()):
                if now >= p.deadline:
                    expired.append(self._pending.pop(p.request_id))
                    self._expired[p.request_id] = p
                elif not p.collect_warned and now >= p.collect_check:
                    p.collect_warned = True
                    uncollected.append(p)
        for p in uncollected:
            if (self.config.req_dir / p.file_name).exists():
                self._problem(
                    TerminalProblemKind.REQUEST_NOT_COLLECTED,
                    f"{p.file_name} is still in req: is the 連携アプリ running?",
                    file_name=p.file_name,
                    request_id=p.request_id,
                )
        for p in expired:
            # A stale query must not be sent later on: staff have moved on to a fallback.
            with contextlib.suppress(OSError):
                (self.config.req_dir / p.file_name).unlink()
            outcome = QueryOutcome(
                OutcomeKind.NO_ANSWER,
                p.request_id,
                error_message="no answer from the terminal within the timeout",
                simulated=self.config.simulated,
            )
            if not p.future.done():
                p.future.set_result(outcome)
            self._problem(
                TerminalProblemKind.NO_ANSWER,
                outcome.error_message or "",
                file_name=p.file_name,
                request_id=p.request_id,
            )
            self._emit(ResultArrived(p.request_id, outcome, p.query))

    # ------------------------------------------------------------------ files

    def _candidate(self, path: Path) -> tuple[_Kind, str | None] | None:
        """Kind and request id of a file we may have to take; None for anything else."""
        parent = os.path.normcase(str(path.parent))
        name = path.name
        if parent == os.path.normcase(str(self._dirs.get(_Kind.FACE, ""))):
            return (_Kind.FACE, None) if _FACE.fullmatch(name) else None
        if parent != os.path.normcase(str(self._dirs.get(_Kind.RES, ""))):
            return None
        for kind, pattern in ((_Kind.RES, _RES), (_Kind.ERR, _ERR), (_Kind.RETURNED, _RETURNED)):
            match = pattern.fullmatch(name)
            if match is None:
                continue
            request_id = match.group("id")
            if kind is _Kind.RETURNED or not self._is_ours(request_id):
                return None  # a returned request is handled with its .err; others' files ignored
            return kind, request_id
        return None

    def _is_ours(self, request_id: str) -> bool:
        with self._lock:
            if request_id in self._pending or request_id in self._expired:
                return True
            return self._issued is not None and request_id in self._issued

    def _notice(self, path: Path) -> None:
        """A notification says the file may have new content."""
        candidate = self._candidate(path)
        if candidate is None:
            return
        try:
            identity = identity_of(path.lstat())
        except FileNotFoundError:
            assert self._tracker is not None
            if self._tracker.vanished(path):
                self._problem_vanished(path, candidate[1], "disappeared before it could be read")
            return
        except OSError:
            return  # the scan looks again
        self._check(path, candidate, identity)

    def _check(self, path: Path, candidate: tuple[_Kind, str | None], identity: Identity) -> None:
        """Read the file if it is new or changed since its last read."""
        assert self._tracker is not None
        kind, request_id = candidate
        state = self._tracker.offer(path, kind.value, request_id, identity)
        if state is None:
            return
        if kind is _Kind.FACE and state.identity is None and self._is_backlog(identity):
            self._tracker.handle(state, identity)
            return
        self._read(state, identity)

    def _recheck(self, state: FileState) -> None:
        """A pending file's timer ran out: read it even if nothing says it changed."""
        try:
            identity = identity_of(state.path.lstat())
        except FileNotFoundError:
            assert self._tracker is not None
            if self._tracker.vanished(state.path):
                self._problem_vanished(state.path, state.request_id, "moved or deleted")
            return
        except OSError:
            identity = state.identity or (0, 0)
        self._read(state, identity)

    def _read(self, state: FileState, identity: Identity) -> None:
        assert self._tracker is not None
        path, kind, request_id = state.path, _Kind(state.kind), state.request_id
        now = time.monotonic()
        try:
            snapshot = read_shared(
                path,
                self.config.max_result_bytes,
                on_chunk=None
                if self._on_read_chunk is None
                else (lambda n: self._on_read_chunk(path, n)),  # type: ignore[misc]
            )
        except FileVanished:
            new_version = identity != state.identity  # a taken file's new version is news too
            if self._tracker.vanished(path) or new_version:
                self._problem_vanished(path, request_id, "disappeared before it could be read")
            return
        except (FileTooLargeError, NotAFileError) as exc:
            self._tracker.read(state, identity, now)
            self._give_up(state, exc, None)
            return
        except OSError as exc:
            # Locked by its writer (Windows) or a share hiccup: pending like an incomplete file.
            self._tracker.read(state, identity, now)
            error = TerminalParseError(f"cannot be opened: {exc}", file_name=path.name)
            self._not_ready(state, error, None)
            return
        self._tracker.read(state, (snapshot.size, snapshot.mtime_ns), now)
        result: QualificationResult | None = None
        if kind is _Kind.ERR:
            # The .err format is unknown: plain text can't tell us it is complete, so it must
            # be seen unchanged once before it is taken.
            if state.reads == 0:
                self._tracker.retry_at(state, now + 0.05)
                return
        else:
            try:
                result = parse_result(
                    snapshot.data,
                    source=ResultSource.FACE if kind is _Kind.FACE else ResultSource.QUERY,
                    file_name=path.name,
                    max_bytes=self.config.max_result_bytes,
                )
            except HostileXmlError as exc:
                self._give_up(state, exc, snapshot.data)
                return
            except TerminalParseError as exc:
                self._not_ready(state, exc, snapshot.data)  # probably still being written
                return
        if not self._tracker.taken(state, snapshot.data):
            return  # touched, not changed
        if result is None:
            self._take_err(path, request_id, snapshot)
            return
        if self.config.simulated and not result.simulated:
            result = dataclasses.replace(result, simulated=True)
        if kind is _Kind.FACE:
            self._take_face(path, result)
        else:
            self._take_res(path, request_id or "", result)

    def _not_ready(self, state: FileState, exc: TerminalParseError, data: bytes | None) -> None:
        assert self._tracker is not None
        verdict = self._tracker.not_ready(state, time.monotonic())
        if verdict is Pending.GIVE_UP:
            self._give_up(state, exc, data)
        elif verdict is Pending.REPORT:
            minutes = self.config.pending_deadline_s / 60
            self._unreadable(
                state,
                exc,
                data,
                f"{exc} (still waiting for it to be completed, up to {minutes:g} min)",
            )

    def _give_up(self, state: FileState, exc: TerminalParseError, data: bytes | None) -> None:
        assert self._tracker is not None
        self._tracker.handle(state)
        if state.reported:
            log.warning("%s: given up, %s", state.path.name, exc)
        else:
            state.reported = True
            self._unreadable(state, exc, data, str(exc))

    def _is_backlog(self, identity: Identity) -> bool:
        return identity[1] / 1e9 < self._started_wall - self.config.face_backlog_max_age_s

    # ------------------------------------------------------------------ taking files

    def _now(self) -> datetime:
        return self._clock()

    def _take_face(self, path: Path, result: QualificationResult) -> None:
        now = self._now()
        self._archive.store("face", path.name, result.raw_xml, now)
        self._last_answer_at = now
        outcome = outcome_for_result(
            result, today=now.date(), institution_code=self.config.medical_institution_code
        )
        self._emit(FaceResultArrived(result, outcome))

    def _take_res(self, path: Path, request_id: str, result: QualificationResult) -> None:
        now = self._now()
        if result.request_id and result.request_id != request_id:
            result = dataclasses.replace(
                result,
                warnings=(
                    *result.warnings,
                    f"ArbitraryFileIdentifier {result.request_id!r} differs from the file name",
                ),
            )
        self._archive.store("res", path.name, result.raw_xml, now)
        self._last_answer_at = now
        outcome = outcome_for_result(
            result,
            today=now.date(),
            request_id=request_id,
            institution_code=self.config.medical_institution_code,
        )
        self._remove_own(path)
        self._resolve(request_id, outcome)

    def _take_err(self, path: Path, request_id: str | None, snapshot: FileSnapshot) -> None:
        now = self._now()
        err = decode_err(path.name, snapshot.data)
        self._archive.store("err", path.name, snapshot.data, now)
        self._last_answer_at = now
        returned = path.with_suffix(".xml")
        with contextlib.suppress(OSError):
            self._archive.store("err", returned.name, returned.read_bytes(), now)
            self._remove_own(returned)
        self._remove_own(path)
        lines = [
            ln for ln in err.text.splitlines() if ln.strip() and not ln.startswith(SIM_ERR_MARK)
        ]
        outcome = QueryOutcome(
            OutcomeKind.TERMINAL_ERROR,
            request_id,
            err=err,
            error_message=lines[0].strip() if lines else "the terminal returned the request",
            simulated=err.simulated or self.config.simulated,
            file_name=path.name,
        )
        self._resolve(request_id or "", outcome)

    def _remove_own(self, path: Path) -> None:
        if self.config.remove_own_answers:
            with contextlib.suppress(OSError):
                path.unlink()

    def _resolve(self, request_id: str, outcome: QueryOutcome) -> None:
        with self._lock:
            pending = self._pending.pop(request_id, None)
            late = pending is None
            if pending is None:
                pending = self._expired.pop(request_id, None)
        if late:
            outcome = outcome.as_late()
        elif pending is not None and not pending.future.done():
            pending.future.set_result(outcome)
        self._emit(ResultArrived(request_id, outcome, pending.query if pending else None))

    def _problem_vanished(self, path: Path, request_id: str | None, detail: str) -> None:
        """A file we had not taken went away (another program moved or deleted it)."""
        self._problem(
            TerminalProblemKind.FILE_VANISHED,
            f"{path.name}: {detail}",
            file_name=path.name,
            request_id=request_id,
            error_code=FileVanished.code,
        )

    def _unreadable(
        self, state: FileState, exc: TerminalParseError, data: bytes | None, message: str
    ) -> None:
        path, request_id = state.path, state.request_id
        if data is not None:
            self._archive.store("unreadable", path.name, data, self._now())
        self._problem(
            TerminalProblemKind.UNREADABLE_FILE,
            message,
            file_name=path.name,
            request_id=request_id,
            error_code=exc.code,
        )
        if state.kind != _Kind.FACE and request_id:
            self._resolve(
                request_id,
                QueryOutcome(
                    OutcomeKind.UNREADABLE_ANSWER,
                    request_id,
                    error_code=exc.code,
                    error_message=str(exc),
                    simulated=self.config.simulated,
                    file_name=path.name,
                ),
            )


__all__ = ["PendingQuery", "TerminalExchange", "TerminalHealth", "result_file_name"]
