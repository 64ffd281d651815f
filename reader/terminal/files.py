"""File primitives for a folder shared with other programs: atomic writes, shared reads, archive.

The req/res/face folders are shared with the terminal's 連携アプリ and the receipt computer, so:
requests appear under their final name only when complete (temp name + fsync + os.replace),
reads never lock a file against the program that owns it (Windows: FILE_SHARE_DELETE too), and
what we take is copied into our own archive rather than moved.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from reader.terminal.errors import FileTooLargeError, FileVanished, NotAFileError

#: Prefix of our temporary files: never `*.xml`, never an OQS prefix, so no reader picks them up.
TEMP_PREFIX = "~madoguchi-"
TEMP_SUFFIX = ".part"
_CHUNK = 64 * 1024


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable (POSIX); Windows has no directory handles for this."""
    if sys.platform == "win32":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(directory: Path, name: str, data: bytes, *, durable: bool = True) -> Path:
    """Write `data` as `directory/name` so that readers only ever see the complete file."""
    final = directory / name
    temp = directory / f"{TEMP_PREFIX}{uuid.uuid4().hex}{TEMP_SUFFIX}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(temp, flags, 0o600)  # owner only: patient data
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(temp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    if durable:
        _fsync_dir(directory)
    return final


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import ctypes
    import msvcrt
    from ctypes import wintypes

    _kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    _kernel32.CreateFileW.restype = wintypes.HANDLE
    _GENERIC_READ, _SHARE_ALL, _OPEN_EXISTING, _NORMAL = 0x80000000, 0x7, 3, 0x80

    def _open_fd(path: Path) -> int:
        """CreateFileW with FILE_SHARE_READ|WRITE|DELETE: the owner can still move the file."""
        handle = _kernel32.CreateFileW(
            str(path), _GENERIC_READ, _SHARE_ALL, None, _OPEN_EXISTING, _NORMAL, None
        )
        if handle == wintypes.HANDLE(-1).value:
            err = ctypes.get_last_error()
            if err in (2, 3):  # ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND
                raise FileNotFoundError(err, "file not found", str(path))
            raise OSError(err, "CreateFileW failed", str(path))
        return msvcrt.open_osfhandle(handle, os.O_RDONLY | os.O_BINARY)

else:

    def _open_fd(path: Path) -> int:
        # Never follow a symlink planted in a shared folder (it could point at any file we can
        # read), never block on a FIFO.
        try:
            return os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise NotAFileError("a symbolic link, not a file", file_name=path.name) from None
            raise


@contextlib.contextmanager
def _open_shared(path: Path) -> Iterator[BinaryIO]:
    """Open for reading without blocking another program's rename/delete of the file."""
    with os.fdopen(_open_fd(path), "rb") as fh:
        yield fh


@dataclass(frozen=True, slots=True)
class FileSnapshot:
    """Bytes of a file and its size/mtime when it was opened."""

    data: bytes
    size: int
    mtime_ns: int


def read_shared(
    path: Path, max_bytes: int, *, on_chunk: Callable[[int], None] | None = None
) -> FileSnapshot:
    """Read a whole file that another program may be writing, moving or deleting.

    The size limit is checked on the open handle before reading, and again while reading (a file
    may grow). Once open, the data keeps coming even if the file is renamed or removed (POSIX
    semantics; on Windows thanks to FILE_SHARE_DELETE). `on_chunk` lets tests act mid-read.
    """
    try:
        with _open_shared(path) as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise NotAFileError("not a regular file", file_name=path.name)
            if st.st_size > max_bytes:
                raise FileTooLargeError(st.st_size, max_bytes, file_name=path.name)
            parts: list[bytes] = []
            total = 0
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > max_bytes:
                    raise FileTooLargeError(total, max_bytes, file_name=path.name)
                parts.append(chunk)
                if on_chunk is not None:
                    on_chunk(total)
    except FileNotFoundError:
        raise FileVanished(f"{path.name} disappeared before it could be read") from None
    return FileSnapshot(b"".join(parts), st.st_size, st.st_mtime_ns)


class Archive:
    """Madoguchi's own copy of every file it took: <data>/archive/<kind>/<YYYYMMDD>/<name>."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def store(self, kind: str, name: str, data: bytes, when: datetime) -> Path:
        directory = self.root / kind / when.strftime("%Y%m%d")
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / name
        n = 1
        while target.exists():
            if target.read_bytes() == data:
                return target
            target = directory / f"{name}.{n}"
            n += 1
        return atomic_write(directory, target.name, data, durable=False)


class Ledger:
    """Append-only list of keys already handled, so a restart or rescan never repeats work.

    One line per key: `<unix seconds>\\t<key>`. Entries older than `keep_days` are dropped when
    the ledger is loaded. Not fsynced: after a power cut a file may be offered once more, and the
    storage layer de-duplicates by file name and content.
    """

    def __init__(self, path: Path, *, keep_days: int = 45) -> None:
        self.path = path
        self._keys: set[str] = set()
        path.parent.mkdir(parents=True, exist_ok=True)
        cutoff = time.time() - keep_days * 86400
        kept: list[str] = []
        dropped = 0
        if path.exists():
            for line in path.read_text("utf-8", errors="replace").splitlines():
                stamp, _, key = line.partition("\t")
                try:
                    fresh = float(stamp) >= cutoff
                except ValueError:
                    fresh = False
                if key and fresh:
                    self._keys.add(key)
                    kept.append(line)
                else:
                    dropped += 1
        if dropped:
            atomic_write(path.parent, path.name, ("\n".join(kept) + "\n").encode("utf-8"))
        self._fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for appends

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def add(self, key: str) -> None:
        if key in self._keys:
            return
        self._keys.add(key)
        self._fh.write(f"{int(time.time())}\t{key}\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()
