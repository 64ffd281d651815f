"""The chain head and purge permits are guarded, and this PC's witness (OS keyring) catches a
database rolled back, truncated or replaced by an older copy, which verifies on its own."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from storage import secrets
from storage.engine import write_connection
from storage.records import StaffInfo
from storage.restore import restore
from storage.store import Store
from tests.storage.conftest import SQLITE_ONLY, run_main
from tests.storage.test_chain_tamper import attacker, chain_store  # noqa: F401 (fixture)

HEAD_COLS = "seq, hash, occurred_at, mac"


def head_row(conn: Connection) -> tuple[object, ...]:
    return tuple(conn.execute(text(f"SELECT {HEAD_COLS} FROM audit_head")).one())


def test_the_database_refuses_an_older_head_and_a_permit_without_checkpoint(
    chain_store: Store,  # noqa: F811
) -> None:
    with chain_store.engine.connect() as conn:
        old = head_row(conn)
    chain_store.append_event("probe", None, {"n": 2})
    for statement, params in (
        (
            "UPDATE audit_head SET seq = :seq, hash = :hash, occurred_at = :occurred_at, "
            "mac = :mac",
            dict(zip(("seq", "hash", "occurred_at", "mac"), old, strict=True)),
        ),
        ("DELETE FROM audit_head", {}),
        ("INSERT INTO audit_purge_permits (up_to_seq) VALUES (2)", {}),
    ):
        with pytest.raises(DBAPIError), write_connection(chain_store.engine) as conn:
            conn.execute(text(statement), params)
    assert chain_store.verify_chain().ok


def test_a_forged_permit_does_not_verify(chain_store: Store) -> None:  # noqa: F811
    with attacker(chain_store) as conn:
        conn.execute(text("INSERT INTO audit_purge_permits (up_to_seq) VALUES (3)"))
        result = chain_store.verify_chain(conn)
    assert not result.ok and "purge permit" in (result.problem or "")


def test_a_cut_tail_with_an_older_head_copied_back_is_caught_by_the_witness(
    chain_store: Store,  # noqa: F811
) -> None:
    with chain_store.engine.connect() as conn:
        old = head_row(conn)
    for n in range(3):
        chain_store.append_event("probe", None, {"n": n})
    with attacker(chain_store) as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq > :s"), {"s": old[0]})
        conn.execute(
            text("UPDATE audit_head SET seq = :a, hash = :b, occurred_at = :c, mac = :d"),
            dict(zip("abcd", old, strict=True)),
        )
        alone = chain_store.verify_chain(conn, witness=False)
        witnessed = chain_store.verify_chain(conn)
    assert alone.ok  # consistent inside the database: only the witness can tell
    assert not witnessed.ok and "rolled back or truncated" in (witnessed.problem or "")
    assert witnessed.first_broken_seq == int(old[0]) + 1  # type: ignore[call-overload]


def test_an_altered_witness_is_reported(chain_store: Store) -> None:  # noqa: F811
    mark = json.loads(secrets.load_witness(chain_store.database_uuid) or "{}")
    assert mark["seq"] == 5  # advanced by the store's own append of the last event
    secrets.store_witness(chain_store.database_uuid, json.dumps(dict(mark, seq=2)))
    result = chain_store.verify_chain()
    assert not result.ok and "altered" in (result.problem or "")


def backed_up_then_moved_on(store: Store, admin: StaffInfo, tmp_path: Path) -> Path:
    """A backup, three events more (the witness follows them), the store closed."""
    backup = store.backup(tmp_path / "old.sqlite3", admin).path
    for n in range(3):
        store.append_event("probe", admin, {"n": n})
    store.close()
    return backup


def put_back(copy: Path, live: Path) -> None:
    """Replace the database file by an older copy, as someone with file access would."""
    for extra in ("-wal", "-shm"):
        Path(f"{live}{extra}").unlink(missing_ok=True)
    shutil.copyfile(copy, live)


@SQLITE_ONLY
def test_an_older_copy_of_the_file_is_caught_at_start_and_by_verify(
    store: Store, admin: StaffInfo, tmp_path: Path
) -> None:
    copy = backed_up_then_moved_on(store, admin, tmp_path)
    live = Path(store.engine.url.database or "")
    put_back(copy, live)
    reopened = Store.open(str(live), terminal_id="test-pc", backup_dir=tmp_path / "b")
    try:
        assert "rolled back or truncated" in (reopened.witness_problem or "")
        assert not reopened.verify_chain().ok
        for n in range(5):  # writing on past the mark: the history now diverges
            reopened.append_event("after", None, {"n": n})
        result = reopened.verify_chain()
        assert not result.ok and "differs from what this PC saw" in (result.problem or "")
    finally:
        reopened.close()


@SQLITE_ONLY
def test_a_restore_is_the_recorded_step_back_the_witness_accepts(
    store: Store, admin: StaffInfo, tmp_path: Path
) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    backup = backed_up_then_moved_on(store, admin, tmp_path)
    restore(url, backup, terminal_id="test-pc")
    after = Store.open(url, terminal_id="test-pc", backup_dir=tmp_path / "bk")
    try:
        assert after.witness_problem is None and after.verify_chain().ok
    finally:
        after.close()


@SQLITE_ONLY
def test_cli_audit_verify_names_a_replaced_file(
    store: Store, admin: StaffInfo, db_url: str, tmp_path: Path
) -> None:
    copy = backed_up_then_moved_on(store, admin, tmp_path)
    live = Path(store.engine.url.database or "")
    put_back(copy, live)
    proc = run_main("audit", "verify", "--db", db_url)
    assert proc.returncode == 1 and "rolled back or truncated" in proc.stdout, proc.stdout
