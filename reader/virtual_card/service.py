"""Make sure a pcscd with the vpcd driver runs, and share its two virtual slots between processes.

Only one pcscd can run per machine (fixed socket ``/run/pcscd/pcscd.comm``), so the demo, the
tests, other helpers' test runs and benchmarks all share it:

* :func:`ensure_pcscd` reuses a running pcscd whose vpcd is listening, or starts ``pcscd -f``
  (never ``-a``: that logs every APDU, PINs included, in clear). Every user holds a shared lock on
  a "users" file for as long as it needs the daemon; the process that started pcscd stops it only
  if it can turn that into an exclusive lock, i.e. nobody else still uses it.
* :func:`lease_slot` takes an exclusive lock per vpcd slot (only one virtual card fits a slot);
  it waits for a free slot instead of failing, and skips a slot a foreign card sits in.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from reader.virtual_card.vpcd import VPCD_BASE_PORT, VPCD_SLOTS, reader_name_for_slot

try:
    import fcntl
except ImportError:  # Windows: no pcscd there; slot leases use msvcrt.
    fcntl = None  # type: ignore[assignment]

LOCK_DIR = Path(tempfile.gettempdir())
PCSCD_LOG = LOCK_DIR / "madoguchi-pcscd.log"
_VPCD_CONF_DIR = Path("/etc/reader.conf.d")


class PcscdUnavailable(RuntimeError):
    """pcscd/vpcd are not installed, or a pcscd without vpcd occupies the machine."""


class SlotsBusy(TimeoutError):
    """No vpcd slot became free in time."""


# ---------------------------------------------------------------------------------------------
# Inter-process file locks
# ---------------------------------------------------------------------------------------------


class FileLock:
    """Advisory file lock: ``flock`` on POSIX (shared or exclusive), ``msvcrt`` on Windows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[bytes] | None = None

    def _open(self) -> IO[bytes]:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "a+b")  # noqa: SIM115 - held for the lock's lifetime
        return self._fh

    def acquire(self, *, shared: bool = False, blocking: bool = True) -> bool:
        """Take (or convert to) the lock. Returns False if ``blocking`` is False and it is held."""
        fh = self._open()
        if fcntl is not None:
            flags = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (
                0 if blocking else fcntl.LOCK_NB
            )
            try:
                fcntl.flock(fh.fileno(), flags)
            except BlockingIOError:
                return False
            return True
        import msvcrt  # noqa: PLC0415 - Windows only

        mode = msvcrt.LK_LOCK if blocking else msvcrt.LK_NBLCK  # type: ignore[attr-defined]
        try:
            msvcrt.locking(fh.fileno(), mode, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True

    def release(self) -> None:
        fh, self._fh = self._fh, None
        if fh is not None:
            fh.close()  # closing the descriptor drops flock/msvcrt locks


# ---------------------------------------------------------------------------------------------
# pcscd
# ---------------------------------------------------------------------------------------------


def pcscd_binary() -> str | None:
    return shutil.which("pcscd") or next(
        (p for p in ("/usr/sbin/pcscd", "/usr/local/sbin/pcscd") if Path(p).exists()), None
    )


def vpcd_configured() -> bool:
    """Whether pcscd would load vpcd (a reader.conf.d entry pointing at libifdvpcd)."""
    if not _VPCD_CONF_DIR.is_dir():
        return False
    for conf in _VPCD_CONF_DIR.iterdir():
        with contextlib.suppress(OSError, UnicodeDecodeError):
            if "ifdvpcd" in conf.read_text(encoding="utf-8", errors="strict"):
                return True
    return False


def missing_requirements() -> str | None:
    """Why a pcscd with vpcd cannot be had on this machine, or None if it can."""
    if sys.platform.startswith("win"):
        return "no pcscd on Windows (install vsmartcard's Windows vpcd for the demo card)"
    if pcscd_binary() is None:
        return "pcscd is not installed (apt-get install pcscd)"
    if not vpcd_configured():
        return "the vpcd driver is not installed (apt-get install vsmartcard-vpcd)"
    return None


def _listening_ports() -> set[int] | None:
    """TCP ports in LISTEN state on this host (Linux /proc), or None where unknown."""
    ports: set[int] = set()
    found = False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        found = True
        for line in lines:
            cols = line.split()
            if len(cols) > 3 and cols[3] == "0A":  # TCP_LISTEN
                ports.add(int(cols[1].rsplit(":", 1)[1], 16))
    return ports if found else None


def vpcd_listening(slots: range = range(VPCD_SLOTS)) -> bool:
    """Is vpcd listening for virtual cards? Checked without connecting (a connection would be
    taken for a card insertion)."""
    ports = _listening_ports()
    if ports is not None:
        return all(VPCD_BASE_PORT + s in ports for s in slots)
    from reader.pcsc import list_readers  # noqa: PLC0415 - fallback where /proc is missing

    try:
        names = {r.name for r in list_readers()}
    except Exception:  # any failure means "not usable"
        return False
    return all(reader_name_for_slot(s) in names for s in slots)


def _pcscd_pid() -> int | None:
    """PID of a live pcscd according to its pid file, if any."""
    try:
        pid = int(Path("/run/pcscd/pcscd.pid").read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


@dataclass
class PcscdService:
    """A pcscd with vpcd that this process may use until :meth:`release`."""

    started_here: bool
    process: subprocess.Popen[bytes] | None = None
    _users: FileLock = field(default_factory=lambda: FileLock(LOCK_DIR / "madoguchi-pcscd.users"))

    def _stop_process(self) -> None:
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5.0)

    def restart(self, *, down_for: float = 0.0, timeout: float = 15.0, wait: float = 30.0) -> None:
        """Stop and start our pcscd (tests of service loss). Only for a pcscd we started and
        nobody else uses: waits up to ``wait`` s for other users, else PcscdUnavailable."""
        if not self.started_here:
            raise PcscdUnavailable("refusing to restart a pcscd this process did not start")
        with _start_lock():
            deadline = time.monotonic() + wait
            # Convert our shared hold into an exclusive one: succeeds once we are the only user.
            while not self._users.acquire(shared=False, blocking=False):
                if time.monotonic() > deadline:
                    raise PcscdUnavailable("pcscd is in use by another process; not restarting")
                time.sleep(0.1)
            try:
                self._stop_process()
                time.sleep(down_for)
                self.process = _start_pcscd(timeout)
            finally:
                self._users.acquire(shared=True)

    def release(self) -> None:
        """Stop using pcscd; stop it too if we started it and no one else still uses it."""
        if not self.started_here:
            self._users.release()  # no start lock: a restarting owner may be waiting for us
            return
        with _start_lock():
            if self._users.acquire(shared=False, blocking=False):
                self._stop_process()
            self._users.release()


@contextlib.contextmanager
def _start_lock():  # type: ignore[no-untyped-def]
    lock = FileLock(LOCK_DIR / "madoguchi-pcscd.lock")
    lock.acquire()
    try:
        yield
    finally:
        lock.release()


def _start_pcscd(timeout: float) -> subprocess.Popen[bytes]:
    binary = pcscd_binary()
    if binary is None:
        raise PcscdUnavailable("pcscd is not installed")
    log = open(PCSCD_LOG, "ab")  # noqa: SIM115 - handed to the child
    try:
        # -f: stay in the foreground so we own the process. NEVER -a (APDU logging: PINs).
        proc = subprocess.Popen(
            [binary, "-f"], stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
        )
    finally:
        log.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = PCSCD_LOG.read_text(encoding="utf-8", errors="replace")[-600:]
            raise PcscdUnavailable(f"pcscd exited with {proc.returncode}: {tail}")
        if vpcd_listening() and Path("/run/pcscd/pcscd.comm").exists():
            return proc
        time.sleep(0.05)
    proc.kill()
    raise PcscdUnavailable(f"pcscd did not open the vpcd ports within {timeout:.0f} s")


def ensure_pcscd(timeout: float = 15.0) -> PcscdService:
    """Reuse a running pcscd with vpcd, or start one; :meth:`PcscdService.release` when done."""
    reason = missing_requirements()
    if reason is not None:
        raise PcscdUnavailable(reason)
    with _start_lock():
        if vpcd_listening():
            service = PcscdService(started_here=False)
        elif _pcscd_pid() is not None:
            raise PcscdUnavailable(
                "a pcscd is running without the vpcd driver listening; stop it or add vpcd"
            )
        else:
            service = PcscdService(started_here=True, process=_start_pcscd(timeout))
        service._users.acquire(shared=True)
        return service


# ---------------------------------------------------------------------------------------------
# Slot leases
# ---------------------------------------------------------------------------------------------


@dataclass
class SlotLease:
    """Exclusive use of one vpcd slot by this process until :meth:`release`."""

    slot: int
    _lock: FileLock

    @property
    def reader_name(self) -> str:
        return reader_name_for_slot(self.slot)

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> SlotLease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _slot_has_card(slot: int) -> bool:
    from reader.pcsc import card_present  # noqa: PLC0415 - avoid a cycle at import time

    try:
        return card_present(reader_name_for_slot(slot))
    except Exception:  # unknown state: treat as occupied, try another
        return True


def lease_slot(
    slots: range = range(VPCD_SLOTS), *, timeout: float = 900.0, poll: float = 0.1
) -> SlotLease:
    """Wait for a free vpcd slot and lock it. A slot with a foreign (unlocked) card is skipped."""
    deadline = time.monotonic() + timeout
    while True:
        for slot in slots:
            lock = FileLock(LOCK_DIR / f"madoguchi-vpcd-slot-{slot}.lock")
            if lock.acquire(blocking=False):
                if not _slot_has_card(slot):
                    return SlotLease(slot, lock)
                lock.release()
            else:
                lock.release()
        if time.monotonic() > deadline:
            raise SlotsBusy(f"no free vpcd slot within {timeout:.0f} s")
        time.sleep(poll)
