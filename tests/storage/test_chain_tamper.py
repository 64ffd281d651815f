"""Changing any single field or byte of any stored event makes verify fail at exactly that event.

The attacker has database access: triggers are bypassed the way such a person would (SQLite:
drop them inside the transaction; PostgreSQL: session_replication_role = replica as superuser).
Each tamper runs in a transaction that verify sees and that is rolled back afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, text

from storage.chain import AuditChain, NewEvent
from storage.engine import write_connection
from storage.records import StaffInfo
from storage.secrets import load_chain_key
from storage.store import Store
from tests.storage.conftest import SQLITE_ONLY, run_main

COLUMNS = (
    "seq",
    "occurred_at",
    "kind",
    "actor",
    "terminal_id",
    "payload",
    "prev_hash",
    "hash",
    "mac",
)


@pytest.fixture
def chain_store(store: Store, admin: StaffInfo) -> Store:
    """A chain with varied events: NULL actor/terminal, Japanese and escaped payload text."""
    chain = AuditChain(load_chain_key(store.database_uuid))
    with write_connection(store.engine) as conn:
        chain.lock(conn)
        chain.append_many(
            conn,
            [
                NewEvent("probe", None, None, {"note": "改ざん検知", "quote": 'a"b\\c', "n": 1}),
                NewEvent("probe", "sato", "pc-2", {"list": [1, 2, 3], "empty": {}}),
            ],
        )
    store.append_event("probe", admin, {"last": True})
    assert store.verify_chain().ok
    return store


@contextmanager
def attacker(store: Store) -> Iterator[Connection]:
    with store.engine.connect() as conn:
        conn.begin()
        if store.dialect == "sqlite":
            for (name,) in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            ).all():
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
        else:
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        try:
            yield conn
        finally:
            conn.rollback()


def raw_row(conn: Connection, seq: int) -> dict[str, object]:
    row = conn.execute(
        text(f"SELECT {', '.join(COLUMNS)} FROM audit_events WHERE seq = :s"), {"s": seq}
    ).one()
    return dict(zip(COLUMNS, row, strict=True))


def flip(value: str, i: int) -> str:
    c = value[i]
    repl = ("1" if c == "0" else "0") if c in "0123456789abcdef" else ("y" if c == "x" else "x")
    return value[:i] + repl + value[i + 1 :]


def flip_bit(value: bytes, i: int) -> bytes:
    return value[:i] + bytes([value[i] ^ 0x01]) + value[i + 1 :]


def mutations(row: dict[str, object]) -> Iterator[tuple[str, object]]:
    """One change per field: a different char/digit, NULL ↔ value, a shifted time or seq."""
    for col in COLUMNS:
        value = row[col]
        if col == "seq":
            yield col, int(value) + 1000  # type: ignore[arg-type]
        elif isinstance(value, datetime):
            yield col, value + timedelta(microseconds=1)
        elif value is None:
            yield col, "x"
        elif isinstance(value, bytes | memoryview):
            yield col, flip_bit(bytes(value), len(value) // 2)
        else:
            assert isinstance(value, str)
            yield col, flip(value, len(value) // 2)
            if col in ("actor", "terminal_id"):
                yield col, None


def broken_at(store: Store, conn: Connection) -> int | None:
    return store.verify_chain(conn).first_broken_seq


def update(conn: Connection, seq: int, col: str, value: object) -> None:
    conn.execute(text(f"UPDATE audit_events SET {col} = :v WHERE seq = :s"), {"v": value, "s": seq})


def test_every_field_of_every_event(chain_store: Store) -> None:
    head = chain_store.verify_chain().head
    assert head is not None
    for seq in range(1, head.seq + 1):
        with attacker(chain_store) as conn:
            row = raw_row(conn, seq)
        for col, value in mutations(row):
            with attacker(chain_store) as conn:
                update(conn, seq, col, value)
                assert broken_at(chain_store, conn) == seq, (seq, col, value)
    assert chain_store.verify_chain().ok


def test_every_character_of_one_event(chain_store: Store) -> None:
    seq = 2  # NULL actor/terminal, Japanese payload
    with attacker(chain_store) as conn:
        row = raw_row(conn, seq)
    for col in ("occurred_at", "kind", "payload", "prev_hash", "hash", "mac"):
        value = row[col]
        if isinstance(value, datetime):  # PostgreSQL: every unit of the timestamp
            variants = [
                value + timedelta(microseconds=1),
                value - timedelta(seconds=1),
                value + timedelta(days=31),
                value.astimezone(UTC) + timedelta(hours=1),
            ]
        elif isinstance(value, bytes | memoryview):  # hashes: every bit of every byte
            raw = bytes(value)
            variants = [
                raw[:i] + bytes([raw[i] ^ (1 << b)]) + raw[i + 1 :]
                for i in range(len(raw))
                for b in range(8)
            ]
        else:
            assert isinstance(value, str)
            variants = [flip(value, i) for i in range(len(value))]
        for variant in variants:
            with attacker(chain_store) as conn:
                update(conn, seq, col, variant)
                assert broken_at(chain_store, conn) == seq, (col, variant)


@SQLITE_ONLY  # PostgreSQL refuses invalid UTF-8 in a text column outright
def test_raw_bytes_of_a_sqlite_payload(chain_store: Store) -> None:
    with attacker(chain_store) as conn:
        payload = raw_row(conn, 2)["payload"]
    data = str(payload).encode()
    for i in range(len(data)):
        tampered = flip_bit(data, i)
        with attacker(chain_store) as conn:
            update(conn, 2, "payload", tampered)  # stored as a BLOB or other text
            assert broken_at(chain_store, conn) == 2, i


def test_deleted_inserted_and_truncated_events(chain_store: Store) -> None:
    head = chain_store.verify_chain().head
    assert head is not None
    for seq in (1, 3, head.seq):
        with attacker(chain_store) as conn:
            conn.execute(text("DELETE FROM audit_events WHERE seq = :s"), {"s": seq})
            assert broken_at(chain_store, conn) == seq
    with attacker(chain_store) as conn:
        row = raw_row(conn, head.seq)
        forged = dict(
            row, seq=head.seq + 1, prev_hash=row["hash"], hash=b"\xff" * 32, mac=b"\xee" * 32
        )
        conn.execute(
            text(
                f"INSERT INTO audit_events ({', '.join(COLUMNS)}) VALUES "
                f"({', '.join(':' + c for c in COLUMNS)})"
            ),
            forged,
        )
        assert broken_at(chain_store, conn) == head.seq + 1
    with attacker(chain_store) as conn:
        conn.execute(text("DELETE FROM audit_events"))
        assert broken_at(chain_store, conn) == 1
    with attacker(chain_store) as conn:
        conn.execute(text("UPDATE audit_head SET seq = seq - 1"))
        assert broken_at(chain_store, conn) == head.seq - 1


def test_triggers_refuse_update_and_delete(chain_store: Store) -> None:
    for statement in (
        "UPDATE audit_events SET kind = 'x' WHERE seq = 2",
        "DELETE FROM audit_events WHERE seq = 2",
        "INSERT INTO audit_events (seq, occurred_at, kind, payload, prev_hash, hash, mac) "
        "SELECT seq + 100, occurred_at, kind, payload, 'p', 'h', mac "
        "FROM audit_events WHERE seq = 2",
    ):
        with (
            chain_store.engine.connect() as conn,
            pytest.raises(Exception, match=r"append-only|extend"),
        ):
            conn.execute(text(statement))
    if chain_store.dialect == "postgresql":
        with chain_store.engine.connect() as conn, pytest.raises(Exception, match="append-only"):
            conn.execute(text("TRUNCATE audit_events"))
    assert chain_store.verify_chain().ok


def test_cli_names_the_broken_event(chain_store: Store, db_url: str) -> None:
    ok = run_main("audit", "verify", "--db", db_url)
    assert ok.returncode == 0 and "OK:" in ok.stdout
    with attacker(chain_store) as conn:
        update(conn, 3, "payload", '{"list":[1,2,4],"empty":{}}')
        conn.commit()
    chain_store.engine.dispose()
    bad = run_main("audit", "verify", "--db", db_url)
    assert bad.returncode == 1, bad.stderr
    assert "BROKEN at event 3" in bad.stdout
