"""The row check as ``audit verify`` runs it on a big database: one :mod:`storage.workers` job
per table group, each in its own snapshot.

storage.binding defines what a binding is and how a row is checked; this module only splits
the check into jobs and joins their answers. A job's process imports this module, storage.binding
and the standard library only (SQLite answers the common case without SQLAlchemy), so it starts
in about 0.1 s. A snapshot that no longer ends at the head the walk checked is reported, not
trusted: an event came since that no walk has read. A :class:`SharedSnapshot` makes the jobs
read the caller's own snapshot (PostgreSQL) or tells when they may not have (SQLite).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from storage import fast_rows, workers
from storage.binding import (
    BOUND_COLUMNS,
    MAX_PROBLEMS,
    RowBinder,
    RowProblem,
    RowsChecked,
    placeholder,
)

if TYPE_CHECKING:  # a job's process starts without it
    from sqlalchemy import Connection


class SharedSnapshot:
    """Whether the worker jobs of a check read what the caller's own snapshot holds.

    PostgreSQL shares snapshots: the caller's is exported (``pg_export_snapshot``) and every
    job imports it, so the jobs read exactly the caller's database. SQLite has none: ``PRAGMA
    data_version``, read on a connection of its own before the caller's snapshot begins and
    again once the jobs have answered, says whether any other connection committed in between
    — an edit behind the application's back too, which no chain head shows. Then the jobs'
    answers are not used, and the caller checks in its own snapshot (slower, never mixed).
    Create it before the caller's first read; close it after the jobs.
    """

    def __init__(self, sqlite_path: str | None) -> None:
        self._watch: sqlite3.Connection | None = None
        self._version: int | None = None
        self._exported: str | None = None
        self._sqlite = sqlite_path is not None
        if sqlite_path is not None and Path(sqlite_path).is_file():
            where = f"{Path(sqlite_path).as_uri()}?mode=rw"  # never a new database
            self._watch = sqlite3.connect(where, uri=True, isolation_level=None)
            self._version = self._data_version()

    def export(self, conn: Connection) -> str | None:
        """The caller's snapshot for the jobs to import (PostgreSQL, in the caller's
        transaction; None on SQLite)."""
        if conn.dialect.name == "postgresql" and self._exported is None:
            self._exported = str(conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one())
        return self._exported

    def held(self) -> bool:
        """Whether the jobs read the caller's database: PostgreSQL, always (they imported its
        snapshot); SQLite, when nothing was committed since the snapshot began."""
        if not self._sqlite:
            return True
        return self._watch is not None and self._data_version() == self._version

    def _data_version(self) -> int:
        assert self._watch is not None
        return int(self._watch.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        if self._watch is not None:
            self._watch.close()
            self._watch = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


#: Table groups checked side by side (the two big tables apart, the small ones with visits).
GROUPS = (
    ("verification_attempts",),
    tuple(t for t in BOUND_COLUMNS if t != "verification_attempts"),
)


def verify_parallel(  # noqa: PLR0917  (a job's request, field by field)
    url: str,
    password: str | None,
    key: bytes,
    sqlite_path: str | None,
    head_seq: int,
    head_hash: bytes,
    snapshot: str | None = None,
) -> RowsChecked | None:
    """:meth:`RowBinder.verify` of every table, one :mod:`storage.workers` job per
    :data:`GROUPS` entry, each in its own snapshot (a row and its binding event commit
    together, so a group is consistent on its own); None when a snapshot's chain does not end
    at the head the walk checked (``head_seq``, ``head_hash``): an event came since, which no
    walk has read — the caller then checks the rows in the walk's own snapshot.

    ``url`` without its password (which travels with the key on the worker's pipe);
    ``sqlite_path``: the database file when ``url`` is SQLite (the fast check opens it with
    the standard library's driver, so that the worker needs no SQLAlchemy); ``snapshot``: a
    PostgreSQL snapshot the jobs import (:class:`SharedSnapshot`).
    """
    request = {
        "url": url,
        "password": password,
        "key": key.hex(),
        "sqlite": sqlite_path,
        "head": [head_seq, head_hash.hex()],
        "snapshot": snapshot,
    }
    answers = workers.run([("rows", {**request, "tables": list(g)}) for g in GROUPS])
    if any(a.get("moved") for a in answers):
        return None
    parts = [
        RowsChecked(
            a["count"] == 0, a["checked"], tuple(RowProblem(*p) for p in a["problems"]), a["count"]
        )
        for a in answers
    ]
    problems = sorted(
        (p for part in parts for p in part.problems),
        key=lambda p: list(BOUND_COLUMNS).index(p.table),
    )
    count = sum(p.count for p in parts)
    return RowsChecked(
        count == 0, sum(p.checked for p in parts), tuple(problems[:MAX_PROBLEMS]), count
    )


def check_group(request: dict[str, Any]) -> dict[str, Any]:
    """The ``rows`` job of :mod:`storage.workers`: one table group in one snapshot."""
    binder = RowBinder(bytes.fromhex(request["key"]))
    tables: list[str] = request["tables"]
    result: RowsChecked | None = None
    if request["sqlite"]:
        # mode=rw: a file that is not there is an error here, never a new empty database.
        where = f"{Path(request['sqlite']).as_uri()}?mode=rw"
        db = sqlite3.connect(where, timeout=30, isolation_level=None, uri=True)
        try:
            db.execute("BEGIN")  # one snapshot for the whole group
            if _chain_end(db.execute(_CHAIN_END, (request["head"][0],))) != request["head"]:
                return {"moved": True}
            checked = fast_rows.all_match(binder, db, tables)
        finally:
            db.close()
        if checked is not None:
            result = RowsChecked(True, checked)
    if result is None:
        with worker_snapshot(request["url"], request["password"], request.get("snapshot")) as conn:
            end = conn.exec_driver_sql(
                _CHAIN_END.replace("?", placeholder(conn)), (request["head"][0],)
            )
            if _chain_end(end) != request["head"]:
                return {"moved": True}
            result = binder.verify(conn, tables)
    return {
        "checked": result.checked,
        "count": result.count,
        "problems": [[p.table, p.row_id, p.field, p.problem, p.seq] for p in result.problems],
    }


#: The last seq of a snapshot's chain and the hash of event ``?`` (the walked head).
_CHAIN_END = (
    "SELECT (SELECT max(seq) FROM audit_events), (SELECT hash FROM audit_events WHERE seq = ?)"
)


#: What ``pg_export_snapshot`` returns (e.g. ``00000003-0000001B-1``).
_SNAPSHOT_ID = re.compile(r"[0-9A-Fa-f]+(-[0-9A-Fa-f]+)+")


def _chain_end(rows: Iterable[tuple[Any, ...]]) -> list[Any]:
    """[last seq, hash of the walked head in hex] as a job's request carries the head."""
    for last, digest in rows:
        return [last, None if digest is None else bytes(digest).hex()]
    return [None, None]


@contextmanager
def worker_snapshot(
    url: str, password: str | None, snapshot: str | None = None
) -> Iterator[Connection]:
    """A worker process's own engine and one read snapshot (PostgreSQL: REPEATABLE READ, the
    caller's ``snapshot`` when given: :class:`SharedSnapshot`)."""
    from storage.engine import make_engine  # noqa: PLC0415  (engine imports the chain module)

    engine = make_engine(url, password=password, create=False)  # a check never creates one
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                if snapshot is not None and conn.dialect.name == "postgresql":
                    if not _SNAPSHOT_ID.fullmatch(snapshot):  # a literal: SET takes no parameter
                        raise ValueError(f"not a snapshot id: {snapshot!r}")
                    conn.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                yield conn
    finally:
        engine.dispose()
