"""The simulator child dies with its owner, even when the owner is killed without a chance to
stop it (a leftover simulator would answer a later demo's folder a second time)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

#: A throwaway owner: starts the simulator as the app does, prints its pid, then waits forever.
OWNER = """
import sys, time
from pathlib import Path
from reader.reception import SimulatedTerminalProcess
sim = SimulatedTerminalProcess(Path(sys.argv[1])).start()
print(sim._proc.pid, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie nobody reaps counts as gone)."""
    if Path("/proc/self").exists():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            return stat.rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and signal 0 are POSIX")
def test_simulator_exits_when_its_owner_is_killed(tmp_path: Path) -> None:
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(tmp_path / "oqs")],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert owner.stdout is not None
    sim_pid = int(owner.stdout.readline())
    try:
        assert _alive(sim_pid)
        owner.send_signal(signal.SIGKILL)
        owner.wait(10)
        deadline = time.monotonic() + 10
        while _alive(sim_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(sim_pid), "the simulator outlived its killed owner"
    finally:
        owner.stdout.close()
        if _alive(sim_pid):
            os.kill(sim_pid, signal.SIGKILL)
