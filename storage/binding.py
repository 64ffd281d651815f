"""Rows bound to the chain: every stored fact is committed with an event carrying its digest.

The chain alone proves which events were written; it says nothing about the rows a report
prints. So every write of a bound table (patients, visits, verification attempts, terminal
results, staff, settings, facility profile) appends, in the same transaction, an event whose
payload holds a *binding entry* for the row as it is stored after the write, and
:meth:`RowBinder.verify` compares every row with the entry of its latest event, and every entry
with a row. An UPDATE by the application is therefore always a new event with the new digest;
a change behind the application's back is a row that differs from its latest entry, a forged
row is a row without an entry, a deleted row is an entry without a row.

Canonical form (version 1) of a row: the UTF-8 bytes of the compact JSON array
``[1, table, value, …]`` with the values of :data:`BOUND_COLUMNS` in that order, as stored:
timestamps as UTC text ``YYYY-MM-DD HH:MM:SS.ffffff``, dates ``YYYY-MM-DD``, booleans 0/1, JSON
columns as their stored text, text and integers as they are (``json.dumps(…,
ensure_ascii=False, separators=(",", ":"))``). SQLite's ``json_array`` produces exactly these
bytes (a test holds it to that), so on SQLite the database builds them at C speed; PostgreSQL
returns normalised values (``to_char``/casts) and Python serialises them. A terminal result's
bytes are bound through its ``sha256`` column, and verify re-hashes the bytes.

Digests are keyed: ``SHA-256(salt ‖ canonical)`` truncated to 128 bits, with the salt derived
from the chain key. The chain can never be corrected, and an unkeyed digest of a name and a
birth date could be confirmed by guessing; the key (in the OS keyring only) prevents that. The
entry also carries a 32-bit keyed digest per column, so verify names the field that changed.

Entry text (one string, split once): ``"1 <table> <digest hex> <field digests hex> <id>"``
(the id last: a settings key is text). A single-row event carries it as ``payload["row"]``; a
batch event (:data:`BATCH_KINDS`: rows bound at migration, or re-bound when a retention purge
deletes their events) carries a list under ``payload["rows"]`` and says why.

Verify first decides whether everything matches, at the database's speed where it can
(SQLite, :meth:`RowBinder.all_match`: each canonical row hashed as SQLite builds it; for the
visits and verifications, bound once, the count and keyed fingerprint of the rows' digests
against those of their entries; for the other tables the set of digests against the set of
latest entries' digests), and compares row by row only to name what differs.

One module, about 800 lines, for three parts that share the format's constants and fixed
widths: the format and the entries written with each row, the exact check that names what
differs, and SQLite's fast answer. Splitting the check into worker jobs is storage.row_jobs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the row check's worker process (storage.workers) starts without it
    from sqlalchemy import Connection

BINDING_VERSION = "1"
ROW_KEY = "row"
ROWS_KEY = "rows"
#: Kinds of batch binding events: rows written before row binding existed, bound once after
#: the migration; rows whose binding events a retention purge deletes, re-bound in its transaction.
BOUND_AT_MIGRATION = "rows_bound_at_migration"
REBOUND_AT_PURGE = "rows_rebound_at_purge"
BATCH_KINDS = (BOUND_AT_MIGRATION, REBOUND_AT_PURGE)
#: Entries per batch event (keeps one payload well under a megabyte).
BATCH_ROWS = 2_000
#: Problems listed in full; beyond this only counted.
MAX_PROBLEMS = 50

_DIGEST_BYTES = 16
_FIELD_BYTES = 4
_STREAM_BATCH = 20_000
#: The text that starts a single event's entry in its canonical payload.
_SINGLE_MARK = f'"{ROW_KEY}":"{BINDING_VERSION} '
#: Tables that grow with the visits: the fast check reads their entries with a scan of their own.
PER_VISIT = ("visits", "verification_attempts")
#: Batch events found through ix_audit_events_kind, an index the chain walk does not read:
#: what it says is held against the table (:func:`_segments`, the single events' statements),
#: so a corrupt one cannot pass a single event off as a batch or hide one. Bound tables are
#: read by a full scan (NOT INDEXED).
_BATCH_SEQS = f"SELECT seq FROM audit_events WHERE kind IN {BATCH_KINDS} ORDER BY seq"  # noqa: S608
_BATCHES_IN = (
    f"SELECT count(*) FROM audit_events WHERE seq BETWEEN ? AND ? AND +kind IN {BATCH_KINDS}"  # noqa: S608
)
_TERMINAL_BYTES = "SELECT id, raw_xml, sha256 FROM terminal_results"
_PLAIN_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table'"
#: Columns of a table (generated ones too) whose name hides the row's key, ``rowid``.
_ROWID_NAMES = (
    "SELECT count(*) FROM pragma_table_xinfo(?) WHERE lower(name) IN ('rowid', 'oid', '_rowid_')"
)
#: Beyond any seq (SQLite's largest integer).
_END = 2**63 - 1
#: Places per batch event when an entry is keyed by its place in the chain (> BATCH_ROWS).
_BATCH_PLACES = 4096
#: The SQLite function :meth:`RowBinder.all_match` registers for the length of one check.
_HASH_ROW = "madoguchi_hash_row"
#: Per table: the number of digests and their fingerprint (:meth:`RowBinder.fingerprint`).
Prints = dict[str, tuple[int, int]]
#: The fingerprint's field: a prime above every digest (2**128), Poly1305's.
_PRIME = 2**130 - 5

#: Bound tables: primary key, then every stored column in the canonical order (version 1).
#: ``terminal_results.raw_xml`` is bound through ``sha256`` (verify re-hashes the bytes).
BOUND_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "patients": (
        "id",
        "chart_number",
        "name",
        "kana",
        "birth_date",
        "sex",
        "insurer_number",
        "insured_symbol",
        "insured_number",
        "insured_branch",
        "created_at",
        "updated_at",
    ),
    "visits": ("id", "patient_id", "local_date", "kind", "terminal_id", "staff_id", "opened_at"),
    "verification_attempts": (
        "id",
        "visit_id",
        "path",
        "failure_reason",
        "outcome",
        "documents",
        "rule_ids",
        "terminal_result_id",
        "simulated",
        "staff_id",
        "terminal_id",
        "started_at",
        "finished_at",
        "note",
    ),
    "terminal_results": (
        "id",
        "file_name",
        "arbitrary_file_identifier",
        "sha256",
        "summary",
        "simulated",
        "terminal_id",
        "received_at",
    ),
    "staff": (
        "id",
        "username",
        "display_name",
        "role",
        "password_hash",
        "active",
        "must_change_password",
        "created_at",
        "updated_at",
    ),
    "settings": ("key", "value", "updated_at", "updated_by"),
    "facility_profile": (
        "id",
        "kind",
        "oqs_mode",
        "flows",
        "medical_institution_code",
        "prefecture_code",
        "municipality_code",
        "name",
        "updated_at",
    ),
}
_TIMESTAMPS = frozenset(
    {"created_at", "updated_at", "opened_at", "received_at", "started_at", "finished_at"}
)
_DATES = frozenset({"birth_date", "local_date"})
_BOOLEANS = frozenset({"simulated", "active", "must_change_password"})
_JSON = frozenset({"documents", "rule_ids", "summary", "flows"})


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One row that does not match the chain."""

    table: str
    row_id: str
    #: The column that changed, when the entry's field digests tell (else None).
    field: str | None
    problem: str
    #: The event holding the row's latest binding (None for a row without one).
    seq: int | None = None

    def describe(self) -> str:
        where = self.table + (f" id {self.row_id}" if self.row_id else "")
        where += f" field {self.field}" if self.field else ""
        return f"{where}: {self.problem}"


@dataclass(frozen=True, slots=True)
class RowsChecked:
    ok: bool
    #: Rows compared with their binding.
    checked: int
    #: The first :data:`MAX_PROBLEMS` problems, in table order.
    problems: tuple[RowProblem, ...] = ()
    #: All problems found (more than listed when over the cap).
    count: int = 0


class RowBinder:
    """Keyed digests of bound rows with one database's chain key."""

    def __init__(self, key: bytes) -> None:
        salt = hmac.new(key, b"madoguchi row binding " + BINDING_VERSION.encode(), "sha256")
        self._prefix = hashlib.sha256(salt.digest())
        point = hmac.new(key, b"madoguchi row multiset " + BINDING_VERSION.encode(), "sha256")
        self._point = int.from_bytes(point.digest(), "little") % _PRIME

    def digest(self, canonical: str) -> str:
        h = self._prefix.copy()
        h.update(canonical.encode())
        return h.digest()[:_DIGEST_BYTES].hex()

    def field_digests(self, table: str, values: tuple[Any, ...]) -> str:
        out = []
        for column, value in zip(BOUND_COLUMNS[table], values, strict=True):
            h = self._prefix.copy()
            h.update(_dumps([BINDING_VERSION, table, column, value]).encode())
            out.append(h.digest()[:_FIELD_BYTES].hex())
        return "".join(out)

    def entry(self, table: str, values: tuple[Any, ...]) -> str:
        """The binding entry of one row from its normalised stored values."""
        return (
            f"{BINDING_VERSION} {table} {self.digest(canonical(table, values))} "
            f"{self.field_digests(table, values)} {values[0]}"
        )

    def entries(self, conn: Connection, table: str, ids: Iterable[Any] | None = None) -> list[str]:
        """Entries of the rows of ``table`` as stored now (``ids``, or all in key order)."""
        return [self.entry(table, values) for values in _stored(conn, table, ids)]

    def entries_between(self, conn: Connection, table: str, first: int, last: int) -> list[str]:
        """Entries of the rows with integer keys first..last (bulk loads: tests, benchmarks)."""
        postgres = conn.dialect.name == "postgresql"
        pk, mark = _quoted(BOUND_COLUMNS[table][0]), placeholder(conn)
        sql = (
            f"SELECT {_select_list(table, postgres)} FROM {table} "  # noqa: S608 (our names)
            f"WHERE {pk} BETWEEN {mark} AND {mark} ORDER BY {pk}"
        )
        rows = conn.exec_driver_sql(sql, (first, last))
        return [self.entry(table, tuple(values)) for values in rows]

    def changed_fields(self, table: str, values: tuple[Any, ...], fields: str) -> list[str]:
        mine = self.field_digests(table, values)
        width = 2 * _FIELD_BYTES
        if len(fields) != len(mine):
            return []
        return [
            column
            for i, column in enumerate(BOUND_COLUMNS[table])
            if mine[i * width : (i + 1) * width] != fields[i * width : (i + 1) * width]
        ]

    # -- verifying --------------------------------------------------------------------------

    def verify(self, conn: Connection, tables: Sequence[str] | None = None) -> RowsChecked:
        """Every bound row against its latest entry, every latest entry against a row (of
        ``tables``, default all: a group of tables is self-contained, see storage.row_jobs).

        Run in the same snapshot as the chain walk, and only after the chain verified (the
        entries are then known to be the application's).
        """
        stand_ins = _stand_ins(conn, tables or tuple(BOUND_COLUMNS))
        if conn.dialect.name == "sqlite" and not stand_ins:
            db = conn.connection.dbapi_connection
            assert isinstance(db, sqlite3.Connection)
            checked = self.all_match(db, tables)
            if checked is not None:
                return RowsChecked(True, checked)
        with _lenient_text(conn):
            return self._compare(conn, tables, stand_ins)

    def _compare(
        self, conn: Connection, tables: Sequence[str] | None, stand_ins: Sequence[str]
    ) -> RowsChecked:
        """:meth:`verify` row by row, naming every problem (entries of a table this version
        does not know too, when ``tables`` is None)."""
        postgres = conn.dialect.name == "postgresql"
        latest = latest_entries(conn, tables)
        problems = [
            RowProblem(t, "", None, "is not a table: something else stands in its place")
            for t in stand_ins
        ]
        checked = 0
        for table in tables or BOUND_COLUMNS:
            bound = latest.pop(table, {})
            if table in stand_ins:
                continue
            for row_id, canon in _canonical_rows(conn, table):
                checked += 1
                key = str(row_id)
                found = bound.pop(key, None)
                if found is None:
                    problems.append(
                        RowProblem(table, key, None, "row without a binding event (forged?)")
                    )
                elif found[1] != self.digest(canon):
                    problems.append(self._differs(conn, table, key, found))
            problems.extend(
                RowProblem(table, row_id, None, f"row bound by event {seq} is gone", seq)
                for row_id, (seq, _, _) in bound.items()
            )
            if table == "terminal_results":
                scan = _TERMINAL_BYTES + ("" if postgres else " NOT INDEXED")
                problems.extend(_terminal_bytes(_stream(conn, scan)))
        problems.extend(
            RowProblem(table, row_id, None, f"event {seq} binds an unknown table", seq)
            for table, rows in latest.items()
            for row_id, (seq, _, _) in rows.items()
        )
        return RowsChecked(not problems, checked, tuple(problems[:MAX_PROBLEMS]), len(problems))

    def all_match(self, db: sqlite3.Connection, tables: Sequence[str] | None) -> int | None:
        """The number of rows checked when every row of ``tables`` equals its latest entry and
        every latest entry has its row; None when anything differs (then :meth:`verify` compares
        row by row to name it). ``db``: a SQLite connection inside a read transaction.

        The fast path of a million rows, where Python must not touch a row twice: SQLite builds
        each canonical row and calls back only to hash it, and it cuts the entries' digests out
        of the events. A visit or a verification is bound once (the application never rewrites
        one; a purge re-binds only rows whose event it deletes), so for those two tables the
        count and fingerprint of the rows' digests (:meth:`row_prints`) are held against those
        of every entry (:meth:`entry_prints`, which checks the other tables whole). Otherwise
        (an id bound more than once) the latest entry of each id decides (:meth:`_latest_match`).
        """
        tables = tuple(tables or BOUND_COLUMNS)
        rows = self.row_prints(db, tables)
        entries = self.entry_prints(db, tables)
        if rows is None or entries is None or entries[1] is None:
            return None  # a row or an entry not as the application writes them
        if rows == entries[0]:
            return sum(count for count, _ in rows.values()) + entries[1]
        return self._latest_match(db, tables)

    def row_prints(self, db: sqlite3.Connection, tables: Sequence[str]) -> Prints | None:
        """Count and fingerprint (:meth:`fingerprint`) of the row digests of each table of
        ``tables`` that grows with the visits (:data:`PER_VISIT`); None when one is not a
        plain table or shares an id (named row by row).

        Held against :meth:`entry_prints`, equal counts and fingerprints mean that the rows'
        digests are exactly the entries' (as a multiset); a digest covers table, id and every
        value, so with ids unique and as many rows as entries, every id has one entry and its
        row is that entry.
        """
        big = [t for t in tables if t in PER_VISIT]
        if not _plain(db, big):
            return None
        prints: Prints = {}
        for table in big:
            kept = bytearray()
            count = self._hash_rows(db, table, kept.extend)
            if count is None:
                return None
            prints[table] = (count, self.fingerprint(bytes(kept)))
        return prints

    def entry_prints(
        self, db: sqlite3.Connection, tables: Sequence[str]
    ) -> tuple[Prints, int | None] | None:
        """Count and fingerprint of every entry of the tables of ``tables`` that grow with
        the visits (single and batch events alike, :func:`_every_entry`), and the number of
        rows of the others when each equals its latest entry (their latest entries ride along
        in the same scan), else None in its place; None when an event's entry is not as the
        application writes them."""
        small = [t for t in tables if t not in PER_VISIT]
        try:
            found, latest = _every_entry(db, [t for t in tables if t in PER_VISIT], small)
        except ValueError:  # a seq or an entry not as the application writes them
            return None
        prints = {t: (len(raw) // _DIGEST_BYTES, self.fingerprint(raw)) for t, raw in found.items()}
        return prints, self._digests_match(db, small, latest)

    def fingerprint(self, digests: bytes) -> int:
        """The keyed fingerprint of a multiset of digests (concatenated): the product of
        ``x + d`` modulo the prime :data:`_PRIME`, ``d`` each digest read as a little-endian
        number, ``x`` a point derived from the key.

        Two different multisets of n digests are two different monic polynomials
        ``prod(X + d)`` of degree n, which agree at fewer than n points: without the key, the
        chance that other digests pass is below n / 2**130 however they were chosen (every
        digest below the prime, none stands for another). A sum of the digests would
        not do: an attacker can know digests that are not in the chain (a restore keeps the
        key and sets the replaced database aside, whose events bind other values under the
        same ids), and find among them, by Wagner's generalised birthday algorithm, rows to
        swap that keep count and sum (tests/storage/test_review_sums.py).
        """
        words = array("Q", digests)  # two 64-bit words per digest
        if sys.byteorder == "big":
            words.byteswap()
        point, product = self._point, 1
        pairs = iter(words)
        for low, high in zip(pairs, pairs, strict=True):
            product = product * (point + low + (high << 64)) % _PRIME
        return product

    def _latest_match(self, db: sqlite3.Connection, tables: Sequence[str]) -> int | None:
        """:meth:`all_match` where an id may have been bound more than once: the latest entry
        of every id (:func:`_latest_digests`) against the rows."""
        latest = _latest_digests(db, tables)
        return None if latest is None else self._digests_match(db, tables, latest)

    def _digests_match(
        self, db: sqlite3.Connection, tables: Sequence[str], latest: list[str]
    ) -> int | None:
        """The number of rows of ``tables`` when their digests are exactly ``latest`` (the
        latest entries' digests): two sets of keyed digests are equal exactly when every row
        equals its latest binding, and the counts rule out a duplicate on either side."""
        if not _plain(db, tables):
            return None
        digests: set[bytes] = set()
        rows = 0
        for table in tables:
            count = self._hash_rows(db, table, digests.add)
            if count is None:
                return None
            rows += count
        try:
            found = {bytes.fromhex(d) for d in latest}
        except ValueError:
            return None
        return rows if rows == len(digests) == len(latest) and found == digests else None

    def _hash_rows(
        self, db: sqlite3.Connection, table: str, keep: Callable[[bytes], object]
    ) -> int | None:
        """Hand the digest of every row of ``table`` to ``keep`` as SQLite builds its canonical
        text (read NOT INDEXED: no index can show other rows); the number of rows, or None
        when a per-visit table's ids are not its rowids (a table rebuilt without its key, or
        with a column named rowid, which ``rowid`` would then read), a column is gone, or a
        kept terminal answer's bytes differ (a BLOB where text belongs hashes as no entry
        does: :func:`_json_array`)."""
        copy = self._prefix.copy

        def hash_row(canonical: bytes) -> None:
            h = copy()
            h.update(canonical)
            keep(h.digest()[:_DIGEST_BYTES])

        hashed = f"count({_HASH_ROW}(CAST({_json_array(table)} AS BLOB)))"
        shared = (
            f"total({_quoted(BOUND_COLUMNS[table][0])} != rowid)" if table in PER_VISIT else "0"
        )
        if table in PER_VISIT and db.execute(_ROWID_NAMES, (table,)).fetchone()[0]:
            return None
        db.create_function(_HASH_ROW, 1, hash_row)
        try:
            count, _, differ = db.execute(
                f"SELECT count(*), {hashed}, {shared} FROM {table} NOT INDEXED"  # noqa: S608
            ).fetchone()
            if table == "terminal_results" and next(
                _terminal_bytes(db.execute(f"{_TERMINAL_BYTES} NOT INDEXED")), None
            ):
                return None
        except sqlite3.OperationalError:  # a table not as the application made it (a column gone)
            return None
        finally:
            db.create_function(_HASH_ROW, 1, None)
        return None if differ else int(count)

    def _differs(
        self, conn: Connection, table: str, row_id: str, found: tuple[int, str, str]
    ) -> RowProblem:
        seq, _, fields = found
        stored = list(_stored(conn, table, [_typed_id(table, row_id)]))
        changed = self.changed_fields(table, stored[0], fields) if stored else []
        return RowProblem(
            table,
            row_id,
            ", ".join(changed) or None,
            f"differs from its binding in event {seq} (changed behind the application's back)",
            seq,
        )


def canonical(table: str, values: tuple[Any, ...]) -> str:
    """Canonical form (version 1) of a row's normalised stored values."""
    return _dumps([int(BINDING_VERSION), table, *values])


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_blob)


def _blob(value: Any) -> Any:
    """A BLOB where text belongs (only ever written behind the application's back)."""
    if isinstance(value, bytes | memoryview):
        return {"blob_sha256": hashlib.sha256(bytes(value)).hexdigest()}
    raise TypeError(f"unexpected stored value of type {type(value).__name__}")


def _json_array(table: str) -> str:
    """SQLite's expression for the canonical text of a row of ``table``. A BLOB (only ever
    written behind the application's back) becomes ``{"blob": hex}``, which no row's canonical
    text holds, whatever SQLite reads it: before 3.45 ``json_array`` refuses a BLOB, from 3.45
    it takes one that is valid JSONB as the JSON it encodes (a value edited into a BLOB with
    the same meaning would verify)."""
    columns = ", ".join(
        f"CASE WHEN typeof({q}) = 'blob' THEN json_object('blob', hex({q})) ELSE {q} END"
        for q in map(_quoted, BOUND_COLUMNS[table])
    )
    return f"json_array({BINDING_VERSION}, '{table}', {columns})"


def _typed_id(table: str, row_id: str) -> Any:
    return row_id if table == "settings" else int(row_id)


def _quoted(column: str) -> str:
    return f'"{column}"'


def _select_list(table: str, postgres: bool) -> str:
    """Normalised stored values: SQLite returns them as stored; PostgreSQL converts them."""
    if not postgres:
        return ", ".join(_quoted(c) for c in BOUND_COLUMNS[table])
    out = []
    for c in BOUND_COLUMNS[table]:
        q = _quoted(c)
        if c in _TIMESTAMPS:
            out.append(f"to_char({q} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')")
        elif c in _DATES:
            out.append(f"to_char({q}, 'YYYY-MM-DD')")
        elif c in _BOOLEANS:
            out.append(f"CAST({q} AS INTEGER)")
        elif c in _JSON:
            out.append(f"CAST({q} AS TEXT)")
        else:
            out.append(q)
    return ", ".join(out)


def _stored(conn: Connection, table: str, ids: Iterable[Any] | None) -> Iterator[tuple[Any, ...]]:
    """Normalised stored values of rows ``ids`` (None: every row, streamed in key order)."""
    postgres = conn.dialect.name == "postgresql"
    pk = _quoted(BOUND_COLUMNS[table][0])
    sql = f"SELECT {_select_list(table, postgres)} FROM {table}"  # noqa: S608 (names are ours)
    if ids is None:
        yield from _stream(conn, f"{sql} ORDER BY {pk}")
        return
    one = f"{sql} WHERE {pk} = {placeholder(conn)}"
    for row_id in ids:
        yield from (tuple(r) for r in conn.exec_driver_sql(one, (row_id,)))


def _stand_ins(conn: Connection, tables: Sequence[str]) -> list[str]:
    """Bound tables that are not plain tables (a view in place of one could show the check
    other rows than the application reads)."""
    if conn.dialect.name == "postgresql":
        sql = (
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "AND table_schema = current_schema()"
        )
    else:
        sql = _PLAIN_TABLES
    found = {name for (name,) in conn.exec_driver_sql(sql)}
    return [t for t in tables if t not in found]


@contextmanager
def _lenient_text(conn: Connection) -> Iterator[None]:
    """SQLite hands back text that is not UTF-8 (only ever written behind the application's
    back) with U+FFFD in place of the bad bytes, so that the row differs from its binding
    instead of stopping the check."""
    db = conn.connection.dbapi_connection
    if not isinstance(db, sqlite3.Connection):
        yield
        return
    before = db.text_factory
    db.text_factory = _decoded
    try:
        yield
    finally:
        db.text_factory = before


def _decoded(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def placeholder(conn: Connection) -> str:
    """The driver's parameter mark (statements here run as the driver's own SQL)."""
    return "%s" if conn.dialect.name == "postgresql" else "?"


def _canonical_rows(conn: Connection, table: str) -> Iterator[tuple[Any, str]]:
    """(primary key, canonical text) of every row in key order; SQLite builds the text."""
    pk = _quoted(BOUND_COLUMNS[table][0])
    if conn.dialect.name != "postgresql":
        yield from _stream(
            conn,
            f"SELECT {pk}, {_json_array(table)} FROM {table} NOT INDEXED ORDER BY {pk}",  # noqa: S608
        )
        return
    sql = f"SELECT {_select_list(table, True)} FROM {table} ORDER BY {pk}"  # noqa: S608
    for values in _stream(conn, sql):
        yield values[0], canonical(table, tuple(values))


def _stream(conn: Connection, sql: str, params: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Raw driver tuples in the caller's transaction (PostgreSQL: a server-side cursor)."""
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    postgres = conn.dialect.name == "postgresql"
    cursor = dbapi.cursor(name="madoguchi_rows") if postgres else dbapi.cursor()
    try:
        if params:
            cursor.execute(sql, params)
        else:  # no parameters: a '%' in the text is not a placeholder (psycopg)
            cursor.execute(sql)
        while batch := cursor.fetchmany(_STREAM_BATCH):
            yield from batch
    finally:
        cursor.close()


def latest_entries(
    conn: Connection, tables: Sequence[str] | None = None
) -> dict[str, dict[str, tuple[int, str, str]]]:
    """table → row id → (seq, digest, field digests) of the row's latest binding event (of
    ``tables`` only, when given: the database skips other events by a substring test on the
    canonical payload text, which is cheaper than extracting their entries)."""
    if conn.dialect.name == "postgresql":
        entry = "payload::json ->> 'row'"
    else:
        entry = "payload ->> '$.row'"
    where = ""
    if tables is not None:
        wanted = " OR ".join(
            f'payload LIKE \'%"{ROW_KEY}":"{BINDING_VERSION} {t} %\'' for t in tables
        )
        where = f"WHERE kind IN {BATCH_KINDS} OR {wanted} "
    sql = (
        f"SELECT seq, kind, CASE WHEN kind IN {BATCH_KINDS} THEN payload ELSE {entry} END "  # noqa: S608
        f"FROM audit_events {where}ORDER BY seq"
    )
    latest: dict[str, dict[str, tuple[int, str, str]]] = {}
    for seq, kind, found in _stream(conn, sql):
        if found is None:
            continue
        entries = json.loads(found)[ROWS_KEY] if kind in BATCH_KINDS else (found,)
        for e in entries:
            _, table, digest, fields, row_id = e.split(" ", 4)
            if tables is not None and table not in tables:
                continue
            rows = latest.get(table)
            if rows is None:
                rows = latest[table] = {}
            rows[row_id] = (seq, digest, fields)
    return latest


def _latest_digests(db: sqlite3.Connection, tables: Sequence[str]) -> list[str] | None:
    """The digest of the latest entry of every row id of ``tables`` (SQLite); None when the
    kind index does not tell the batch events as the table does (then row by row).

    The hot loop of a million events: one scan of the events per table that grows with the
    visits (:data:`PER_VISIT`), the other tables' entries riding along with the last one.
    SQLite cuts (id, digest) out of each big table's entry, so Python only builds a dict, in
    which a later event overwrites an earlier one (the scan is in seq order); the few other
    entries come keyed by their place in the chain (negative: apart from the ids) for Python
    to split. Batch events (a list of entries) are read where they stand in seq order, so a
    later single entry still overrides them. Events without an entry of these tables are
    skipped by a substring test on the canonical payload: an entry of table T is always the
    text ``"row":"1 T …``, which a JSON string value cannot contain unescaped, and only at the
    payload's top (:func:`check_payload`).
    """
    segments = _segments(db)
    if segments is None:
        return None
    big = [t for t in tables if t in PER_VISIT]
    others = [t for t in tables if t not in PER_VISIT]
    digests: list[str] = []
    for i, table in enumerate(big or [None]):
        with_others = bool(others) and i == max(len(big) - 1, 0)
        if table is None and not with_others:
            break
        single, batched = _entries_sql(table, with_others)
        latest: dict[int, str | None] = {}
        for batch, low, high in segments:
            latest.update(db.execute(batched if batch else single, (low, high)))
        if None in latest:  # a batch event the index did not list
            return None
        if not with_others:
            digests.extend(v for v in latest.values() if v is not None)
            continue
        keyed: dict[tuple[str, str], str] = {}
        for key, found in latest.items():
            if key >= 0:
                digests.append(found or "")
            elif type(found) is str:  # else a "row" that is not an entry: nothing bound
                _, other, digest, _, row_id = found.split(" ", 4)
                if other in others:
                    keyed[other, row_id] = digest
        digests.extend(keyed.values())
    return digests


def _every_entry(
    db: sqlite3.Connection, big: Sequence[str], others: Sequence[str]
) -> tuple[dict[str, bytes], list[str]]:
    """The digests of every entry of each table of ``big`` (of :data:`PER_VISIT`),
    concatenated, of single and batch events alike, and the latest entries' digests of
    ``others`` (the small tables, riding along): one plain scan of the events, SQLite cutting
    each digest out of its entry and joining them into one text per table, and the batch
    events it meets (never found through the kind index) read by seq. ValueError: a seq or an
    entry not as the application writes them."""
    batch = f"+kind IN {BATCH_KINDS}"
    # where the entry starts in a single event's payload: the subquery is flattened, so
    # instr runs at each use of p, which costs less than computing it once in a co-routine
    # (an entry sits near its payload's start; measured on the benchmark's events)
    at = f"p + {len(_SINGLE_MARK)}"
    columns = []
    for table in big:
        is_table = f"substr(payload, {at}, {len(table) + 1}) = '{table} '"
        digest = f"substr(payload, {at} + {len(table) + 1}, {2 * _DIGEST_BYTES})"
        columns.append(
            f"group_concat(CASE WHEN {batch} THEN NULL WHEN {is_table} THEN {digest} END, '')"
        )
    columns.append(f"group_concat(CASE WHEN {batch} THEN seq END, ',')")
    # an entry of a per-visit table is not a small table's (most events: one test each)
    big_arms = " ".join(
        f"WHEN substr(payload, {at}, {len(t) + 1}) = '{t} ' THEN NULL" for t in PER_VISIT[::-1]
    )
    columns.append(
        f"group_concat(CASE {big_arms} WHEN {batch} OR p = 0 THEN NULL "
        f"ELSE seq || ' ' || (payload ->> '$.{ROW_KEY}') END, char(10))"
        if others
        else "NULL"
    )
    *found, batches, riding = db.execute(
        f"SELECT {', '.join(columns)} FROM (SELECT seq, kind, payload, "  # noqa: S608
        f"instr(payload, '{_SINGLE_MARK}') AS p FROM audit_events NOT INDEXED) "
        f"WHERE p > 0 OR {batch}"
    ).fetchone()
    digests = {table: joined or "" for table, joined in zip(big, found, strict=True)}
    placed = (
        [(int(seq), -1, e) for seq, e in (r.split(" ", 1) for r in riding.split("\n"))]
        if riding
        else []
    )
    if batches:
        seqs = json.dumps([int(seq) for seq in batches.split(",")])  # ValueError: not a seq
        listed = (
            f"e.seq IN (SELECT value FROM json_each(?)) AND +e.kind IN {BATCH_KINDS} "  # noqa: S608
            "AND j.type = 'text'"
        )
        for table in big:
            prefix = f"{BINDING_VERSION} {table} "
            (batched,) = db.execute(
                f"SELECT group_concat(substr(j.value, {len(prefix) + 1}, "  # noqa: S608
                f"{2 * _DIGEST_BYTES}), '') "
                f"FROM audit_events AS e, json_each(e.payload, '$.{ROWS_KEY}') AS j "
                f"WHERE {listed} AND substr(j.value, 1, {len(prefix)}) = '{prefix}'",
                (seqs,),
            ).fetchone()
            digests[table] += batched or ""
        if others:
            small_batched = " AND ".join(
                f"substr(j.value, {len(BINDING_VERSION) + 2}, {len(t) + 1}) != '{t} '"
                for t in PER_VISIT
            )
            placed += db.execute(
                f"SELECT e.seq, j.key, j.value FROM audit_events AS e, "  # noqa: S608
                f"json_each(e.payload, '$.{ROWS_KEY}') AS j WHERE {listed} AND {small_batched}",
                (seqs,),
            ).fetchall()
    concatenated: dict[str, bytes] = {}
    for table, joined in digests.items():
        raw = concatenated[table] = bytes.fromhex(joined)  # ValueError: not a digest
        if len(raw) % _DIGEST_BYTES:
            raise ValueError(f"an entry of {table} without its digest")
    latest: dict[tuple[str, str], str] = {}
    for _, _, e in sorted(placed):  # in seq order, a batch's entries in theirs
        _, other_table, digest_found, _, row_id = e.split(" ", 4)
        if other_table in others:
            latest[other_table, row_id] = digest_found
    return concatenated, list(latest.values())


def _plain(db: sqlite3.Connection, tables: Sequence[str]) -> bool:
    """Whether every table of ``tables`` is a plain table (a view in a table's place could show
    the check other rows than the application reads: named row by row)."""
    return {name for (name,) in db.execute(_PLAIN_TABLES)}.issuperset(tables)


def _entry_at(table: str) -> tuple[str, str, str, int, int]:
    """Where an entry of ``table`` sits (``1 <table> <digest> <field digests> <id>``, fixed
    widths up to the id): its prefix, the SQL finding it in a single event's payload and
    giving the place just before it, and the digest's and the id's places in it (from 1)."""
    prefix = f"{BINDING_VERSION} {table} "
    digest_at = len(prefix) + 1
    fields = 2 * _FIELD_BYTES * len(BOUND_COLUMNS[table])
    id_at = digest_at + 2 * _DIGEST_BYTES + 1 + fields + 1
    mark = f"{_SINGLE_MARK}{table} "
    found = f"instr(payload, '{mark}')"
    return prefix, found, f"{found} + {len(mark) - len(prefix) - 1}", digest_at, id_at


def _segments(db: sqlite3.Connection) -> list[tuple[bool, int, int]] | None:
    """The chain in seq order as ``(batch, low, high)``: stretches of single events (seq
    strictly between low and high) and runs of batch events (seq from low to high), so that
    each kind of event is read by the statement made for it and every entry where it stands;
    None when a run the kind index lists is not all batch events in the table."""
    segments: list[tuple[bool, int, int]] = []
    after = 0
    for (seq,) in db.execute(_BATCH_SEQS).fetchall():
        if segments and segments[-1][0] and segments[-1][2] == seq - 1:
            segments[-1] = (True, segments[-1][1], seq)
        else:
            segments += [(False, after, seq), (True, seq, seq)]
        after = seq
    for batch, low, high in segments:
        if batch and db.execute(_BATCHES_IN, (low, high)).fetchone()[0] != high - low + 1:
            return None
    segments.append((False, after, _END))
    return segments


def _entries_sql(table: str | None, others: bool) -> tuple[str, str]:
    """SQLite statements giving (key, value) in seq order, of single events with seq strictly
    between two bounds and of batch events from one seq to another: for an entry of ``table``
    (id, digest), cut at fixed widths (``1 <table> <digest> <field digests> <id>``); with
    ``others``, for an entry of any table but :data:`PER_VISIT` (minus its place in the
    chain, the entry)."""
    small, small_batched = _small_entry()
    where, key, value = [], [], []
    where_b, key_b, value_b = [], [], []
    if table is not None:
        prefix, found, entry, digest_at, id_at = _entry_at(table)
        where.append(f"{found} > 0")
        key.append((f"{found} > 0", f"CAST(substr(payload, {entry} + {id_at}) AS INTEGER)"))
        value.append(
            (f"{found} > 0", f"substr(payload, {entry} + {digest_at}, {2 * _DIGEST_BYTES})")
        )
        mine = f"substr(j.value, 1, {len(prefix)}) = '{prefix}'"
        where_b.append(mine)
        key_b.append((mine, f"CAST(substr(j.value, {id_at}) AS INTEGER)"))
        value_b.append((mine, f"substr(j.value, {digest_at}, {2 * _DIGEST_BYTES})"))
    if others:
        where.append(f"({small})")
        key.append(("1", "-seq"))
        value.append(("1", f"payload ->> '$.{ROW_KEY}'"))
        where_b.append(f"({small_batched})")
        key_b.append(("1", f"-(e.seq * {_BATCH_PLACES} + j.key)"))
        value_b.append(("1", "j.value"))
    # a batch event here was not listed by the kind index: keyed NULL, the check gives up
    batch_here = f"+kind IN {BATCH_KINDS}"
    key.insert(0, (batch_here, "NULL"))
    value.insert(0, (batch_here, "NULL"))
    where.insert(0, batch_here)
    single = (
        f"SELECT {_case(key)}, {_case(value)} FROM audit_events "  # noqa: S608
        f"WHERE seq > ? AND seq < ? AND ({' OR '.join(where)}) ORDER BY seq"
    )
    batched = (
        f"SELECT {_case(key_b)}, {_case(value_b)} "  # noqa: S608
        f"FROM audit_events AS e, json_each(e.payload, '$.{ROWS_KEY}') AS j "
        f"WHERE e.seq BETWEEN ? AND ? AND +e.kind IN {BATCH_KINDS} "
        f"AND ({' OR '.join(where_b)}) ORDER BY e.seq, j.key"
    )
    return single, batched


def _small_entry() -> tuple[str, str]:
    """SQL conditions for an entry of a table but :data:`PER_VISIT`: in a single event's
    payload (one substring search per event, the big tables left out where the entry starts)
    and as a batch event's ``j.value``."""
    single_at = f"instr(payload, '{_SINGLE_MARK}')"
    table_at = len(BINDING_VERSION) + 2  # in an entry (SQLite counts from 1)
    single = " AND ".join(
        [f"{single_at} > 0"]
        + [
            f"substr(payload, {single_at} + {len(_SINGLE_MARK)}, {len(t) + 1}) != '{t} '"
            for t in PER_VISIT
        ]
    )
    batched = " AND ".join(
        f"substr(j.value, {table_at}, {len(t) + 1}) != '{t} '" for t in PER_VISIT
    )
    return single, batched


def _case(choices: list[tuple[str, str]]) -> str:
    """The first expression whose condition holds (SQL ``CASE``; one choice: itself)."""
    if len(choices) == 1:
        return choices[0][1]
    arms = " ".join(f"WHEN {when} THEN {then}" for when, then in choices[:-1])
    return f"CASE {arms} ELSE {choices[-1][1]} END"


def _terminal_bytes(rows: Iterable[tuple[Any, ...]]) -> Iterator[RowProblem]:
    """Kept terminal answers (rows of :data:`_TERMINAL_BYTES`) whose bytes no longer match
    their recorded SHA-256."""
    for row_id, raw, digest in rows:
        if not isinstance(raw, bytes | memoryview) or hashlib.sha256(raw).hexdigest() != digest:
            yield RowProblem(
                "terminal_results", str(row_id), "raw_xml", "bytes do not match their sha256"
            )


def check_payload(payload: Mapping[str, Any]) -> None:
    """Refuse an event payload holding a binding key (``row``, ``rows``) below its top level,
    or anywhere a key whose JSON text ends as one does (``a"row``, its quote escaped): the fast
    check finds an entry by its text (``"row":"1 T …``), which must then be the one at the
    top, the only place where an entry is written (ValueError: a programming error)."""
    stack: list[Any] = [{k: v for k, v in payload.items() if k not in (ROW_KEY, ROWS_KEY)}]
    while stack:
        value = stack.pop()
        if isinstance(value, Mapping):
            if ROW_KEY in value or ROWS_KEY in value:  # the top's own are left out above
                raise ValueError("an event payload holds a row binding key below its top level")
            if any(isinstance(k, str) and _ends_as_binding_key(k) for k in value):
                raise ValueError("an event payload holds a key that ends as a row binding key")
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)


def _ends_as_binding_key(key: str) -> bool:
    """Whether ``key`` holds a quote and ends with ``"row`` or ``"rows``."""
    return '"' in key and key.rsplit('"', 1)[1] in (ROW_KEY, ROWS_KEY)


def batch_payloads(entries: list[str], reason: str) -> Iterator[dict[str, Any]]:
    """Payloads of batch binding events for ``entries`` (the reason in every one; at least one
    payload, so that binding nothing is on record too)."""
    for i in range(0, max(len(entries), 1), BATCH_ROWS):
        yield {"reason": reason, ROWS_KEY: entries[i : i + BATCH_ROWS]}
