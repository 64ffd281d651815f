"""Real processes against the real engines: concurrent appends, and writers killed mid-append."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.store import Store
from tests.storage.writer import run as run_writer

ROOT = Path(__file__).resolve().parents[2]
WRITERS = 4
APPENDS_EACH = 2_500
KILLS = 100


def writer(db_url: str, count: int, tag: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.storage.writer", db_url, str(count), tag],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )


def acks(lines: list[str]) -> list[tuple[int, str]]:
    out = []
    for line in lines:
        if line.startswith("ACK "):
            _, seq, digest = line.split()
            out.append((int(seq), digest))
    return out


def stored_hashes(store: Store) -> dict[int, str]:
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT seq, hash FROM audit_events")).all()
    return {seq: bytes(digest).hex() for seq, digest in rows}


@pytest.mark.slow
def test_concurrent_appends_have_no_fork_and_no_gap(store: Store, db_url: str) -> None:
    start = store.verify_chain().checked
    procs = [writer(db_url, APPENDS_EACH, f"w{i}") for i in range(WRITERS)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=540)
        assert p.returncode == 0, err
        results.append(acks(out.splitlines()))
    seqs = [seq for r in results for seq, _ in r]
    assert len(seqs) == WRITERS * APPENDS_EACH
    assert sorted(seqs) == list(range(start + 1, start + WRITERS * APPENDS_EACH + 1))
    for r in results:  # each writer saw its own events in chain order
        assert [s for s, _ in r] == sorted(s for s, _ in r)
    stored = stored_hashes(store)
    assert all(stored[seq] == digest for r in results for seq, digest in r)
    result = store.verify_chain()
    assert result.ok, result
    assert result.checked == start + WRITERS * APPENDS_EACH


def read_lines(path: Path) -> list[str]:
    """Complete lines only: a line cut by the kill was never acknowledged."""
    data = path.read_text() if path.exists() else ""
    return data.split("\n")[:-1]


def kill_cycles(db_url: str, keyring_file: Path, tmp: Path, cycles: int, seed: int) -> list[str]:
    """Fork writers from a preloaded forkserver; SIGKILL each at a random point of an append."""
    rng = random.Random(seed)
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.storage.writer"])
    lines: list[str] = []
    for cycle in range(cycles):
        ack = tmp / f"acks-{cycle}.txt"
        proc = ctx.Process(
            target=run_writer, args=(db_url, 0, f"k{cycle}", str(keyring_file), str(ack))
        )
        proc.start()
        wanted = 1 + rng.randint(1, 4)  # READY + some acknowledged appends
        deadline = time.monotonic() + 60
        while len(read_lines(ack)) < wanted:
            assert proc.is_alive(), f"writer died: exit {proc.exitcode}"
            assert time.monotonic() < deadline, "writer made no progress"
            time.sleep(0.0005)
        time.sleep(rng.random() * 0.004)  # land anywhere inside the next append
        proc.kill()
        proc.join(30)
        assert proc.exitcode == -signal.SIGKILL
        lines += read_lines(ack)
    return lines


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX-only")
def test_writers_killed_mid_append_lose_no_acknowledged_event(
    store: Store, db_url: str, file_keyring: Path, tmp_path: Path
) -> None:
    acknowledged = acks(kill_cycles(db_url, file_keyring, tmp_path, KILLS, 1234))
    assert len(acknowledged) >= KILLS
    stored = stored_hashes(store)
    missing = [(s, h) for s, h in acknowledged if stored.get(s) != h]
    assert not missing
    result = store.verify_chain()
    assert result.ok, result
    assert result.checked == len(stored) == max(stored)
    # Nothing is left locked: a fresh append still goes through at once.
    assert store.append_event("after_kills", None, {}).seq == max(stored) + 1
