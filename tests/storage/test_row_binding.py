"""Rows bound to the chain: every column of every bound table edited behind the application's
back, a forged row inserted, a row deleted — each caught by ``verify`` and named (table, id and,
for an edit, the field). The whole corpus, counted per table, is tests/storage/tamper.py.

The attacker has database access (the chain tests' attacker: triggers dropped or switched off),
and also defers foreign keys and ignores CHECKs (SQLite pragmas; PostgreSQL: the single-row
CHECK dropped inside the transaction).
Each tamper runs in a transaction verify sees, rolled back afterwards.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, text

from policies.dates import JST
from policies.model import (
    DocumentKind,
    FacilityKind,
    FacilityProfile,
    FailureReason,
    Flow,
    OqsMode,
    Outcome,
    VerificationPath,
)
from storage import binding, fast_rows, workers
from storage.binding import (
    BOUND_AT_MIGRATION,
    BOUND_COLUMNS,
    REBOUND_AT_PURGE,
    RowBinder,
    batch_payloads,
    canonical,
    check_payload,
)
from storage.chain import AuditChain, NewEvent, VerifyResult
from storage.engine import write_connection
from storage.models import Base, StaffRole, VisitKind
from storage.records import DocumentSeen, NewPatient, NewVerification, StaffInfo
from storage.secrets import load_chain_key
from storage.store import Store
from tests.storage.conftest import SQLITE_ONLY, run_main
from tests.storage.test_chain_tamper import attacker

#: Unique columns a forged copy must change to be insertable.
_UNIQUE = {"chart_number": "'F-99'", "username": "'forged'"}
_JSON_COLUMNS = {"documents", "rule_ids", "summary", "flows"}
#: Editing a primary key is a forged row plus a deleted one: both named by id, not by field.
_KEYS = {table: cols[0] for table, cols in BOUND_COLUMNS.items()}
_EXTRA = {"terminal_results": ("raw_xml",)}


@pytest.fixture
def populated(store: Store, admin: StaffInfo) -> Store:
    return populate(store, admin)


def populate(store: Store, admin: StaffInfo) -> Store:
    """Two rows in every bound table (so a foreign key can point at the other), via the API."""
    reception = store.create_staff(admin, "uketsuke", "受付", StaffRole.RECEPTION, "recept-pass-1")
    store.set_facility_profile(
        admin,
        FacilityProfile(
            FacilityKind.CLINIC,
            OqsMode.LIMITED,
            frozenset({Flow.GENERAL_READER, Flow.HOME_VISIT}),
            "1312345678",
            "13",
            "131016",
            "窓口クリニック",
        ),
    )
    store.set_setting(admin, "print_masking", "partial")
    store.set_retention_years(admin, 6)
    started = datetime(2026, 11, 20, 9, 30, tzinfo=JST)
    for i, actor in enumerate((admin, reception), start=1):
        patient = store.create_patient(
            actor,
            NewPatient(
                f"{i:05d}",
                f"山田 太郎{i}",
                "ヤマダ タロウ",
                date(1960, 4, i),
                insurer_number="06139999",
                insured_symbol="記号",
                insured_number="1234",
                insured_branch="01",
            ),
        )
        visit = store.open_visit(actor, patient.id, VisitKind.HOME_VISIT, local_date=started.date())
        result = store.save_terminal_result(
            actor,
            raw_xml=f"<r>{i}</r>".encode(),
            file_name=f"res{i}.xml",
            arbitrary_file_identifier=f"A{i}",
            summary={"name": "山田", "n": i},
            simulated=True,
        )
        store.record_verification(
            actor,
            NewVerification(
                visit.id,
                VerificationPath.HOME_VISIT_REQUERY,
                Outcome.CONFIRMED,
                started,
                started + timedelta(minutes=1),
                failure_reason=FailureReason.READER_FAILURE,
                documents=(DocumentSeen(DocumentKind.QUALIFICATION_CERTIFICATE, {"memo": "x"}),),
                rule_ids=("DOC-03",),
                terminal_result_id=result.id if i == 1 else None,
                note="訪問",
            ),
        )
    assert store.verify_chain().ok
    return store


@contextmanager
def row_attacker(store: Store) -> Iterator[Connection]:
    """The chain tests' attacker, who also defers foreign keys and ignores CHECKs."""
    with attacker(store) as conn:
        if store.dialect == "sqlite":
            conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            conn.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
        else:
            conn.exec_driver_sql(
                "ALTER TABLE facility_profile DROP CONSTRAINT ck_facility_profile_single_row"
            )
        try:
            yield conn
        finally:
            if store.dialect == "sqlite":  # a connection setting, not rolled back
                conn.exec_driver_sql("PRAGMA ignore_check_constraints = OFF")


def _ids(conn: Connection, table: str) -> list[Any]:
    pk = _KEYS[table]
    return [r[0] for r in conn.execute(text(f'SELECT "{pk}" FROM {table} ORDER BY "{pk}"'))]


def _other(value: Any, ids: list[Any]) -> Any:
    return next(i for i in ids if i != value)


def _changed(conn: Connection, table: str, column: str, value: Any) -> tuple[str, Any]:
    """(SQL expression, parameter) for a different value of ``column`` (the raw stored one)."""
    fk_tables = {
        "patient_id": "patients",
        "visit_id": "visits",
        "staff_id": "staff",
        "terminal_result_id": "terminal_results",
    }
    json_cast = conn.dialect.name == "postgresql" and column in _JSON_COLUMNS
    if column == _KEYS[table]:
        return ":v", ("forged" if table == "settings" else 99)
    if column in fk_tables:
        return ":v", _other(value, _ids(conn, fk_tables[column]))
    if column == "path":
        return ":v", VerificationPath.MYNA_FACE_READER.value  # the issue's example
    if value is None:
        return ":v", "x"
    if isinstance(value, bool):
        return ":v", not value
    if isinstance(value, int):
        return ":v", 1 - value if value in (0, 1) else value + 1
    if isinstance(value, datetime):
        return ":v", value + timedelta(microseconds=1)
    if isinstance(value, date):
        return ":v", value + timedelta(days=1)
    if isinstance(value, bytes | memoryview):
        raw = bytes(value)
        return ":v", raw[:-1] + bytes([raw[-1] ^ 1])
    if json_cast or column in _JSON_COLUMNS:
        if not isinstance(value, str):
            value = json.dumps(value, ensure_ascii=False)
        new = value.replace("]", ',"X"]', 1) if "]" in value else value.replace("}", ',"X":1}', 1)
        return ("CAST(:v AS JSON)" if json_cast else ":v"), new
    assert isinstance(value, str), (table, column, value)
    mid = len(value) // 2
    return ":v", value[:mid] + ("y" if value[mid : mid + 1] == "x" else "x") + value[mid + 1 :]


def _problems(result: VerifyResult) -> list[tuple[str, str, str | None]]:
    assert result.rows is not None, result
    return [(p.table, p.row_id, p.field) for p in result.rows.problems]


def test_issue_examples_named_in_the_verify_output(populated: Store) -> None:
    """The attacks of issue 11: path, visit kind and date, terminal answer, patient."""
    cases = [
        ("verification_attempts", "path", "'myna_face_reader'"),
        ("visits", "kind", "'outpatient'"),
        ("patients", "name", "'別人'"),
    ]
    for table, column, value in cases:
        with row_attacker(populated) as conn:
            conn.execute(text(f"UPDATE {table} SET {column} = {value} WHERE id = 1"))
            result = populated.verify_chain(conn)
        assert not result.ok
        assert result.problem is not None
        assert result.problem.startswith(f"{table} id 1 field {column}: differs"), result.problem
        assert result.first_broken_seq is not None


def test_corrections_are_new_events_and_old_versions_do_not_verify(
    populated: Store, admin: StaffInfo
) -> None:
    """An UPDATE through the store binds the new content; restoring the old content behind the
    application's back (a rolled-back correction) no longer verifies."""
    with populated.engine.connect() as conn:
        old = conn.execute(text("SELECT name, updated_at FROM patients WHERE id = 1")).one()
    populated.update_patient(admin, 1, name="山田 花子")
    assert populated.verify_chain().ok
    with row_attacker(populated) as conn:
        conn.execute(
            text("UPDATE patients SET name = :n, updated_at = :u WHERE id = 1"),
            {"n": old[0], "u": old[1]},
        )
        result = populated.verify_chain(conn)
    assert not result.ok
    assert set(_problems(result)) == {("patients", "1", "name, updated_at")}


@SQLITE_ONLY
def test_a_duplicated_row_is_caught(populated: Store) -> None:
    """A table rebuilt without its key holds a genuine row twice: every row's digest is then
    one of the chain's, so only the counts catch it (the row-by-row check names the copy)."""
    with row_attacker(populated) as conn:
        conn.exec_driver_sql("ALTER TABLE settings RENAME TO settings_keyed")
        conn.exec_driver_sql("CREATE TABLE settings AS SELECT * FROM settings_keyed")
        conn.exec_driver_sql(
            "INSERT INTO settings SELECT * FROM settings WHERE key = 'print_masking'"
        )
        result = populated.verify_chain(conn)
    assert not result.ok
    assert _problems(result) == [("settings", "print_masking", None)]
    assert result.problem is not None and "without a binding event" in result.problem


def test_every_model_column_is_bound() -> None:
    """A new column must get a new canonical version, not be left out silently."""
    for table, columns in BOUND_COLUMNS.items():
        model = set(Base.metadata.tables[table].columns.keys())
        assert set(columns) | set(_EXTRA.get(table, ())) == model, table


@SQLITE_ONLY
def test_sqlite_json_array_is_the_canonical_form(engine_kind: str) -> None:
    """verify lets SQLite build the canonical text: it must be the Python definition's bytes."""
    conn = sqlite3.connect(":memory:")
    values = ('a"b\\c/d\x00\x1f\x7f\u2028\u202e日本\n\t', None, 0, 1, -5, 2**62, "😀", "")
    for v in values:
        (sql,) = conn.execute("SELECT json_array(1, 'visits', ?)", (v,)).fetchone()
        assert sql == canonical("visits", (v,))
    binder = RowBinder(b"k" * 32)
    entry = binder.entry("settings", ("a key", "v", "2026-01-01 00:00:00.000000", None))
    assert entry.split(" ", 4)[4] == "a key"


def test_cli_names_every_mismatching_row(populated: Store, db_url: str) -> None:
    """The issue's attacks, committed: ``audit verify`` exits 1 and lists table, id, field."""
    ok = run_main("audit", "verify", "--db", db_url)
    assert ok.returncode == 0 and "rows match them" in ok.stdout, ok.stdout
    with row_attacker(populated) as conn:
        conn.execute(text("UPDATE verification_attempts SET path = 'myna_face_reader'"))
        conn.execute(text("UPDATE visits SET local_date = '2026-11-21' WHERE id = 1"))
        conn.execute(text("DELETE FROM verification_attempts WHERE id = 2"))
        conn.commit()
    bad = run_main("audit", "verify", "--db", db_url)
    assert bad.returncode == 1, bad.stderr
    lines = bad.stdout.splitlines()
    assert lines[0] == "BROKEN: 3 rows do not match the audit chain"
    assert lines[1].startswith("  visits id 1 field local_date: differs from its binding")
    assert lines[2].startswith("  verification_attempts id 1 field path: differs")
    assert lines[3].startswith("  verification_attempts id 2: row bound by event")


def test_parallel_row_check_finds_what_the_sequential_one_finds(
    populated: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two worker processes (one per table group, each in its own snapshot) name the same rows.
    The check is theirs: this process's own (its fall-back) is made to fail."""

    def not_here(name: str, args: dict[str, Any]) -> None:
        raise AssertionError("the row check ran in the parent process")

    monkeypatch.setattr(workers, "call", not_here)
    assert populated.verify_chain(workers=2, min_parallel=0).ok
    with row_attacker(populated) as conn:
        conn.execute(text("UPDATE verification_attempts SET outcome = 'provisional' WHERE id = 2"))
        conn.execute(text("UPDATE patients SET kana = 'ニセ' WHERE id = 1"))
        conn.execute(text("DELETE FROM settings WHERE key = 'print_masking'"))
        conn.commit()
    sequential = populated.verify_chain(workers=1)
    parallel = populated.verify_chain(workers=2, min_parallel=0)
    assert not parallel.ok and parallel.rows is not None and sequential.rows is not None
    assert parallel.rows.problems == sequential.rows.problems
    assert parallel.rows.checked == sequential.rows.checked
    assert {(p.table, p.row_id, p.field) for p in parallel.rows.problems} == {
        ("patients", "1", "kana"),
        ("verification_attempts", "2", "outcome"),
        ("settings", "print_masking", None),
    }


@SQLITE_ONLY
def test_fast_check_takes_batch_entries_where_they_stand(populated: Store) -> None:
    """SQLite's fast check (no row compared in Python) reads a batch event's entries in seq
    order with the single ones: a later batch entry binds the row, a later single entry
    overrides the batch. Its answer is the row count — not a fall-back to row by row."""
    chain = AuditChain(load_chain_key(populated.database_uuid))

    def fast() -> int | None:
        with populated.engine.connect() as conn, conn.begin():
            db = conn.connection.dbapi_connection
            assert isinstance(db, sqlite3.Connection)
            return fast_rows.all_match(chain.binder, db, None)

    with populated.engine.connect() as conn:
        rows = sum(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in _KEYS)
    assert fast() == rows
    with write_connection(populated.engine) as conn:  # a big table's row and a small one's
        originals = [
            *chain.binder.entries(conn, "visits", [1]),
            *chain.binder.entries(conn, "patients", [1]),
        ]
        conn.execute(text("UPDATE visits SET local_date = '2026-11-21' WHERE id = 1"))
        conn.execute(text("UPDATE patients SET kana = 'ベツ' WHERE id = 1"))
        changed = [
            *chain.binder.entries(conn, "visits", [1]),
            *chain.binder.entries(conn, "verification_attempts"),
            *chain.binder.entries(conn, "patients", [1]),
        ]
        batch = batch_payloads(changed, "rebound")
        chain.append_many(conn, [NewEvent(REBOUND_AT_PURGE, "system", "pc", p) for p in batch])
    assert fast() == rows
    assert populated.verify_chain().ok
    with write_connection(populated.engine) as conn:
        chain.append_many(
            conn, [NewEvent("corrected", "admin", "pc", {"row": e}) for e in originals]
        )
    assert fast() is None
    assert _problems(populated.verify_chain()) == [
        ("patients", "1", "kana"),
        ("visits", "1", "local_date"),
    ]


def test_a_binding_key_below_the_top_of_a_payload_is_refused(populated: Store) -> None:
    """The fast check finds an entry by its text: a nested ``row`` could otherwise pose as the
    binding of a row (an older digest of it, copied from the chain)."""
    with populated.engine.connect() as conn:
        (entry,) = RowBinder(load_chain_key(populated.database_uuid)).entries(conn, "visits", [1])
    check_payload({"row": entry, "visit_id": 1, "documents": [{"kind": "x"}]})
    for payload in (
        {"documents": [{"row": entry}]},
        {"detail": {"rows": [entry]}},
        {"a": [[{"b": {"row": entry}}]]},
    ):
        with pytest.raises(ValueError, match="below its top level"):
            check_payload(payload)


@SQLITE_ONLY
def test_visits_and_verifications_bound_once_need_no_latest_entry_lookup(
    populated: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The common case of the fast check: each visit and verification has one entry, so their
    entries are taken all at once (the small tables' latest ones riding along): the
    latest-entry lookup by seq segments never runs."""
    asked: list[tuple[str, ...]] = []
    latest = fast_rows._latest_digests

    def watched(db: sqlite3.Connection, tables: tuple[str, ...]) -> list[str] | None:
        asked.append(tuple(tables))
        return latest(db, tables)

    monkeypatch.setattr(fast_rows, "_latest_digests", watched)
    assert populated.verify_chain(workers=1).ok
    assert asked == []


def test_the_fingerprint_is_of_the_multiset_not_a_sum() -> None:
    """The keyed fingerprint the fast check holds rows and entries to: the same for the same
    digests in any order; different for other digests with the same sum modulo 2**128 (which
    a sum would pass), for the same digests counted otherwise, for another key."""
    binder = RowBinder(bytes(32))
    rng = random.Random(3)
    digests = b"".join([rng.randbytes(16) for _ in range(1000)] + [b"\xff" * 16] * 3)
    reordered = b"".join(sorted(digests[i : i + 16] for i in range(0, len(digests), 16)))
    assert binder.fingerprint(reordered) == binder.fingerprint(digests)
    assert RowBinder(bytes(range(32))).fingerprint(digests) != binder.fingerprint(digests)

    def numbers(*values: int) -> bytes:
        return b"".join(v.to_bytes(16, "little") for v in values)

    assert binder.fingerprint(numbers(1, 4)) != binder.fingerprint(numbers(2, 3))
    assert binder.fingerprint(numbers(2**128 - 1, 1)) != binder.fingerprint(numbers(0, 0))
    assert binder.fingerprint(numbers(1, 1, 2)) != binder.fingerprint(numbers(1, 2, 2))
    assert binder.fingerprint(numbers(2**64)) != binder.fingerprint(numbers(1))


@SQLITE_ONLY
def test_as_many_entries_as_rows_never_stand_in_for_the_rows(populated: Store) -> None:
    """Visit 1 bound twice (its entry appended again, which verifies: the latest entry
    decides) and a forged visit without an entry: as many visits as entries, but the
    fingerprints differ, so the fast check leaves it to the latest entries, and the forged
    row is named."""
    chain = AuditChain(load_chain_key(populated.database_uuid))
    with write_connection(populated.engine) as conn:
        (entry,) = chain.binder.entries(conn, "visits", [1])
        chain.append_many(conn, [NewEvent("corrected", "admin", "pc", {"row": entry})])
    assert populated.verify_chain().ok
    columns = ", ".join(BOUND_COLUMNS["visits"][1:])
    with row_attacker(populated) as conn:
        conn.exec_driver_sql(
            f"INSERT INTO visits (id, {columns}) SELECT 3, {columns} FROM visits WHERE id = 2"
        )
        db = conn.connection.dbapi_connection
        assert isinstance(db, sqlite3.Connection)
        rows = fast_rows.row_prints(chain.binder, db, ["visits"])
        entries = fast_rows.entry_prints(chain.binder, db, ["visits"])
        assert rows is not None and entries is not None
        assert rows["visits"][0] == entries[0]["visits"][0] == 3
        assert rows != entries[0]
        assert fast_rows.all_match(chain.binder, db, None) is None
        result = populated.verify_chain(conn)
    assert _problems(result) == [("visits", "3", None)]


@SQLITE_ONLY
def test_a_visit_bound_once_by_a_batch_event_counts_in_the_sums(
    populated: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A visit bound only by a batch event (as at the migration that introduced binding) is
    one of the visits' entries like a single one: the sums decide, no latest-entry lookup;
    the visit changed afterwards is caught and named."""
    chain = AuditChain(load_chain_key(populated.database_uuid))
    columns = ", ".join(BOUND_COLUMNS["visits"][1:])
    with write_connection(populated.engine) as conn:
        conn.exec_driver_sql(
            f"INSERT INTO visits (id, {columns}) SELECT 3, {columns} FROM visits WHERE id = 2"
        )
        batch = batch_payloads(chain.binder.entries(conn, "visits", [3]), "bound at migration")
        chain.append_many(conn, [NewEvent(BOUND_AT_MIGRATION, "system", "pc", p) for p in batch])
    asked: list[object] = []
    monkeypatch.setattr(fast_rows, "_latest_digests", lambda *a: asked.append(a))
    with populated.engine.connect() as conn, conn.begin():
        db = conn.connection.dbapi_connection
        assert isinstance(db, sqlite3.Connection)
        rows = sum(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in _KEYS)
        assert fast_rows.all_match(chain.binder, db, None) == rows
    assert asked == []
    with row_attacker(populated) as conn:
        conn.exec_driver_sql("UPDATE visits SET local_date = '2020-01-01' WHERE id = 3")
        result = populated.verify_chain(conn)
    assert _problems(result) == [("visits", "3", "local_date")]


@SQLITE_ONLY
def test_a_blob_never_reads_as_the_text_it_encodes(populated: Store) -> None:
    """SQLite from 3.45 takes a BLOB that is valid JSONB as the JSON it encodes; the canonical
    form never does (a BLOB is ``{"blob": hex}``), so a value edited into a BLOB is named
    whatever SQLite the PC has."""
    with row_attacker(populated) as conn:
        conn.exec_driver_sql(
            "UPDATE settings SET value = CAST(value AS BLOB) WHERE key = 'print_masking'"
        )
        (canon,) = conn.exec_driver_sql(
            f"SELECT {binding.json_array_sql('settings')} FROM settings WHERE key = 'print_masking'"
        ).one()
        assert '{"blob":"7061727469616C"}' in canon  # 'partial', as bytes
        result = populated.verify_chain(conn)
    assert _problems(result) == [("settings", "print_masking", "value")]
