"""The row check as ``audit verify`` runs it on a big database: one :mod:`storage.workers` job
per table group, each in its own snapshot.

storage.binding defines what a binding is and how a row is checked; this module only splits
the check into jobs and joins their answers. A job's process imports this module, storage.binding
and the standard library only (SQLite answers the common case without SQLAlchemy), so it starts
in about 0.1 s. A snapshot that no longer ends at the head the walk checked is reported, not
trusted: an event came since that no walk has read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storage import workers
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
) -> RowsChecked | None:
    """:meth:`RowBinder.verify` of every table, one :mod:`storage.workers` job per
    :data:`GROUPS` entry, each in its own snapshot (a row and its binding event commit
    together, so a group is consistent on its own); None when a snapshot's chain does not end
    at the head the walk checked (``head_seq``, ``head_hash``): an event came since, which no
    walk has read — the caller then checks the rows in the walk's own snapshot.

    ``url`` without its password (which travels with the key on the worker's pipe);
    ``sqlite_path``: the database file when ``url`` is SQLite (the fast check opens it with
    the standard library's driver, so that the worker needs no SQLAlchemy).
    """
    request = {
        "url": url,
        "password": password,
        "key": key.hex(),
        "sqlite": sqlite_path,
        "head": [head_seq, head_hash.hex()],
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
            checked = binder.all_match(db, tables)
        finally:
            db.close()
        if checked is not None:
            result = RowsChecked(True, checked)
    if result is None:
        with worker_snapshot(request["url"], request["password"]) as conn:
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


def _chain_end(rows: Iterable[tuple[Any, ...]]) -> list[Any]:
    """[last seq, hash of the walked head in hex] as a job's request carries the head."""
    for last, digest in rows:
        return [last, None if digest is None else bytes(digest).hex()]
    return [None, None]


@contextmanager
def worker_snapshot(url: str, password: str | None) -> Iterator[Connection]:
    """A worker process's own engine and one read snapshot (PostgreSQL: REPEATABLE READ)."""
    from storage.engine import make_engine  # noqa: PLC0415  (engine imports the chain module)

    engine = make_engine(url, password=password, create=False)  # a check never creates one
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn
    finally:
        engine.dispose()
