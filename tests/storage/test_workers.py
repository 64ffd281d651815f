"""storage.workers: a job gives the same answer in a child process and in this one; a child
that cannot start leaves the job to this process; a child runs only an allowlisted job."""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import URL

from storage import workers
from storage.binding import BOUND_COLUMNS
from storage.records import StaffInfo
from storage.secrets import load_chain_key
from storage.store import Store
from tests.storage.conftest import ROOT, SQLITE_ONLY


def rows_job(store: Store) -> workers.Job:
    url = store.engine.url
    return (
        "rows",
        {
            "url": URL.create(
                url.drivername, url.username, None, url.host, url.port, url.database
            ).render_as_string(hide_password=False),
            "password": url.password,
            "key": load_chain_key(store.database_uuid).hex(),
            "sqlite": url.database if store.dialect == "sqlite" else None,
            "tables": list(BOUND_COLUMNS),
            "head": list(_head(store)),
        },
    )


def _head(store: Store) -> tuple[int, str]:
    with store.engine.connect() as conn:
        last = "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"
        seq, digest = conn.exec_driver_sql(last).one()
    return seq, bytes(digest).hex()


def test_a_job_answers_alike_in_a_child_and_here(
    store: Store, admin: StaffInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, args = rows_job(store)
    here = workers.call(name, args)
    with store.engine.connect() as conn:
        rows = sum(
            conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one() for t in BOUND_COLUMNS
        )
    assert here == {"checked": rows, "count": 0, "problems": []}

    def not_here(name: str, args: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError("ran in the parent process")

    with monkeypatch.context() as m:
        m.setattr(workers, "call", not_here)
        assert workers.run([(name, args), (name, args)]) == [here, here]


@SQLITE_ONLY
def test_a_child_runs_only_an_allowlisted_job(engine_kind: str) -> None:
    request = {"job": "os.system", "args": {}}
    child = subprocess.run(
        [sys.executable, "-m", "storage.workers"],
        input=json.dumps(request) + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert child.returncode != 0 and child.stdout == ""
    assert "KeyError: 'os.system'" in child.stderr
    with pytest.raises(KeyError):
        workers.run([("os.system", {})])  # the parent's fall-back refuses it the same way


@SQLITE_ONLY
def test_a_relative_database_path_is_checked_by_children_elsewhere(
    engine_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The children run in the project's folder (so that nothing else is imported as
    ``storage``): a database named relative to this process's folder is still theirs."""
    monkeypatch.chdir(tmp_path)
    store = Store.open("relative.sqlite3", terminal_id="pc", backup_dir=tmp_path / "backups")
    try:
        store.create_first_admin("admin", "管理者", "admin-pass-1")

        def not_here(name: str, args: dict[str, Any]) -> dict[str, Any]:
            raise AssertionError("ran in the parent process")

        monkeypatch.setattr(workers, "call", not_here)
        assert store.verify_chain(workers=2, min_parallel=0).ok
    finally:
        store.close()


@SQLITE_ONLY
def test_the_row_job_never_creates_a_database(engine_kind: str, tmp_path: Path) -> None:
    missing = tmp_path / "missing.sqlite3"
    args = {"url": f"sqlite:///{missing}", "password": None, "key": "00" * 32}
    with pytest.raises(sqlite3.OperationalError):
        workers.call("rows", {**args, "sqlite": str(missing), "tables": ["visits"]})
    assert not missing.exists()


@SQLITE_ONLY
@pytest.mark.usefixtures("admin")
@pytest.mark.parametrize(
    ("failure", "logged"),
    [("cannot start", "no-such-python"), ("takes too long", "took over 0.001 s")],
)
def test_a_child_that_fails_leaves_the_jobs_here_and_the_log_says_why(
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    failure: str,
    logged: str,
) -> None:
    """A child that cannot start, or one stopped for taking too long: the jobs run here, with
    the same answers, and the log says why."""
    job = rows_job(store)
    if failure == "cannot start":
        monkeypatch.setattr(sys, "executable", str(ROOT / "no-such-python"))
    else:
        monkeypatch.setattr(workers, "TIMEOUT_S", 0.001)
    with caplog.at_level(logging.WARNING, "storage.workers"):
        assert workers.run([job, job]) == [workers.call(*job)] * 2
    assert logged in caplog.text and "the jobs run here" in caplog.text
