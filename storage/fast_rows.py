"""SQLite's fast answer to the row check: whether every bound row equals its latest binding
entry, at the database's speed, without naming anything (storage.binding's exact check names
what differs, and runs only when this says no).

The hot loop of a million rows and two million events, where Python must not touch a row or an
event twice: SQLite builds each canonical row (:func:`storage.binding.json_array_sql`) and calls
back only to hash it, and it cuts the entries' digests out of the events' text. A visit or a
verification is bound once, so those two tables are held to their entries as multisets (count
and :meth:`RowBinder.fingerprint`); the other tables, and any id bound more than once, by the
set of the latest entries. Every table is read NOT INDEXED and must be a plain table; what an
index says (the batch events it lists) is held against the table. It imports storage.binding
and the standard library only, so a worker process (storage.row_jobs) starts fast.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence

from storage.binding import (
    BATCH_KINDS,
    BINDING_VERSION,
    BOUND_COLUMNS,
    DIGEST_BYTES,
    FIELD_BYTES,
    PER_VISIT,
    PLAIN_TABLES,
    ROW_KEY,
    ROWS_KEY,
    SINGLE_MARK,
    TERMINAL_BYTES,
    RowBinder,
    json_array_sql,
    quoted,
    terminal_bytes,
)

#: Batch events found through ix_audit_events_kind, an index the chain walk does not read:
#: what it says is held against the table (:func:`_segments`, the single events' statements),
#: so a corrupt one cannot pass a single event off as a batch or hide one. Bound tables are
#: read by a full scan (NOT INDEXED).
_BATCH_SEQS = f"SELECT seq FROM audit_events WHERE kind IN {BATCH_KINDS} ORDER BY seq"  # noqa: S608
_BATCHES_IN = (
    f"SELECT count(*) FROM audit_events WHERE seq BETWEEN ? AND ? AND +kind IN {BATCH_KINDS}"  # noqa: S608
)
#: Columns of a table (generated ones too) whose name hides the row's key, ``rowid``.
_ROWID_NAMES = (
    "SELECT count(*) FROM pragma_table_xinfo(?) WHERE lower(name) IN ('rowid', 'oid', '_rowid_')"
)
#: Beyond any seq (SQLite's largest integer).
_END = 2**63 - 1
#: Places per batch event when an entry is keyed by its place in the chain (> BATCH_ROWS).
_BATCH_PLACES = 4096
#: The SQLite function :func:`all_match` registers for the length of one check.
_HASH_ROW = "madoguchi_hash_row"
#: Per table: the number of digests and their fingerprint (:meth:`RowBinder.fingerprint`).
Prints = dict[str, tuple[int, int]]


def all_match(
    binder: RowBinder, db: sqlite3.Connection, tables: Sequence[str] | None
) -> int | None:
    """The number of rows checked when every row of ``tables`` equals its latest entry and
    every latest entry has its row; None when anything differs (then :meth:`verify` compares
    row by row to name it). ``db``: a SQLite connection inside a read transaction.

    The fast path of a million rows, where Python must not touch a row twice: SQLite builds
    each canonical row and calls back only to hash it, and it cuts the entries' digests out
    of the events. A visit or a verification is bound once (the application never rewrites
    one; a purge re-binds only rows whose event it deletes), so for those two tables the
    count and fingerprint of the rows' digests (:func:`row_prints`) are held against those
    of every entry (:func:`entry_prints`, which checks the other tables whole). Otherwise
    (an id bound more than once) the latest entry of each id decides (:func:`_latest_match`).
    """
    tables = tuple(tables or BOUND_COLUMNS)
    rows = row_prints(binder, db, tables)
    entries = entry_prints(binder, db, tables)
    if rows is None or entries is None or entries[1] is None:
        return None  # a row or an entry not as the application writes them
    if rows == entries[0]:
        return sum(count for count, _ in rows.values()) + entries[1]
    return _latest_match(binder, db, tables)


def row_prints(binder: RowBinder, db: sqlite3.Connection, tables: Sequence[str]) -> Prints | None:
    """Count and fingerprint (:meth:`RowBinder.fingerprint`) of the row digests of each table of
    ``tables`` that grows with the visits (:data:`PER_VISIT`); None when one is not a
    plain table or shares an id (named row by row).

    Held against :func:`entry_prints`, equal counts and fingerprints mean that the rows'
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
        count = _hash_rows(binder, db, table, kept.extend)
        if count is None:
            return None
        prints[table] = (count, binder.fingerprint(bytes(kept)))
    return prints


def entry_prints(
    binder: RowBinder, db: sqlite3.Connection, tables: Sequence[str]
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
    prints = {t: (len(raw) // DIGEST_BYTES, binder.fingerprint(raw)) for t, raw in found.items()}
    return prints, _digests_match(binder, db, small, latest)


def _latest_match(binder: RowBinder, db: sqlite3.Connection, tables: Sequence[str]) -> int | None:
    """:meth:`all_match` where an id may have been bound more than once: the latest entry
    of every id (:func:`_latest_digests`) against the rows."""
    latest = _latest_digests(db, tables)
    return None if latest is None else _digests_match(binder, db, tables, latest)


def _digests_match(
    binder: RowBinder, db: sqlite3.Connection, tables: Sequence[str], latest: list[str]
) -> int | None:
    """The number of rows of ``tables`` when their digests are exactly ``latest`` (the
    latest entries' digests): two sets of keyed digests are equal exactly when every row
    equals its latest binding, and the counts rule out a duplicate on either side."""
    if not _plain(db, tables):
        return None
    digests: set[bytes] = set()
    rows = 0
    for table in tables:
        count = _hash_rows(binder, db, table, digests.add)
        if count is None:
            return None
        rows += count
    try:
        found = {bytes.fromhex(d) for d in latest}
    except ValueError:
        return None
    return rows if rows == len(digests) == len(latest) and found == digests else None


def _hash_rows(
    binder: RowBinder, db: sqlite3.Connection, table: str, keep: Callable[[bytes], object]
) -> int | None:
    """Hand the digest of every row of ``table`` to ``keep`` as SQLite builds its canonical
    text (read NOT INDEXED: no index can show other rows); the number of rows, or None
    when a per-visit table's ids are not its rowids (a table rebuilt without its key, or
    with a column named rowid, which ``rowid`` would then read), a column is gone, or a
    kept terminal answer's bytes differ (a BLOB where text belongs hashes as no entry
    does: :func:`json_array_sql`)."""
    copy = binder.salted.copy

    def hash_row(canonical: bytes) -> None:
        h = copy()
        h.update(canonical)
        keep(h.digest()[:DIGEST_BYTES])

    hashed = f"count({_HASH_ROW}(CAST({json_array_sql(table)} AS BLOB)))"
    shared = f"total({quoted(BOUND_COLUMNS[table][0])} != rowid)" if table in PER_VISIT else "0"
    if table in PER_VISIT and db.execute(_ROWID_NAMES, (table,)).fetchone()[0]:
        return None
    db.create_function(_HASH_ROW, 1, hash_row)
    try:
        count, _, differ = db.execute(
            f"SELECT count(*), {hashed}, {shared} FROM {table} NOT INDEXED"  # noqa: S608
        ).fetchone()
        if table == "terminal_results" and next(
            terminal_bytes(db.execute(f"{TERMINAL_BYTES} NOT INDEXED")), None
        ):
            return None
    except sqlite3.OperationalError:  # a table not as the application made it (a column gone)
        return None
    finally:
        db.create_function(_HASH_ROW, 1, None)
    return None if differ else int(count)


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
    at = f"p + {len(SINGLE_MARK)}"
    columns = []
    for table in big:
        is_table = f"substr(payload, {at}, {len(table) + 1}) = '{table} '"
        digest = f"substr(payload, {at} + {len(table) + 1}, {2 * DIGEST_BYTES})"
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
        f"instr(payload, '{SINGLE_MARK}') AS p FROM audit_events NOT INDEXED) "
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
                f"{2 * DIGEST_BYTES}), '') "
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
        if len(raw) % DIGEST_BYTES:
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
    return {name for (name,) in db.execute(PLAIN_TABLES)}.issuperset(tables)


def _entry_at(table: str) -> tuple[str, str, str, int, int]:
    """Where an entry of ``table`` sits (``1 <table> <digest> <field digests> <id>``, fixed
    widths up to the id): its prefix, the SQL finding it in a single event's payload and
    giving the place just before it, and the digest's and the id's places in it (from 1)."""
    prefix = f"{BINDING_VERSION} {table} "
    digest_at = len(prefix) + 1
    fields = 2 * FIELD_BYTES * len(BOUND_COLUMNS[table])
    id_at = digest_at + 2 * DIGEST_BYTES + 1 + fields + 1
    mark = f"{SINGLE_MARK}{table} "
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
            (f"{found} > 0", f"substr(payload, {entry} + {digest_at}, {2 * DIGEST_BYTES})")
        )
        mine = f"substr(j.value, 1, {len(prefix)}) = '{prefix}'"
        where_b.append(mine)
        key_b.append((mine, f"CAST(substr(j.value, {id_at}) AS INTEGER)"))
        value_b.append((mine, f"substr(j.value, {digest_at}, {2 * DIGEST_BYTES})"))
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
    single_at = f"instr(payload, '{SINGLE_MARK}')"
    table_at = len(BINDING_VERSION) + 2  # in an entry (SQLite counts from 1)
    single = " AND ".join(
        [f"{single_at} > 0"]
        + [
            f"substr(payload, {single_at} + {len(SINGLE_MARK)}, {len(t) + 1}) != '{t} '"
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
