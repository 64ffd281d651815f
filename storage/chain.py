"""The audit chain: append-only events linked by SHA-256 and authenticated by HMAC-SHA256.

Canonical form of an event (format 1): netstring-style fields ``len:value,`` of EVERY stored
field but the hash and MAC, in this order: format version, seq, UTC time
(``YYYY-MM-DD HH:MM:SS.ffffff``, exactly SQLite's stored text), kind, actor, terminal,
payload text, previous hash (hex); a NULL is ``~,``. Length prefixes make the encoding
injective, so changing any field changes the hash; without the key (OS keyring) nobody can
make a matching MAC. ``hash`` = SHA-256 of the canonical bytes, ``mac`` = HMAC-SHA256(key,
canonical bytes), both stored as 32 raw bytes. A signed head row catches a truncated tail;
signed checkpoints let the chain start after a retention purge.

Appends are serialised by the database, not Python: SQLite ``BEGIN IMMEDIATE``, PostgreSQL
``SELECT … FOR UPDATE`` on the head row. Unique ``seq``/``prev_hash`` and an insert trigger make
a fork or a gap impossible even for a writer that skips the lock.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, text, update

from policies.dates import JST
from storage import workers
from storage.binding import (
    MAX_PROBLEMS,
    RowBinder,
    RowsChecked,
)
from storage.errors import ChainHeadMissing
from storage.login_locks import lock_problems
from storage.models import GENESIS_HASH, AuditCheckpoint, AuditEvent, AuditHead
from storage.row_jobs import SharedSnapshot, verify_parallel, worker_snapshot
from storage.secrets import key_check
from storage.timeutil import canonical_utc, day_bounds_utc, now_tokyo

FORMAT_VERSION = "1"
_EVENTS = AuditEvent.__table__
_HEAD = AuditHead.__table__
_CHECKPOINTS = AuditCheckpoint.__table__
_VERIFY_BATCH = 20_000
_MALFORMED = (ValueError, TypeError, AttributeError)
_sha256 = hashlib.sha256


@dataclass(frozen=True, slots=True)
class ChainHead:
    """A position in the chain: what the daily log prints so paper and database can be compared."""

    seq: int
    #: SHA-256 of the event, hex.
    hash: str
    occurred_at: datetime | None


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    checked: int
    #: The first event that is missing, altered or forged (None when ``ok``).
    first_broken_seq: int | None = None
    problem: str | None = None
    head: ChainHead | None = None
    #: The signed checkpoint the chain starts after (retention purge), if any.
    anchor_seq: int | None = None
    #: The bound rows compared with their latest events (None when the chain itself broke).
    rows: RowsChecked | None = None


@dataclass(frozen=True, slots=True)
class NewEvent:
    kind: str
    actor: str | None
    terminal_id: str | None
    payload: Mapping[str, Any]


def canonical_payload(payload: Mapping[str, Any]) -> str:
    """Stable JSON text for a payload (sorted keys, no whitespace, UTF-8 kept readable)."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def canonical_event(  # noqa: PLR0917  (the field order IS the format)
    seq: int,
    time_utc: str,
    kind: str,
    actor: str | None,
    terminal_id: str | None,
    payload_text: str,
    prev_hash: bytes,
) -> bytes:
    """Format 1 (see the module docstring); written out flat because verify runs it 1M times."""
    s = str(seq)
    p = prev_hash.hex()
    a = "~" if actor is None else f"{len(actor)}:{actor}"
    t = "~" if terminal_id is None else f"{len(terminal_id)}:{terminal_id}"
    return (
        f"1:{FORMAT_VERSION},{len(s)}:{s},{len(time_utc)}:{time_utc},{len(kind)}:{kind},{a},{t},"
        f"{len(payload_text)}:{payload_text},{len(p)}:{p},"
    ).encode()


def _head_message(seq: int, hash_: bytes, time_utc: str | None) -> bytes:
    return json.dumps(["head", FORMAT_VERSION, seq, hash_.hex(), time_utc]).encode()


def _checkpoint_message(seq: int, hash_: bytes, time_utc: str) -> bytes:
    return json.dumps(["checkpoint", FORMAT_VERSION, seq, hash_.hex(), time_utc]).encode()


def _raw_time(value: Any) -> str:
    """Canonical time text from a raw driver value.

    SQLite returns the stored text, which IS the canonical form (any changed byte changes the
    hash); PostgreSQL returns an aware datetime, formatted the same way.
    """
    if type(value) is str:
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return canonical_utc(value)
    raise ValueError(f"stored time of unexpected type {type(value).__name__}")


def _bytes(value: Any) -> bytes:
    """Raw bytes of a stored hash (drivers return bytes or memoryview; anything else is wrong)."""
    if isinstance(value, bytes | memoryview):
        return bytes(value)
    raise TypeError(f"stored hash of type {type(value).__name__}")


class AuditChain:
    """Appends to and verifies the chain of one database, with that database's key."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)  # copied per message: no re-keying
        self.binder = RowBinder(key)

    def _mac(self, message: bytes) -> bytes:
        h = self._keyed.copy()
        h.update(message)
        return h.digest()

    def key_matches(self, check: str, database_uuid: str) -> bool:
        return hmac.compare_digest(check, key_check(self._key, database_uuid))

    # -- writing ---------------------------------------------------------------------------

    def lock(self, conn: Connection) -> tuple[int, bytes, datetime | None, datetime]:
        """Take (or confirm) the chain's write lock; return head seq, hash, time and 'now'.

        On PostgreSQL 'now' is the server clock, one time source for all terminals (SEC-06 ③).
        """
        cols = [_HEAD.c.seq, _HEAD.c.hash, _HEAD.c.occurred_at]
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            cols.append(func.clock_timestamp())
        row = conn.execute(select(*cols).where(_HEAD.c.id == 1).with_for_update()).first()
        if row is None:
            raise ChainHeadMissing(
                "the audit chain's head record is missing: nothing can be recorded "
                "(main.py audit verify reports it)"
            )
        now = row[3].astimezone(JST) if postgres else now_tokyo()
        return row[0], bytes(row[1]), row[2], now

    def init_head(self, conn: Connection) -> None:
        """Create the signed empty head (a new database, before its first event)."""
        conn.execute(
            insert(_HEAD).values(
                id=1,
                seq=0,
                hash=GENESIS_HASH,
                occurred_at=None,
                mac=self._mac(_head_message(0, GENESIS_HASH, None)),
            )
        )

    def append(
        self,
        conn: Connection,
        kind: str,
        *,
        actor: str | None,
        terminal_id: str | None,
        payload: Mapping[str, Any],
        at: datetime | None = None,
    ) -> ChainHead:
        """Append one event inside the caller's transaction (which commits it with its cause)."""
        return self.append_many(conn, [NewEvent(kind, actor, terminal_id, payload)], at=at)

    def append_many(
        self, conn: Connection, events: Iterable[NewEvent], *, at: datetime | None = None
    ) -> ChainHead:
        """Append events in order; ``at`` overrides the clock (imports, tests, benchmarks).

        Times never go backwards along the chain (a clock stepping back is clamped to the head's
        time), so "the head as of the end of a day" never changes once the day is over.
        """
        seq, prev, head_time, now = self.lock(conn)
        moment = at or now
        if head_time is not None and moment < head_time:
            moment = head_time
        time_utc = canonical_utc(moment)
        rows = []
        for ev in events:
            seq += 1
            payload_text = canonical_payload(ev.payload)
            body = canonical_event(
                seq, time_utc, ev.kind, ev.actor, ev.terminal_id, payload_text, prev
            )
            digest = hashlib.sha256(body).digest()
            rows.append(
                {
                    "seq": seq,
                    "occurred_at": moment,
                    "kind": ev.kind,
                    "actor": ev.actor,
                    "terminal_id": ev.terminal_id,
                    "payload": payload_text,
                    "prev_hash": prev,
                    "hash": digest,
                    "mac": self._mac(body),
                }
            )
            prev = digest
        if not rows:
            return ChainHead(seq, prev.hex(), head_time)
        conn.execute(insert(_EVENTS), rows)
        conn.execute(
            update(_HEAD)
            .where(_HEAD.c.id == 1)
            .values(
                seq=seq,
                hash=prev,
                occurred_at=moment,
                mac=self._mac(_head_message(seq, prev, time_utc)),
            )
        )
        return ChainHead(seq, prev.hex(), moment.astimezone(JST))

    def checkpoint(self, conn: Connection, seq: int, hash_: bytes, time: datetime) -> None:
        """Leave a signed anchor at ``seq`` (before a purge deletes it and everything older)."""
        conn.execute(
            insert(_CHECKPOINTS).values(
                up_to_seq=seq,
                up_to_hash=hash_,
                up_to_time=time,
                created_at=now_tokyo(),
                mac=self._mac(_checkpoint_message(seq, hash_, canonical_utc(time))),
            )
        )

    # -- verifying ---------------------------------------------------------------------------

    def verify(self, conn: Connection, *, parallel: ParallelVerify | None = None) -> VerifyResult:
        """Walk the chain and the signed head; name the first missing/altered/forged event; then
        compare every bound row with its latest event (storage.binding) and name table, id, field.

        Run it in ONE snapshot (SQLite read transaction, PostgreSQL REPEATABLE READ): an event
        beyond the signed head is then a forgery, not a concurrent append. With ``parallel``,
        seq ranges are checked by worker processes; each range starts from the stored hash of
        the event before it, so the lowest broken event found is exactly the sequential answer.
        """
        head_row = conn.execute(
            text("SELECT seq, hash, occurred_at, mac FROM audit_head WHERE id = 1")
        ).first()
        if head_row is None:
            return VerifyResult(False, 0, 1, "the chain head record is missing")
        h_seq = head_row[0]
        try:
            h_hash, h_mac = _bytes(head_row[1]), _bytes(head_row[3])
            h_time = None if head_row[2] is None else _raw_time(head_row[2])
            head_ok = hmac.compare_digest(h_mac, self._mac(_head_message(h_seq, h_hash, h_time)))
        except _MALFORMED:
            head_ok = False
        if not head_ok:
            return VerifyResult(False, 0, h_seq, "chain head record altered (MAC mismatch)")
        head = ChainHead(h_seq, h_hash.hex(), _parse_canonical(h_time))
        # Permits live only inside a purge's transaction: one seen committed is forged.
        permit = conn.execute(text("SELECT MIN(up_to_seq) FROM audit_purge_permits")).scalar()
        if permit is not None:
            return VerifyResult(False, 0, permit, "purge permit outside a purge (forged?)", head)

        anchor: tuple[int, bytes] | None = None
        for cp_seq, cp_raw_hash, cp_time, cp_mac in conn.execute(
            text(
                "SELECT up_to_seq, up_to_hash, up_to_time, mac "
                "FROM audit_checkpoints ORDER BY up_to_seq"
            )
        ):
            try:
                cp_hash = _bytes(cp_raw_hash)
                msg = _checkpoint_message(cp_seq, cp_hash, _raw_time(cp_time))
                cp_ok = hmac.compare_digest(_bytes(cp_mac), self._mac(msg))
            except _MALFORMED:
                cp_ok = False
            if not cp_ok:
                return VerifyResult(False, 0, cp_seq, "retention checkpoint altered or forged")
            anchor = (cp_seq, cp_hash)
        anchor_seq = anchor[0] if anchor else None

        def broken(checked: int, seq: int, problem: str) -> VerifyResult:
            return VerifyResult(False, checked, seq, problem, head, anchor_seq)

        # The chain starts right after the latest checkpoint, or at 1 with the genesis hash.
        start, prev = (anchor[0] + 1, anchor[1]) if anchor else (1, GENESIS_HASH)
        first = conn.execute(text("SELECT MIN(seq) FROM audit_events")).scalar()
        if first == 1:
            start, prev = 1, GENESIS_HASH
        elif first is not None and first != start:
            return broken(0, start, f"event missing (first stored event is {first})")
        if h_seq >= start:
            if parallel is not None and h_seq - start >= parallel.min_events:
                walked = parallel.run(self._key, start, h_seq, prev, anchor, conn)
                if walked.broken_seq is not None and not parallel.held():  # a commit since
                    walked = self.walk(_rows(conn, start, h_seq), start, h_seq, prev, anchor)
            else:
                walked = self.walk(_rows(conn, start, h_seq), start, h_seq, prev, anchor)
            if walked.broken_seq is not None:
                return broken(walked.checked, walked.broken_seq, walked.problem or "")
            checked, last_hash = walked.checked, walked.last_hash
        else:
            checked, last_hash = 0, prev
        beyond = conn.execute(
            text("SELECT MIN(seq) FROM audit_events WHERE seq > :h"), {"h": h_seq}
        ).scalar()
        if beyond is not None:
            return broken(checked, beyond, "event beyond the signed chain head (forged?)")
        if h_seq > 0 and last_hash != h_hash:
            return broken(checked, h_seq, "does not match the signed head")
        stored = conn.execute(
            text(_STORED + (" NOT INDEXED" if conn.dialect.name == "sqlite" else ""))
        ).scalar()
        if stored != checked:  # e.g. a NULL seq: no walk reads it, the row check would
            return broken(checked, h_seq, f"{stored - checked} events outside the chain (forged?)")
        rows = None
        if parallel is not None and h_seq - start >= parallel.min_events:
            rows = verify_parallel(
                parallel.url,
                parallel.password,
                self._key,
                parallel.sqlite_path,
                h_seq,
                h_hash,
                parallel.exported(conn),
            )
            if rows is not None and not parallel.held():
                rows = None  # a commit since this snapshot began: the jobs may have read it
        if rows is None:  # in this snapshot (also when an event came since the walk)
            rows = self.binder.verify(conn)
        locks = lock_problems(conn)  # the lock is held against the chain (storage.login_locks)
        if locks:
            problems = (*rows.problems, *locks)[:MAX_PROBLEMS]
            rows = RowsChecked(False, rows.checked, problems, rows.count + len(locks))
        if not rows.ok:
            first = rows.problems[0]
            more = f" (and {rows.count - 1} more rows)" if rows.count > 1 else ""
            return VerifyResult(
                False, checked, first.seq, f"{first.describe()}{more}", head, anchor_seq, rows
            )
        return VerifyResult(True, checked, head=head, anchor_seq=anchor_seq, rows=rows)

    def walk(
        self,
        rows: Iterable[tuple[Any, ...]],
        start: int,
        end: int,
        prev: bytes,
        anchor: tuple[int, bytes] | None,
    ) -> Walked:
        """Check events start..end (raw rows in seq order) against each other and the key."""
        expected_seq, expected_prev, checked = start, prev, 0
        for row in rows:
            seq = row[0]
            if seq != expected_seq:
                return Walked(checked, expected_seq, f"event missing (next stored is {seq})")
            try:
                problem, expected_prev = self._check(row, expected_prev, anchor)
            except _MALFORMED as exc:
                problem = f"stored field malformed ({exc})"
            if problem is not None:
                return Walked(checked, seq, problem)
            checked += 1
            expected_seq = seq + 1
        if expected_seq <= end:
            return Walked(checked, expected_seq, f"event missing (the signed head is {end})")
        return Walked(checked, None, None, expected_prev)

    def _check(
        self, row: Any, expected_prev: bytes, anchor: tuple[int, bytes] | None
    ) -> tuple[str | None, bytes]:
        """(problem or None, this event's hash) for one raw row (hot loop: kept lean)."""
        seq, raw_time, kind, actor, terminal, payload, prev, stored_hash, stored_mac = row
        if type(prev) is not bytes:
            prev = _bytes(prev)
        if type(raw_time) is not str:
            raw_time = _raw_time(raw_time)
        body = canonical_event(seq, raw_time, kind, actor, terminal, payload, prev)
        digest = _sha256(body).digest()
        if digest != stored_hash:
            return "content does not match its hash (altered)", digest
        if prev != expected_prev:
            return "does not link to the previous event", digest
        mac = self._keyed.copy()
        mac.update(body)
        if not hmac.compare_digest(mac.digest(), _bytes(stored_mac)):
            return "MAC invalid (forged or altered)", digest
        if anchor is not None and seq == anchor[0] and digest != anchor[1]:
            return "does not match the retention checkpoint", digest
        return None, digest


@dataclass(frozen=True, slots=True)
class Walked:
    """Result of checking one seq range."""

    checked: int
    broken_seq: int | None
    problem: str | None
    last_hash: bytes = b""


_RANGE_SQL = (
    "SELECT seq, occurred_at, kind, actor, terminal_id, payload, prev_hash, hash, mac "
    "FROM audit_events WHERE seq >= {0} AND seq <= {0} ORDER BY seq"
)
_RANGE_SQL_SQLITE = _RANGE_SQL.format("?")
#: Every stored event, read from the table itself on SQLite (an index may not list them all):
#: the row check reads the events' entries, so they must be exactly the ones walked.
_STORED = "SELECT count(*) FROM audit_events"
_RANGE_SQL_PG = _RANGE_SQL.format("%s")


def _rows(conn: Connection, start: int, end: int) -> Iterator[tuple[Any, ...]]:
    """Raw driver tuples of events start..end in seq order, streamed (PostgreSQL: a server-side
    cursor). The DBAPI cursor runs in the caller's transaction and skips SQLAlchemy's row
    objects: verify reads a million rows."""
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    postgres = conn.dialect.name == "postgresql"
    cursor = dbapi.cursor(name="madoguchi_verify") if postgres else dbapi.cursor()
    try:
        cursor.execute(_RANGE_SQL_PG if postgres else _RANGE_SQL_SQLITE, (start, end))
        while batch := cursor.fetchmany(_VERIFY_BATCH):
            yield from batch
    finally:
        cursor.close()


@dataclass(frozen=True, slots=True)
class ParallelVerify:
    """Verify seq ranges in worker processes (:mod:`storage.workers`; a million events on a
    multi-core clinic PC).

    ``url`` must be usable without the keyring (the PostgreSQL password is passed to the
    workers over their pipe with the key, never through files or command lines).
    """

    url: str
    password: str | None
    workers: int
    min_events: int = 200_000
    #: The database file, when it is SQLite (the row check reads it without SQLAlchemy).
    sqlite_path: str | None = None
    #: The caller's snapshot for the jobs (None: each job reads its own, unwatched).
    shared: SharedSnapshot | None = None

    def exported(self, conn: Connection) -> str | None:
        """The snapshot of ``conn`` (the caller's) for the jobs to import, if one can be."""
        return None if self.shared is None else self.shared.export(conn)

    def held(self) -> bool:
        """Whether the jobs read the caller's snapshot (:class:`SharedSnapshot`)."""
        return self.shared is None or self.shared.held()

    def run(  # noqa: PLR0917  (a walk's bounds, field by field)
        self,
        key: bytes,
        start: int,
        end: int,
        prev: bytes,
        anchor: tuple[int, bytes] | None,
        conn: Connection,
    ) -> Walked:
        """Walk events start..end in the jobs (``conn``: the caller's, whose snapshot they
        import where they can)."""
        span = end - start + 1
        bounds = [start + span * i // self.workers for i in range(self.workers + 1)]
        ranges = [(bounds[i], bounds[i + 1] - 1) for i in range(self.workers)]
        common = {"url": self.url, "password": self.password, "key": key.hex()}
        common["snapshot"] = self.exported(conn)
        common["anchor"] = None if anchor is None else [anchor[0], anchor[1].hex()]
        answers = workers.run(
            [
                (
                    "walk",
                    {**common, "start": lo, "end": hi, "prev": prev.hex() if lo == start else None},
                )
                for lo, hi in ranges
            ]
        )
        results = [
            Walked(a["checked"], a["broken_seq"], a["problem"], bytes.fromhex(a["last_hash"]))
            for a in answers
        ]
        broken = [r for r in results if r.broken_seq is not None]
        if broken:
            first = min(broken, key=lambda r: r.broken_seq or 0)
            return Walked((first.broken_seq or start) - start, first.broken_seq, first.problem)
        return Walked(sum(r.checked for r in results), None, None, results[-1].last_hash)


def walk_range(request: dict[str, Any]) -> dict[str, Any]:
    """The ``walk`` job of :mod:`storage.workers`: check events start..end in one snapshot;
    the link into the range is the stored hash of event start-1 unless ``prev`` is given (if
    that event is wrong, a lower range reports it first)."""
    start, end = request["start"], request["end"]
    anchor = request["anchor"] and (request["anchor"][0], bytes.fromhex(request["anchor"][1]))
    with worker_snapshot(request["url"], request["password"], request.get("snapshot")) as conn:
        if request["prev"] is not None:
            prev = bytes.fromhex(request["prev"])
        elif (stored := _stored_hash(conn, start - 1)) is not None:
            prev = stored
        else:
            return {
                "checked": 0,
                "broken_seq": start - 1,
                "problem": "event missing",
                "last_hash": "",
            }
        chain = AuditChain(bytes.fromhex(request["key"]))
        walked = chain.walk(_rows(conn, start, end), start, end, prev, anchor)
    return {
        "checked": walked.checked,
        "broken_seq": walked.broken_seq,
        "problem": walked.problem,
        "last_hash": walked.last_hash.hex(),
    }


def _stored_hash(conn: Connection, seq: int) -> bytes | None:
    stored = conn.execute(text("SELECT hash FROM audit_events WHERE seq = :s"), {"s": seq}).scalar()
    return None if stored is None else bytes(stored)


def head_as_of_day(conn: Connection, day: date) -> ChainHead | None:
    """The last event at or before the end of Tokyo day ``day`` (None if the chain is younger).

    Times are monotone along the chain, so this never changes once the day is over: a past
    day's log reprints with the same head.
    """
    _, end = day_bounds_utc(day)
    row = conn.execute(
        select(_EVENTS.c.seq, _EVENTS.c.hash, _EVENTS.c.occurred_at)
        .where(_EVENTS.c.occurred_at < end)
        .order_by(_EVENTS.c.occurred_at.desc(), _EVENTS.c.seq.desc())
        .limit(1)
    ).first()
    return None if row is None else ChainHead(row[0], bytes(row[1]).hex(), row[2])


def _parse_canonical(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC).astimezone(JST)
