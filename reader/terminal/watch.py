"""When to read a file in res/face: change notices from the folders, and one state per file.

A file is read when it may have new content, never because we looked at it. Two sources say so:
file-system notifications (watchdog), subscribed to the events that can mean new content only —
created, modified, moved in, closed after writing — so our own open/read/close of a file (inotify's
opened and closed-without-write) never wakes us; and a scan of the folder (listing and stat, no
reads). Whatever the source, a file is read again only if its size or modification time changed
since its last read, or when its own back-off timer is due.

The terminal's folder is usually a network share (`\\\\OQS-TERMINAL\\OQS`), where notifications are
unreliable or absent: there, and in any folder the observer cannot watch, the scan is the source
(`WatchMode.AUTO`), every `poll_interval_s`. Elsewhere notifications lead and the scan runs every
`rescan_interval_s` as a safety net for missed events.

Which of the two leads, and why the folders are polled (configured, a network share, or
notifications unavailable with the system's reason), is :meth:`FolderWatch.how` — shown to staff
through the exchange's health, since a polled folder answers up to a poll interval later.

A file that does not parse yet is *pending*. It is read again when it changes, otherwise after a
back-off that doubles up to a few seconds (in case a share's cached attributes hid a change); it is
reported once when it has been quiet for `settle_s` (staff learn that something is there and not
readable yet) and given up only after `pending_deadline_s` of quiet. What was taken or given up is
recorded in the ledger under the file's name, size and modification time, so a file rewritten later
is taken again; what was delivered is also recorded under its content digest, so a file that is
merely touched is not delivered twice.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import heapq
import logging
import os
import queue
import sys
from dataclasses import dataclass
from enum import Enum, StrEnum, auto
from pathlib import Path

from watchdog.events import (
    FileClosedEvent,
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from reader.terminal.config import WatchMode
from reader.terminal.files import Ledger

log = logging.getLogger(__name__)

#: (size, mtime_ns) of a file: what tells us its content may have changed.
Identity = tuple[int, int]

#: The notifications that can mean new content; anything else (opened, closed without writing,
#: attributes, deleted) is not subscribed to, so reading a file never makes us read it again.
CONTENT_EVENTS: tuple[type[FileSystemEvent], ...] = (
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileClosedEvent,
)
#: File systems on which notifications do not report other machines' writes.
_NETWORK_FS = frozenset(
    {"cifs", "smb3", "smbfs", "nfs", "nfs4", "afs", "9p", "fuse.sshfs", "davfs", "ceph"}
)
#: Back-off of re-reads of an unchanged pending file: 0.1 s, doubling, at most this.
RETRY_FIRST_S = 0.1
RETRY_CAP_S = 2.0
#: A taken file no longer listed is remembered this long, so a late notice about it (the
#: observer thread can lag behind the scan) is not mistaken for a file that vanished unread.
_REMEMBER_GONE_S = 60.0


def identity_of(st: os.stat_result) -> Identity:
    return st.st_size, st.st_mtime_ns


def retry_delay(reads: int) -> float:
    """Delay before re-reading a file unchanged since its last `reads + 1` reads (capped)."""
    return min(RETRY_FIRST_S * 2 ** min(reads, 16), RETRY_CAP_S)


def is_network_folder(path: Path) -> bool:
    """True for a UNC path, a mapped network drive (Windows) or a network mount (Linux)."""
    text = str(path)
    if text.startswith(("\\\\", "//")):
        return True
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        drive = os.path.splitdrive(os.path.abspath(text))[0]
        drive_remote = 4
        return bool(drive) and ctypes.windll.kernel32.GetDriveTypeW(drive + "\\") == drive_remote
    try:
        mounts = Path("/proc/mounts").read_text("utf-8", errors="replace").splitlines()
    except OSError:
        return False  # not Linux: notifications, with the rescan as the safety net
    resolved = os.path.realpath(text)
    best, fstype = "", ""
    for line in mounts:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = resolved == point or resolved.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, fstype = point, fields[2]
    return fstype in _NETWORK_FS


class Watching(StrEnum):
    """How the res/face folders are watched: on notifications, or polled — and why."""

    NOT_STARTED = "not_started"
    NOTIFICATIONS = "notifications"
    #: `watch = "poll"` in the configuration.
    POLL_CONFIGURED = "poll_configured"
    #: `watch = "auto"` and the folder is a network share (notifications unreliable there).
    POLL_NETWORK = "poll_network"
    #: Notifications could not be started or set up for a folder (the reason is kept).
    POLL_UNAVAILABLE = "poll_unavailable"


#: Most telling first: the reason shown when the folders are watched in different ways.
_WATCHING_ORDER = (
    Watching.POLL_UNAVAILABLE,
    Watching.POLL_NETWORK,
    Watching.POLL_CONFIGURED,
    Watching.NOTIFICATIONS,
)


class _ContentChanges(FileSystemEventHandler):
    """Forwards the path of a content event to the worker queue (no work here)."""

    def __init__(self, sink: queue.Queue[Path | None]) -> None:
        self._sink = sink

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory or not isinstance(event, CONTENT_EVENTS):
            return
        target = event.dest_path if isinstance(event, FileMovedEvent) else event.src_path
        if target:  # a move out of the folder has no destination here
            self._sink.put(Path(os.fsdecode(target)))


class FolderWatch:
    """Notifications for the folders that can have them; the others are polled by the scan."""

    def __init__(self, mode: WatchMode, sink: queue.Queue[Path | None]) -> None:
        self.mode = mode
        self._sink = sink
        self._observer: Observer | None = None  # type: ignore[valid-type]
        #: normcased folder -> how it is watched.
        self._folders: dict[str, Watching] = {}
        self._started = False
        #: Why notifications are unavailable (the system's error), once they failed.
        self._unavailable: str | None = None

    def start(self) -> None:
        self._started = True
        if self.mode is WatchMode.POLL:
            return
        observer = Observer()
        observer.daemon = True
        try:
            observer.start()
        except OSError as exc:
            log.warning("no file-system notifications (%s): the terminal folders are polled", exc)
            self._unavailable = str(exc)
            return
        self._observer = observer

    def stop(self, timeout: float) -> None:
        if self._observer is not None:
            with contextlib.suppress(Exception):
                self._observer.stop()
                self._observer.join(timeout)
            self._observer = None
        self._folders.clear()
        self._started = False
        self._unavailable = None

    def watch(self, directory: Path) -> None:
        """Start noticing changes in an existing folder (once)."""
        key = os.path.normcase(str(directory))
        if key in self._folders:
            return
        if self.mode is WatchMode.POLL:
            how = Watching.POLL_CONFIGURED
        elif self._observer is None:
            how = Watching.POLL_UNAVAILABLE
        elif self.mode is WatchMode.AUTO and is_network_folder(directory):
            how = Watching.POLL_NETWORK
        else:
            try:
                self._observer.schedule(
                    _ContentChanges(self._sink),
                    str(directory),
                    recursive=False,
                    event_filter=list(CONTENT_EVENTS),
                )
                how = Watching.NOTIFICATIONS
            except OSError as exc:
                log.warning("%s: no change notifications (%s): polled instead", directory, exc)
                self._unavailable = f"{directory}: {exc}"
                how = Watching.POLL_UNAVAILABLE
        self._folders[key] = how
        log.info("%s: %s", directory, how.value)

    @property
    def polling(self) -> bool:
        """True when some folder relies on the scan alone (scan at the poll interval then)."""
        return self._observer is None or any(
            how is not Watching.NOTIFICATIONS for how in list(self._folders.values())
        )

    def how(self) -> tuple[Watching, str | None]:
        """How the folders are watched (the most telling reason when they differ), and why
        notifications are unavailable when that is the reason (the system's error)."""
        if not self._started:
            return Watching.NOT_STARTED, None
        found = set(self._folders.values())
        if self.mode is WatchMode.POLL:
            found.add(Watching.POLL_CONFIGURED)
        elif self._observer is None:
            found.add(Watching.POLL_UNAVAILABLE)
        how = next((w for w in _WATCHING_ORDER if w in found), Watching.NOTIFICATIONS)
        return how, self._unavailable if how is Watching.POLL_UNAVAILABLE else None


@dataclass
class FileState:
    """What we know of one file in res/face (keyed by its path)."""

    path: Path
    kind: str
    request_id: str | None
    #: Identity at the last read (None before the first).
    identity: Identity | None = None
    #: Monotonic time of the last change seen by a read.
    changed_at: float = 0.0
    #: Reads of the current identity after the first.
    reads: int = 0
    #: When the pending file is read again even if nothing says it changed.
    due: float | None = None
    #: Taken, or given up, at the current identity.
    handled: bool = False
    #: Reported as unreadable since it was last taken.
    reported: bool = False
    #: When a scan first missed the (taken) file.
    gone_at: float | None = None


class Pending(Enum):
    """What to do with a file that did not parse (yet)."""

    WAIT = auto()
    REPORT = auto()
    GIVE_UP = auto()


class FileTracker:
    """One state per file: whether a read is due, the back-off, the pending deadline, the ledger.

    Used from the exchange's worker thread only.
    """

    def __init__(self, ledger: Ledger, *, settle_s: float, deadline_s: float) -> None:
        self._ledger = ledger
        self._settle_s = settle_s
        self._deadline_s = deadline_s
        self._states: dict[str, FileState] = {}
        self._timers: list[tuple[float, str]] = []

    def offer(
        self, path: Path, kind: str, request_id: str | None, identity: Identity
    ) -> FileState | None:
        """The file's state when it must be read (new or changed), else None."""
        state = self._states.get(str(path))
        if state is None:
            state = FileState(path, kind, request_id)
            self._states[str(path)] = state
            if self._in_ledger(kind, path.name, identity):
                state.identity, state.handled = identity, True
                return None
        elif state.identity == identity:
            return None
        return state

    def _in_ledger(self, kind: str, name: str, identity: Identity) -> bool:
        # `kind/name` alone is how versions before the identity key recorded a file.
        return self._key(kind, name, identity) in self._ledger or f"{kind}/{name}" in self._ledger

    @staticmethod
    def _key(kind: str, name: str, identity: Identity) -> str:
        return f"{kind}/{name}?{identity[0]}:{identity[1]}"

    def read(self, state: FileState, identity: Identity, now: float) -> None:
        """Record a read of the file at `identity`; a change starts a new episode."""
        state.due = None
        if identity != state.identity:
            # A new version: pending again (a file given up on is not reported a second time).
            state.identity, state.changed_at, state.reads, state.handled = identity, now, 0, False
        else:
            state.reads += 1

    def handle(self, state: FileState, identity: Identity | None = None) -> None:
        """Taken or given up: not read again until it changes."""
        if identity is not None:
            state.identity = identity
        state.handled, state.due = True, None
        if state.identity is not None:
            self._ledger.add(self._key(state.kind, state.path.name, state.identity))

    def taken(self, state: FileState, data: bytes) -> bool:
        """The file gave a result: handled; False when this content was already delivered
        under this name (the file was touched, not changed)."""
        self.handle(state)
        state.reported = False
        digest = hashlib.sha256(data.rstrip()).hexdigest()  # a final newline is no change
        key = f"{state.kind}/{state.path.name}#{digest}"
        if key in self._ledger:
            return False
        self._ledger.add(key)
        return True

    def not_ready(self, state: FileState, now: float) -> Pending:
        """A read that did not give a result: wait (timer set), report once, or give up."""
        quiet = now - state.changed_at
        if quiet >= self._deadline_s:
            return Pending.GIVE_UP
        report = not state.reported and quiet >= self._settle_s
        state.reported = state.reported or report
        due = now + retry_delay(state.reads)
        if not state.reported:
            due = min(due, state.changed_at + self._settle_s)
        self.retry_at(state, min(due, state.changed_at + self._deadline_s))
        return Pending.REPORT if report else Pending.WAIT

    def retry_at(self, state: FileState, when: float) -> None:
        state.due = when
        heapq.heappush(self._timers, (when, str(state.path)))

    def due(self, now: float) -> list[FileState]:
        """Pending files whose timer has run out."""
        out: list[FileState] = []
        while self._timers and self._timers[0][0] <= now:
            when, key = heapq.heappop(self._timers)
            state = self._states.get(key)
            if state is not None and state.due == when and not state.handled:
                state.due = None
                out.append(state)
        return out

    def next_due(self) -> float | None:
        while self._timers:
            when, key = self._timers[0]
            state = self._states.get(key)
            if state is not None and state.due == when:
                return when
            heapq.heappop(self._timers)  # superseded
        return None

    def vanished(self, path: Path) -> bool:
        """The file is not there: forget it; True when it had not been taken (taken files are
        forgotten by `prune`, a minute later, so repeated late notices stay quiet)."""
        state = self._states.get(str(path))
        if state is not None and state.handled:
            return False
        self._states.pop(str(path), None)
        return True

    def prune(self, directory: Path, present: set[str], now: float) -> list[FileState]:
        """Forget files of `directory` no longer listed; returns those that were not handled
        (taken ones are forgotten a minute later)."""
        unhandled: list[FileState] = []
        for key, state in list(self._states.items()):
            if state.path.parent != directory:
                continue
            if key in present:
                state.gone_at = None
            elif not state.handled:
                unhandled.append(self._states.pop(key))
            elif state.gone_at is None:
                state.gone_at = now
            elif now - state.gone_at > _REMEMBER_GONE_S:
                del self._states[key]
        return unhandled


__all__ = [
    "CONTENT_EVENTS",
    "FileState",
    "FileTracker",
    "FolderWatch",
    "Identity",
    "Pending",
    "identity_of",
    "is_network_folder",
    "retry_delay",
]
