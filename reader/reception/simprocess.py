"""Run the SIMULATED terminal (``python -m reader.terminal_sim``) as a child process.

Used by the demo mode and the desk tests: a real subprocess on real folders, exactly like the
on-site terminal's 連携アプリ, started and stopped by its owner. The owner holds the child's
stdin pipe and the child runs with ``--exit-on-stdin-eof``: when the owner dies, even by SIGKILL
or a crash, the operating system closes the pipe and the simulator stops, so no orphan keeps
serving the folder to the next run (portable, where the parent pid is not on Windows).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

_REPO = Path(__file__).resolve().parents[2]


class SimulatorStartError(RuntimeError):
    """The simulator process did not report READY."""


class SimulatedTerminalProcess:
    """One simulator child on ``root``; :meth:`control` changes its faults at run time."""

    def __init__(
        self,
        root: Path,
        *,
        encoding: str = "utf-8",
        today: date | None = None,
        poll_ms: int = 100,
        log_file: Path | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.root = root
        self.encoding = encoding
        self.today = today
        self.poll_ms = poll_ms
        self.log_file = log_file
        self.extra_args = extra_args
        self._proc: subprocess.Popen[str] | None = None
        self._stderr_thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 30.0) -> SimulatedTerminalProcess:
        self.root.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "reader.terminal_sim",
            "--root",
            str(self.root),
            "--encoding",
            self.encoding,
            "--poll-ms",
            str(self.poll_ms),
            "--exit-on-stdin-eof",
            *self.extra_args,
        ]
        if self.today is not None:
            cmd += ["--today", self.today.isoformat()]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_REPO), env.get("PYTHONPATH", "")) if p)
        self._proc = subprocess.Popen(
            cmd,
            cwd=_REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self._stderr_thread = threading.Thread(
            target=self._drain_stderr, name="terminal-sim-stderr", daemon=True
        )
        self._stderr_thread.start()
        ready: list[str] = []
        reader = threading.Thread(
            target=lambda: ready.append(self._proc.stdout.readline()),  # type: ignore[union-attr]
            daemon=True,
        )
        reader.start()
        reader.join(timeout)
        if not ready or not ready[0].startswith("READY"):
            self.stop()
            raise SimulatorStartError(
                f"the terminal simulator did not start within {timeout:.0f} s "
                f"({(ready or [''])[0].strip() or 'no output'})"
            )
        return self

    def _drain_stderr(self) -> None:
        proc = self._proc
        if proc is None or proc.stderr is None:
            return
        sink = (
            open(  # noqa: SIM115
                os.open(self.log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600),
                "a",
                encoding="utf-8",
            )
            if self.log_file
            else None
        )
        try:
            for line in proc.stderr:
                if sink is not None:
                    sink.write(line)
                    sink.flush()
        except (OSError, ValueError):
            pass
        finally:
            if sink is not None:
                sink.close()

    def control(self, **values: object) -> None:
        """Write the control file, e.g. ``control(fault="silence", applies_to="face")``."""
        path = self.root / "sim-control.json"
        tmp = self.root / "sim-control.json.tmp"
        tmp.write_text(json.dumps(values), "utf-8")
        os.replace(tmp, path)
        time.sleep(0.02)  # a distinct mtime for the next change

    def stop(self, timeout: float = 10.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def __enter__(self) -> SimulatedTerminalProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
