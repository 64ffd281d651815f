"""A big check's jobs in child processes of this interpreter: ``python -m storage.workers``.

``audit verify`` and every report verify the chain and the rows first; on a big database
the work is split into jobs run side by side. A ``multiprocessing`` "spawn" worker first
re-imports the parent's main module — main.py, the whole application: 0.6 s on a clinic PC
before it reads a row, paid by every worker of every check, and in the window's process too.
A job here runs in a plain child process that imports only the module of its job (the row
check's needs nothing beyond the standard library on SQLite), so it starts in about 0.1 s.
The same command on Windows, macOS and Linux.

A job is a name from :data:`JOBS` — an allowlist: a child imports and runs nothing else —
and a JSON object; its answer is a JSON object. The request travels on the child's standard
input (the chain key and a PostgreSQL password never appear in a command line, the
environment or a file), the answer on its standard output. Where no child can start (a
frozen application has no ``-m``) or one fails, the jobs run in this process: slower, the
same answers (an error a job raises then surfaces here, as the caller's own); the log says
why the children did not answer.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: Job name → (module, function taking and returning a JSON object).
JOBS: dict[str, tuple[str, str]] = {
    "rows": ("storage.row_jobs", "check_group"),
    "walk": ("storage.chain", "walk_range"),
}
#: Seconds a child may take (a hung one is killed, and the jobs run in this process).
TIMEOUT_S = 3600
#: Where the child finds the packages (this file's package's parent).
_ROOT = Path(__file__).resolve().parents[1]

Job = tuple[str, dict[str, Any]]
log = logging.getLogger(__name__)


class WorkerFailed(RuntimeError):
    """A child process did not answer (its last line of standard error says why)."""


def run(jobs: Sequence[Job]) -> list[dict[str, Any]]:
    """The answers of ``jobs``, in order, each computed in a child process of its own."""
    if not getattr(sys, "frozen", False):
        try:
            return _in_children(jobs)
        except (OSError, ValueError, WorkerFailed) as exc:
            log.warning("worker processes did not answer (%s): the jobs run here", exc)
    return [call(name, args) for name, args in jobs]


def call(name: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run job ``name`` in this process."""
    module, function = JOBS[name]
    answer: dict[str, Any] = getattr(importlib.import_module(module), function)(args)
    return answer


def _in_children(jobs: Sequence[Job]) -> list[dict[str, Any]]:
    if not sys.executable:  # an embedded interpreter: nothing to start
        raise WorkerFailed("no interpreter to start")
    # this package first; an empty entry (the current folder) is left out
    inherited = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(_ROOT), *inherited]))}
    children: list[subprocess.Popen[str]] = []
    try:
        for name, args in jobs:
            child = subprocess.Popen(
                [sys.executable, "-P", "-m", "storage.workers"],  # -P: never the cwd's storage
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                cwd=_ROOT,  # so that no other folder's "storage" can be imported instead
                text=True,
                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),  # no console window
            )
            children.append(child)
            assert child.stdin is not None
            child.stdin.write(json.dumps({"job": name, "args": args}) + "\n")
            child.stdin.flush()  # far below a pipe's buffer: no child waits for another
        outputs = [child.communicate(timeout=TIMEOUT_S) for child in children]
    except subprocess.TimeoutExpired as exc:
        raise WorkerFailed(f"a worker process took over {TIMEOUT_S} s") from exc
    finally:
        for child in children:
            if child.poll() is None:  # only when one failed to start, take its job or answer
                child.kill()
                child.wait()
    answers = []
    for child, (out, err) in zip(children, outputs, strict=True):
        if child.returncode != 0 or not out.strip():
            last = (err.strip().splitlines() or [f"exit status {child.returncode}"])[-1]
            raise WorkerFailed(f"worker process failed: {last}")
        answers.append(json.loads(out))
    return answers


def main() -> int:
    request = json.loads(sys.stdin.readline())
    json.dump(call(request["job"], request["args"]), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
