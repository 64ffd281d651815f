"""The chain head and purge permits are guarded, and this PC's witness (OS keyring) catches a
database rolled back, truncated or replaced by an older copy, which verifies on its own."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from subprocess import CompletedProcess

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from storage import secrets
from storage.engine import write_connection
from storage.errors import ChainRolledBack, InvalidInput, PermissionDenied
from storage.models import StaffRole
from storage.records import NewPatient, StaffInfo
from storage.restore import restore
from storage.store import Store
from tests.storage.conftest import ADMIN_PASSWORD, SQLITE_ONLY, run_main
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
def test_after_an_older_copy_nothing_is_appended_until_an_admin_decides(
    store: Store, admin: StaffInfo, tmp_path: Path
) -> None:
    """The file replaced by an older copy: caught at start, every write refused (logins still
    recorded), then an administrator's reasoned decision, an event of its own, re-bases the
    witness and appending resumes — also after reopening."""
    store.create_staff(admin, "uketsuke", "受付 花子", StaffRole.RECEPTION, "init-pass-1")
    copy = backed_up_then_moved_on(store, admin, tmp_path)
    seen = json.loads(secrets.load_witness(store.database_uuid) or "{}")
    live = Path(store.engine.url.database or "")
    put_back(copy, live)
    reopened = Store.open(str(live), terminal_id="test-pc", backup_dir=tmp_path / "b")
    try:
        assert "rolled back or truncated" in (reopened.witness_problem or "")
        assert not reopened.verify_chain().ok
        events = event_count(reopened)
        with pytest.raises(ChainRolledBack, match="administrator records a decision"):
            reopened.create_patient(admin, NewPatient("P9", "架空 九郎", "カクウ クロウ"))
        with pytest.raises(ChainRolledBack):
            reopened.backup(tmp_path / "refused.sqlite3", admin)
        assert not (tmp_path / "refused.sqlite3").exists()
        assert reopened.find_patients("P9") == [] and event_count(reopened) == events
        staff = reopened.authenticate("admin", ADMIN_PASSWORD)  # a login is still recorded
        assert staff is not None and event_count(reopened) == events + 1
        clerk = next(s for s in reopened.list_staff() if s.username == "uketsuke")
        with pytest.raises(PermissionDenied):
            reopened.accept_restored_chain(clerk, "受付が決めた")
        for empty in ("", "  ", "\u202e\x07\u200b"):
            with pytest.raises(InvalidInput, match="reason"):
                reopened.accept_restored_chain(staff, empty)
        head = reopened.accept_restored_chain(
            staff, "院長判断：12/1 のバックアップに戻した\u202e\x07 番号 1234 5678 9012"
        )
        payload = last_payload(reopened, "chain_rollback_accepted")
        assert payload["reason"].startswith("院長判断：12/1 のバックアップに戻した 番号")
        assert "9012" not in payload["reason"] and "\u202e" not in payload["reason"]
        assert (payload["seen_seq"], payload["seen_hash"]) == (seen["seq"], seen["hash"])
        assert "rolled back or truncated" in payload["problem"]
        assert reopened.witness_problem is None and reopened.verify_chain().ok
        reopened.create_patient(staff, NewPatient("P9", "架空 九郎", "カクウ クロウ"))
        assert json.loads(secrets.load_witness(store.database_uuid) or "{}")["seq"] > head.seq
        with pytest.raises(InvalidInput, match="no rolled-back chain"):
            reopened.accept_restored_chain(staff, "もう一度")
    finally:
        reopened.close()
    again = Store.open(str(live), terminal_id="test-pc", backup_dir=tmp_path / "b")
    try:
        assert again.witness_problem is None and again.verify_chain().ok
    finally:
        again.close()


def cut_tail_behind_witness(store: Store, events: int = 3) -> int:
    """Under a running store: ``events`` more appended (this PC's witness follows them), then
    cut off with the older head copied back, as someone with write access to the database would
    (guards dropped). Returns the seq the chain now ends at."""
    with store.engine.connect() as conn:
        old = head_row(conn)
    for n in range(events):
        store.append_event("probe", None, {"n": n})
    with attacker(store) as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq > :s"), {"s": old[0]})
        conn.execute(
            text("UPDATE audit_head SET seq = :a, hash = :b, occurred_at = :c, mac = :d"),
            dict(zip("abcd", old, strict=True)),
        )
        conn.commit()
    return int(old[0])  # type: ignore[call-overload]


def test_a_tail_cut_under_a_running_store_stops_its_next_write(
    chain_store: Store,  # noqa: F811
) -> None:
    end = cut_tail_behind_witness(chain_store)
    with pytest.raises(ChainRolledBack, match="rolled back or truncated"):
        chain_store.append_event("after", None, {"n": 1})
    assert event_count(chain_store) == end  # the refused write left nothing


@SQLITE_ONLY
def test_verify_names_the_event_where_the_chain_parts_from_what_this_pc_saw(
    store: Store, admin: StaffInfo, tmp_path: Path
) -> None:
    copy = backed_up_then_moved_on(store, admin, tmp_path)
    seen = json.loads(secrets.load_witness(store.database_uuid) or "{}")["seq"]
    live = Path(store.engine.url.database or "")
    put_back(copy, live)
    reopened = Store.open(str(live), terminal_id="test-pc", backup_dir=tmp_path / "b")
    try:
        behind = reopened.verify_chain()
        head = behind.head.seq if behind.head else 0
        assert f"this PC has seen event {seen}, the database's chain ends at event {head}" in (
            behind.problem or ""
        )
        assert (behind.first_broken_seq, behind.checked) == (head + 1, head)
        while event_count(reopened) <= seen:  # logins are still recorded: past the mark
            assert reopened.authenticate("admin", ADMIN_PASSWORD) is not None
        replaced = reopened.verify_chain()
        assert f"event {seen} differs from what this PC saw" in (replaced.problem or "")
        assert (replaced.first_broken_seq, replaced.checked) == (seen, seen - 1)
    finally:
        reopened.close()


def event_count(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one())


def last_payload(store: Store, kind: str) -> dict:
    with store.engine.connect() as conn:
        raw = conn.execute(
            text("SELECT payload FROM audit_events WHERE kind = :k ORDER BY seq DESC"), {"k": kind}
        ).first()
    assert raw is not None, kind
    return raw[0] if isinstance(raw[0], dict) else json.loads(raw[0])


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


@SQLITE_ONLY
def test_cli_accept_restored_is_an_admins_recorded_decision(
    store: Store, admin: StaffInfo, db_url: str, tmp_path: Path
) -> None:
    store.create_staff(admin, "uketsuke", "受付 花子", StaffRole.RECEPTION, "init-pass-1")
    clerk = store.authenticate("uketsuke", "init-pass-1")
    assert clerk is not None
    store.change_password(clerk, "uketsuke", "clerk-pass-2", current_password="init-pass-1")
    copy = backed_up_then_moved_on(store, admin, tmp_path)
    put_back(copy, Path(store.engine.url.database or ""))
    as_admin = ("--db", db_url, "--user", "admin")

    def accept(*args: str, stdin: str = ADMIN_PASSWORD + "\n") -> CompletedProcess[str]:
        return run_main("audit", "accept-restored", *args, stdin=stdin)

    refused = run_main("backup", "--out", str(tmp_path / "b.sqlite3"), *as_admin,
                       stdin=ADMIN_PASSWORD + "\n")  # fmt: skip
    assert refused.returncode == 2 and "not as this PC saw it" in refused.stderr
    assert not (tmp_path / "b.sqlite3").exists()
    report = ("report", "daily", "--date", "2026-12-01", "--out", str(tmp_path / "d.pdf"))
    printed = run_main(*report, *as_admin, stdin=ADMIN_PASSWORD + "\n")
    # The way on that can work: an unverified printout could not be recorded either.
    assert printed.returncode == 3 and "audit accept-restored" in printed.stderr, printed.stderr
    assert "--print-unverified" not in printed.stderr
    missing = accept(*as_admin)
    assert missing.returncode == 2 and "--reason" in missing.stderr
    blank = accept(*as_admin, "--reason", " \u202e ")
    assert blank.returncode == 2 and "give the reason" in blank.stderr
    by_clerk = accept("--db", db_url, "--user", "uketsuke", "--reason", "x", stdin="clerk-pass-2\n")
    assert by_clerk.returncode == 2 and "needs an administrator" in by_clerk.stderr
    for bad in (missing, blank, by_clerk):
        assert "Traceback" not in bad.stderr and "error: " in bad.stderr.splitlines()[-1]
    done = accept(*as_admin, "--reason", "院長判断：前日のコピーに戻したことを確認")
    assert done.returncode == 0, done.stderr
    assert "accepted by admin as event" in done.stdout and "recording resumes" in done.stdout
    verified = run_main("audit", "verify", "--db", db_url)
    assert verified.returncode == 0 and verified.stdout.startswith("OK:"), verified.stdout
    again = accept(*as_admin, "--reason", "もう一度")
    assert again.returncode == 2 and "no rolled-back chain to accept" in again.stderr
