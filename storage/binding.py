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
(SQLite, storage.fast_rows: each canonical row hashed as SQLite builds it; for the
visits and verifications, bound once, the count and keyed fingerprint of the rows' digests
against those of their entries; for the other tables the set of digests against the set of
latest entries' digests), and compares row by row only to name what differs.

This module is the format (the entries written with each row, their fixed widths, the keyed
digests and fingerprint) and the exact check that names what differs; SQLite's fast answer
builds on it in storage.fast_rows, and splitting the check into worker jobs is storage.row_jobs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import sys
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
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

DIGEST_BYTES = 16
FIELD_BYTES = 4
_STREAM_BATCH = 20_000
#: The text that starts a single event's entry in its canonical payload.
SINGLE_MARK = f'"{ROW_KEY}":"{BINDING_VERSION} '
#: Tables that grow with the visits: the fast check reads their entries with a scan of their own.
PER_VISIT = ("visits", "verification_attempts")
TERMINAL_BYTES = "SELECT id, raw_xml, sha256 FROM terminal_results"
PLAIN_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table'"
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

    @property
    def salted(self) -> hashlib._Hash:
        """The keyed SHA-256 state every row digest starts from (copy it, never update it)."""
        return self._prefix

    def digest(self, canonical: str) -> str:
        h = self._prefix.copy()
        h.update(canonical.encode())
        return h.digest()[:DIGEST_BYTES].hex()

    def field_digests(self, table: str, values: tuple[Any, ...]) -> str:
        out = []
        for column, value in zip(BOUND_COLUMNS[table], values, strict=True):
            h = self._prefix.copy()
            h.update(_dumps([BINDING_VERSION, table, column, value]).encode())
            out.append(h.digest()[:FIELD_BYTES].hex())
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
        pk, mark = quoted(BOUND_COLUMNS[table][0]), placeholder(conn)
        sql = (
            f"SELECT {_select_list(table, postgres)} FROM {table} "  # noqa: S608 (our names)
            f"WHERE {pk} BETWEEN {mark} AND {mark} ORDER BY {pk}"
        )
        rows = conn.exec_driver_sql(sql, (first, last))
        return [self.entry(table, tuple(values)) for values in rows]

    def changed_fields(self, table: str, values: tuple[Any, ...], fields: str) -> list[str]:
        mine = self.field_digests(table, values)
        width = 2 * FIELD_BYTES
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
            from storage import fast_rows  # noqa: PLC0415  (it builds on this module)

            checked = fast_rows.all_match(self, db, tables)
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
                scan = TERMINAL_BYTES + ("" if postgres else " NOT INDEXED")
                problems.extend(terminal_bytes(_stream(conn, scan)))
        problems.extend(
            RowProblem(table, row_id, None, f"event {seq} binds an unknown table", seq)
            for table, rows in latest.items()
            for row_id, (seq, _, _) in rows.items()
        )
        return RowsChecked(not problems, checked, tuple(problems[:MAX_PROBLEMS]), len(problems))

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


def json_array_sql(table: str) -> str:
    """SQLite's expression for the canonical text of a row of ``table``. A BLOB (only ever
    written behind the application's back) becomes ``{"blob": hex}``, which no row's canonical
    text holds, whatever SQLite reads it: before 3.45 ``json_array`` refuses a BLOB, from 3.45
    it takes one that is valid JSONB as the JSON it encodes (a value edited into a BLOB with
    the same meaning would verify)."""
    columns = ", ".join(
        f"CASE WHEN typeof({q}) = 'blob' THEN json_object('blob', hex({q})) ELSE {q} END"
        for q in map(quoted, BOUND_COLUMNS[table])
    )
    return f"json_array({BINDING_VERSION}, '{table}', {columns})"


def _typed_id(table: str, row_id: str) -> Any:
    return row_id if table == "settings" else int(row_id)


def quoted(column: str) -> str:
    return f'"{column}"'


def _select_list(table: str, postgres: bool) -> str:
    """Normalised stored values: SQLite returns them as stored; PostgreSQL converts them."""
    if not postgres:
        return ", ".join(quoted(c) for c in BOUND_COLUMNS[table])
    out = []
    for c in BOUND_COLUMNS[table]:
        q = quoted(c)
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
    pk = quoted(BOUND_COLUMNS[table][0])
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
        sql = PLAIN_TABLES
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
    pk = quoted(BOUND_COLUMNS[table][0])
    if conn.dialect.name != "postgresql":
        yield from _stream(
            conn,
            f"SELECT {pk}, {json_array_sql(table)} FROM {table} NOT INDEXED ORDER BY {pk}",  # noqa: S608
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


def terminal_bytes(rows: Iterable[tuple[Any, ...]]) -> Iterator[RowProblem]:
    """Kept terminal answers (rows of :data:`TERMINAL_BYTES`) whose bytes no longer match
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
