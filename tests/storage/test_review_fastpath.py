"""Review of the fast row check (:func:`storage.fast_rows.all_match`) against the exact one.

The attacker writes the SQLite file (any SQL, ``writable_schema`` included) but has no chain
key. Each attack is run through ``verify_chain`` twice: as shipped (the fast check decides, the
exact one names) and with the fast check switched off (the exact one decides). Every attack
here is caught (the review's misses were fixed: the kind index, a view, a stale index, text that
is not UTF-8, an event slipped in after the walk).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage import fast_rows, workers
from storage.binding import REBOUND_AT_PURGE, RowBinder, batch_payloads
from storage.chain import AuditChain, NewEvent, VerifyResult
from storage.engine import write_connection
from storage.records import StaffInfo
from storage.secrets import load_chain_key
from storage.store import Store
from tests.storage.conftest import SQLITE_ONLY, run_main
from tests.storage.test_row_binding import populate

#: Row edits behind the application's back that the fast check must refuse by itself.
TAMPERS = {
    "blob": "UPDATE patients SET name = CAST(name AS BLOB) WHERE id = 1",
    "nul_suffix": "UPDATE patients SET name = name || char(0) || 'x' WHERE id = 1",
    "trailing_space_key": "UPDATE settings SET key = key || ' ' WHERE key = 'print_masking'",
    "text_id": (
        "CREATE TABLE v2 AS SELECT CAST(id AS TEXT) AS id, patient_id, local_date, kind, "
        "terminal_id, staff_id, opened_at FROM visits; DROP TABLE visits; "
        "ALTER TABLE v2 RENAME TO visits"
    ),
    "real_value": (
        "CREATE TABLE v2 AS SELECT id, patient_id + 0.0 AS patient_id, local_date, kind, "
        "terminal_id, staff_id, opened_at FROM visits; DROP TABLE visits; "
        "ALTER TABLE v2 RENAME TO visits"
    ),
    "swapped_ids": "UPDATE visits SET id = 103 - id; UPDATE visits SET id = id - 100",
    "deleted_and_duplicated": (
        "CREATE TABLE v2 AS SELECT * FROM visits; DROP TABLE visits; "
        "ALTER TABLE v2 RENAME TO visits; DELETE FROM visits WHERE id = 2; "
        "INSERT INTO visits SELECT * FROM visits WHERE id = 1"
    ),
}


@pytest.fixture
def populated(store: Store, admin: StaffInfo) -> Store:
    return populate(store, admin)


def _attacker(store: Store) -> sqlite3.Connection:
    """The database file opened with the standard driver, triggers dropped, autocommit."""
    db = sqlite3.connect(store.engine.url.database or "", isolation_level=None)
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    return db


def _verdicts(
    store: Store, monkeypatch: pytest.MonkeyPatch, workers: int
) -> tuple[VerifyResult, VerifyResult]:
    """(as shipped, exact check only) — ``workers`` > 1: the row check in child processes."""
    shipped = store.verify_chain(workers=workers, min_parallel=0, witness=False)
    with monkeypatch.context() as m:
        m.setattr(fast_rows, "all_match", lambda binder, db, tables: None)
        exact = store.verify_chain(workers=1, witness=False)
    return shipped, exact


def _fast_check_agrees(store: Store, monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    """The exact check refuses the database, and so must the check as shipped."""
    shipped, exact = _verdicts(store, monkeypatch, workers)
    assert not exact.ok
    assert not shipped.ok, "the fast check passed a row the exact check refuses"


def _fast(store: Store) -> int | None:
    with store.engine.connect() as conn, conn.begin():
        db = conn.connection.dbapi_connection
        assert isinstance(db, sqlite3.Connection)
        return fast_rows.all_match(RowBinder(load_chain_key(store.database_uuid)), db, None)


def _schema_edit(db: sqlite3.Connection, *statements: tuple[str, tuple[object, ...]]) -> None:
    """Write sqlite_master directly, then make every connection reload the schema."""
    db.execute("BEGIN")
    db.execute("PRAGMA writable_schema = ON")
    for sql, params in statements:
        db.execute(sql, params)
    (version,) = db.execute("PRAGMA schema_version").fetchone()
    db.execute(f"PRAGMA schema_version = {version + 1}")
    db.execute("COMMIT")
    db.execute("PRAGMA writable_schema = OFF")


@SQLITE_ONLY
@pytest.mark.parametrize("tamper", list(TAMPERS))
def test_row_tampers_are_refused_by_the_fast_check(
    populated: Store, monkeypatch: pytest.MonkeyPatch, tamper: str
) -> None:
    db = _attacker(populated)
    db.executescript(TAMPERS[tamper])
    db.close()
    assert _fast(populated) is None
    for processes in (1, 2):
        shipped, exact = _verdicts(populated, monkeypatch, processes)
        assert not shipped.ok and not exact.ok
        assert shipped.rows == exact.rows


def forge_kind_index(db: sqlite3.Connection, seq: int, kind: str) -> None:
    """Rebuild ix_audit_events_kind under its own name and SQL (writable_schema) so that it
    lists event ``seq`` under ``kind``: a corrupt index, which SQLite cannot tell from the
    real one without an integrity check."""
    (sql,) = db.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'ix_audit_events_kind'"
    ).fetchone()
    db.execute("DROP INDEX ix_audit_events_kind")
    db.execute(
        "CREATE INDEX forged ON audit_events("
        f"CASE WHEN seq = {int(seq)} THEN '{kind}' ELSE kind END, seq)"
    )
    _schema_edit(
        db,
        (
            "UPDATE sqlite_master SET name = 'ix_audit_events_kind', sql = ? WHERE name = 'forged'",
            (sql,),
        ),
    )


@SQLITE_ONLY
@pytest.mark.parametrize("workers", [1, 2])
def test_a_corrupt_kind_index_revives_an_older_binding(
    populated: Store, admin: StaffInfo, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """A corrupt ix_audit_events_kind (rebuilt under the app's name and SQL via
    writable_schema) passing a single event off as a batch: the fast check reads kinds with
    ``+kind``, never through that index, so the older binding does not revive."""
    with populated.engine.connect() as conn:
        old = conn.exec_driver_sql("SELECT name, updated_at FROM patients WHERE id = 1").one()
    populated.update_patient(admin, 1, name="山田 花子")
    db = _attacker(populated)
    (seq,) = db.execute(
        """SELECT max(seq) FROM audit_events WHERE payload LIKE '%"row":"1 patients %'"""
    ).fetchone()
    forge_kind_index(db, seq, "rows_bound_at_migration")
    db.execute("UPDATE patients SET name = ?, updated_at = ? WHERE id = 1", tuple(old))
    db.close()
    _fast_check_agrees(populated, monkeypatch, workers)


@SQLITE_ONLY
def test_a_view_in_place_of_a_table_shows_the_fast_check_another_row(
    populated: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A view in place of a bound table (one that can tell the check's bare connection from
    the application's): the check refuses anything but a plain table and names it."""
    db = _attacker(populated)
    db.execute("ALTER TABLE patients RENAME TO patients_real")
    db.execute("CREATE TABLE patients_bound AS SELECT * FROM patients_real WHERE id = 1")
    db.execute("UPDATE patients_real SET name = '別人' WHERE id = 1")
    columns = [r[1] for r in db.execute("PRAGMA table_info(patients_real)")]
    chosen = ", ".join(
        f"CASE WHEN bare AND r.id = 1 THEN (SELECT {c} FROM patients_bound) ELSE r.{c} END AS {c}"
        for c in columns
    )
    db.execute(
        f"CREATE VIEW patients AS SELECT {chosen} FROM patients_real AS r, "
        "(SELECT foreign_keys = 0 AS bare FROM pragma_foreign_keys)"
    )
    db.close()
    with populated.engine.connect() as conn:  # what the application (and a report) reads
        assert conn.exec_driver_sql("SELECT name FROM patients WHERE id = 1").scalar() == "別人"
    _fast_check_agrees(populated, monkeypatch, workers=2)


@SQLITE_ONLY
def test_a_stale_covering_index_shows_both_checks_another_row(
    populated: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stale covering index the planner is steered to (forged sqlite_stat1): both checks
    read bound tables NOT INDEXED, so they see the forged row the application reads."""
    db = _attacker(populated)
    columns = (
        "file_name, id, arbitrary_file_identifier, sha256, summary, simulated, terminal_id, "
        "received_at"
    )
    db.execute(f"CREATE INDEX ix_cover ON terminal_results({columns})")
    entry = db.execute(
        "SELECT type, name, tbl_name, rootpage, sql FROM sqlite_master WHERE name = 'ix_cover'"
    ).fetchone()
    _schema_edit(db, ("DELETE FROM sqlite_master WHERE name = 'ix_cover'", ()))
    db.execute("""UPDATE terminal_results SET summary = '{"name":"別人","n":1}' WHERE id = 1""")
    _schema_edit(db, ("INSERT INTO sqlite_master VALUES (?, ?, ?, ?, ?)", entry))
    db.execute("ANALYZE")
    db.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'terminal_results'")
    db.execute(
        "INSERT INTO sqlite_stat1 VALUES ('terminal_results', NULL, '2 sz=4000'), "
        "('terminal_results', 'ix_cover', '2 1 1 1 1 1 1 1 1 sz=20')"
    )
    db.close()
    with populated.engine.connect() as conn:
        summary = conn.exec_driver_sql("SELECT summary FROM terminal_results WHERE id = 1")
        assert "別人" in summary.scalar()
    shipped, exact = _verdicts(populated, monkeypatch, workers=2)
    assert not exact.ok and not shipped.ok


@SQLITE_ONLY
def test_text_that_is_not_utf8_is_named_not_a_traceback(populated: Store, db_url: str) -> None:
    """Text that is not UTF-8 is read with U+FFFD: the row differs from its binding (BROKEN,
    exit 1), never a traceback."""
    db = _attacker(populated)
    db.execute("UPDATE patients SET name = CAST(x'e5b1b1ff' AS TEXT) WHERE id = 1")
    db.close()
    bad = run_main("audit", "verify", "--db", db_url)
    assert "Traceback" not in bad.stderr
    assert bad.returncode == 1 and bad.stdout.startswith("BROKEN")


@SQLITE_ONLY
def test_a_worker_never_imports_a_storage_package_from_the_cwd(
    populated: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``python -m`` puts the current directory first on sys.path: a ``storage`` package
    planted there would run as the worker and read the chain key from its standard input."""
    planted = tmp_path / "cwd" / "storage"
    planted.mkdir(parents=True)
    (planted / "__init__.py").write_text("")
    stolen = tmp_path / "stolen.txt"
    (planted / "workers.py").write_text(
        f"import sys\nopen({str(stolen)!r}, 'w').write(sys.stdin.readline())\nsys.exit(1)\n"
    )
    monkeypatch.chdir(planted.parent)
    assert populated.verify_chain(workers=2, min_parallel=0).ok
    assert not stolen.exists()


@SQLITE_ONLY
def test_an_event_slipped_in_after_the_walk_binds_a_reverted_row(
    populated: Store, admin: StaffInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An event slipped in between the walk and the row check (a replayed older entry): the
    row jobs see a chain that no longer ends at the walked head, so the rows are checked in
    the walk's snapshot, where the reverted row is caught."""
    with populated.engine.connect() as conn:
        old = conn.exec_driver_sql("SELECT name, updated_at FROM patients WHERE id = 1").one()
    populated.update_patient(admin, 1, name="山田 花子")
    run = workers.run

    def after_the_walk(jobs: list[workers.Job]) -> list[dict[str, object]]:
        if jobs[0][0] == "rows":  # the attacker's write lands between walk and row check
            db = _attacker(populated)
            db.execute(
                "INSERT INTO audit_events SELECT (SELECT max(seq) FROM audit_events) + 1, "
                "occurred_at, kind, actor, terminal_id, payload, randomblob(32), hash, mac "
                'FROM audit_events WHERE payload LIKE \'%"row":"1 patients %\' '
                "ORDER BY seq LIMIT 1"
            )
            db.execute("UPDATE patients SET name = ?, updated_at = ? WHERE id = 1", tuple(old))
            db.close()
        answers = run(jobs)
        if jobs[0][0] == "rows":
            seen.extend(answers)
        return answers

    seen: list[dict[str, object]] = []
    monkeypatch.setattr(workers, "run", after_the_walk)
    # the walk's snapshot predates the attack: the rows are checked there, and match
    assert populated.verify_chain(workers=2, min_parallel=0, witness=False).ok
    assert seen == [{"moved": True}, {"moved": True}]  # the row jobs saw the chain move
    seen.clear()
    again = populated.verify_chain(workers=2, min_parallel=0, witness=False)
    assert not again.ok, "a reverted row verified"


@SQLITE_ONLY
def test_events_stored_out_of_seq_order_change_nothing(
    populated: Store, admin: StaffInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``seq`` is not the rowid (BIGINT key): events rewritten in reverse physical order are
    still read in seq order, so a later binding still wins, and a revert is still caught."""
    with populated.engine.connect() as conn:
        old = conn.exec_driver_sql("SELECT name, updated_at FROM patients WHERE id = 1").one()
    populated.update_patient(admin, 1, name="山田 花子")
    db = _attacker(populated)
    db.executescript(
        "BEGIN; CREATE TEMP TABLE copied AS SELECT * FROM audit_events ORDER BY seq DESC; "
        "DELETE FROM audit_events; INSERT INTO audit_events SELECT * FROM copied; COMMIT"
    )
    assert db.execute("SELECT seq FROM audit_events ORDER BY rowid LIMIT 1").fetchone()[0] > 1
    assert _fast(populated) is not None
    db.execute("UPDATE patients SET name = ?, updated_at = ? WHERE id = 1", tuple(old))
    db.close()
    assert _fast(populated) is None
    shipped, exact = _verdicts(populated, monkeypatch, 2)
    assert not shipped.ok and shipped.rows == exact.rows


@SQLITE_ONLY
def test_an_index_altered_behind_sqlites_back_is_found_by_the_deep_check(
    populated: Store, db_url: str
) -> None:
    """An index rebuilt under the application's name and SQL (writable_schema) changes what
    ordinary queries read without changing a row: ``audit verify`` cannot see it, ``--deep``
    (PRAGMA integrity_check) names it."""
    assert populated.structure_problems() == []
    assert run_main("audit", "verify", "--deep", "--db", db_url).returncode == 0
    db = _attacker(populated)
    forge_kind_index(db, 3, "x")
    db.close()
    assert populated.verify_chain(witness=False).ok  # no row and no event changed
    deep = run_main("audit", "verify", "--deep", "--db", db_url)
    assert deep.returncode == 1, deep.stderr
    assert deep.stdout.startswith("BROKEN: the database file's structure does not hold: ")
    assert "ix_audit_events_kind" in deep.stdout
    assert run_main("audit", "verify", "--db", db_url).returncode == 0
    assert populated.structure_problems() != []


@SQLITE_ONLY
@pytest.mark.parametrize("workers", [1, 2])
def test_a_kind_index_that_hides_a_batch_event_revives_nothing(
    populated: Store, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """The other way round: a batch event (here binding a corrected row) left out of a corrupt
    kind index is met by the single events' scan, which gives the fast check up."""
    chain = AuditChain(load_chain_key(populated.database_uuid))
    with populated.engine.connect() as conn:
        old = conn.exec_driver_sql("SELECT local_date FROM visits WHERE id = 1").scalar()
    with write_connection(populated.engine) as conn:
        conn.exec_driver_sql("UPDATE visits SET local_date = '2026-11-21' WHERE id = 1")
        payload = next(batch_payloads(chain.binder.entries(conn, "visits", [1]), "rebound"))
        chain.append_many(conn, [NewEvent(REBOUND_AT_PURGE, "system", "pc", payload)])
    assert _fast(populated) is not None
    db = _attacker(populated)
    (seq,) = db.execute("SELECT max(seq) FROM audit_events").fetchone()
    forge_kind_index(db, seq, "x")
    db.execute("UPDATE visits SET local_date = ? WHERE id = 1", (old,))  # the row reverted
    db.close()
    assert _fast(populated) is None
    _fast_check_agrees(populated, monkeypatch, workers)
