"""The row check in two worker processes: ``python -m storage.row_worker``, one table group each.

A ``multiprocessing`` "spawn" worker first re-imports the parent's main module — for
``audit verify`` and every report that is main.py, the whole application: 0.6 s on a clinic
PC before a row is read, paid by each worker. This worker is a plain child process that
imports the standard library and :mod:`storage.binding` only; on SQLite it answers the
common case (every row matches) with :meth:`RowBinder.all_match` on its own connection, and
imports SQLAlchemy only to compare row by row (PostgreSQL, or a row that differs). The same
command on Windows, macOS and Linux; a frozen application has no ``-m``, and checks in its
own process.

The request is one JSON line on the worker's standard input (the chain key and a PostgreSQL
password never appear in a command line, the environment or a file); the answer one JSON
line on its standard output. Each worker reads in its own snapshot: a row and its binding
event commit together, so a table group is consistent on its own.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from storage.binding import (
    BOUND_COLUMNS,
    MAX_PROBLEMS,
    RowBinder,
    RowProblem,
    RowsChecked,
    worker_snapshot,
)

#: Table groups checked side by side (the two big tables apart, the small ones with visits).
GROUPS = (
    ("verification_attempts",),
    tuple(t for t in BOUND_COLUMNS if t != "verification_attempts"),
)
#: Where ``python -m storage.row_worker`` finds the packages.
_ROOT = Path(__file__).resolve().parents[1]


class WorkerFailed(RuntimeError):
    """A worker process did not answer (its last line of standard error says why)."""


def verify_parallel(
    url: str, password: str | None, key: bytes, sqlite_path: str | None
) -> RowsChecked:
    """:meth:`RowBinder.verify` of every table, one worker process per :data:`GROUPS` entry.

    ``url`` without its password (which travels with the key on the worker's pipe);
    ``sqlite_path``: the database file when ``url`` is SQLite (the fast check opens it
    without SQLAlchemy). Where no worker can start (a frozen application) or one fails, the
    groups are checked in this process: slower, the same answer.
    """
    request = {"url": url, "password": password, "key": key.hex(), "sqlite": sqlite_path}
    if not getattr(sys, "frozen", False):
        try:
            return _in_workers(request)
        except (OSError, ValueError, WorkerFailed):
            pass
    return merge([check({**request, "tables": list(g)}) for g in GROUPS])


def _in_workers(request: dict[str, Any]) -> RowsChecked:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(_ROOT), *_python_path()])}
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # no console flashing up on Windows
    workers = []
    for group in GROUPS:
        worker = subprocess.Popen(
            [sys.executable, "-m", "storage.row_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            creationflags=flags,
        )
        assert worker.stdin is not None
        worker.stdin.write(json.dumps({**request, "tables": list(group)}) + "\n")
        worker.stdin.flush()  # a request is far below a pipe's buffer: no worker waits
        workers.append(worker)
    answers = [worker.communicate() for worker in workers]
    parts = []
    for worker, (out, err) in zip(workers, answers, strict=True):
        if worker.returncode != 0 or not out.strip():
            last = (err.strip().splitlines() or [f"exit status {worker.returncode}"])[-1]
            raise WorkerFailed(f"row check worker failed: {last}")
        parts.append(_decoded(json.loads(out)))
    return merge(parts)


def _python_path() -> list[str]:
    inherited = os.environ.get("PYTHONPATH")
    return inherited.split(os.pathsep) if inherited else []


def check(request: dict[str, Any]) -> RowsChecked:
    """One table group in one snapshot (what a worker process runs)."""
    binder = RowBinder(bytes.fromhex(request["key"]))
    tables: Sequence[str] = request["tables"]
    if request["sqlite"]:
        db = sqlite3.connect(request["sqlite"], timeout=30, isolation_level=None)
        try:
            db.execute("BEGIN")  # one snapshot for the whole group
            checked = binder.all_match(db, tables)
        finally:
            db.close()
        if checked is not None:
            return RowsChecked(True, checked)
    with worker_snapshot(request["url"], request["password"]) as conn:
        return binder.verify(conn, tables)


def merge(parts: Sequence[RowsChecked]) -> RowsChecked:
    """The groups' answers as one, problems in table order."""
    problems = sorted(
        (p for part in parts for p in part.problems),
        key=lambda p: list(BOUND_COLUMNS).index(p.table),
    )
    count = sum(p.count for p in parts)
    return RowsChecked(
        count == 0, sum(p.checked for p in parts), tuple(problems[:MAX_PROBLEMS]), count
    )


def _encoded(result: RowsChecked) -> dict[str, Any]:
    return {
        "checked": result.checked,
        "count": result.count,
        "problems": [[p.table, p.row_id, p.field, p.problem, p.seq] for p in result.problems],
    }


def _decoded(answer: dict[str, Any]) -> RowsChecked:
    problems = tuple(RowProblem(*p) for p in answer["problems"])
    return RowsChecked(answer["count"] == 0, answer["checked"], problems, answer["count"])


def main() -> int:
    request = json.loads(sys.stdin.readline())
    json.dump(_encoded(check(request)), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
