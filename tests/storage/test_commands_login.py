"""The command line's login (storage/commands.py): each command that reveals or changes data, keys
or backups refuses without a staff login, with a wrong password or with the wrong role -- one line,
exit 2, nothing done -- runs with the right one and is recorded in the chain under that staff
member. The password comes from the terminal (here piped on stdin, as a script gives it), never
from argv, and shows in no output and no byte of the database. In-process through
``main.main`` on the suite's real databases, and once as a real subprocess.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keyring
import pytest
from sqlalchemy import text

import main
from storage import settings_keys
from storage.engine import password_key, resolve_url, sqlite_path
from storage.models import StaffRole
from storage.records import StaffInfo
from storage.secrets import SERVICE, chain_key_name
from storage.store import AuditKind, Store
from storage.timeutil import now_tokyo
from tests.storage.conftest import (
    ADMIN_PASSWORD,
    ADMIN_STDIN,
    AS_ADMIN,
    POSTGRES_ONLY,
    SQLITE_ONLY,
    run_main,
)

RECEPTION_PASSWORD = "uketsuke-pass-7"
WRONG_PASSWORD = "not-the-password-3"
AS_RECEPTION = ("--user", "uketsuke")


@pytest.fixture
def reception(store: Store, admin: StaffInfo) -> StaffInfo:
    """A reception account that has changed its initial password (as the window makes it)."""
    store.create_staff(admin, "uketsuke", "受付 一", StaffRole.RECEPTION, "initial-pass-9")
    first = store.authenticate("uketsuke", "initial-pass-9")
    assert first is not None
    store.change_password(first, "uketsuke", RECEPTION_PASSWORD, current_password="initial-pass-9")
    return store.staff_info(first.id)


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Ran]:
    """``main.main(argv)`` with ``stdin`` piped (not a terminal: one line is read per answer)."""

    def run(*argv: str, stdin: str = "") -> Ran:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        try:
            code = main.main(list(argv))
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 2
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    return run


def events(store: Store, kind: str) -> list[tuple[str | None, dict[str, object]]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT actor, payload FROM audit_events WHERE kind = :k ORDER BY seq"),
            {"k": kind},
        )
        return [(actor, json.loads(payload)) for actor, payload in rows]


def assert_refused(ran: Ran, *words: str) -> None:
    assert ran.code == 2 and ran.out == "", ran
    lines = ran.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "nothing done" in lines[0]
    assert all(w in lines[0] for w in words), lines[0]
    assert "Traceback" not in ran.err


def database_bytes(db_url: str) -> bytes:
    path = sqlite_path(resolve_url(db_url))
    assert path is not None
    return b"".join(
        p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal")) if p.exists()
    )


@dataclass(frozen=True)
class Protected:
    argv: Callable[[Path], list[str]]
    admin: bool
    kind: str


TODAY = now_tokyo().date().isoformat()
PROTECTED = {
    "audit key-export": Protected(
        lambda out: ["audit", "key-export", "--out", str(out)], True, AuditKind.CHAIN_KEY_EXPORTED
    ),
    "backup": Protected(lambda out: ["backup", "--out", str(out)], True, AuditKind.BACKUP_CREATED),
    "report daily": Protected(
        lambda out: ["report", "daily", "--date", TODAY, "--out", str(out)],
        False,
        AuditKind.EXPORTED,
    ),
    "report monthly": Protected(
        lambda out: ["report", "monthly", "--month", TODAY[:7], "--out", str(out)],
        False,
        AuditKind.EXPORTED,
    ),
    "report declaration": Protected(
        lambda out: ["report", "declaration", "--out", str(out)], False, AuditKind.EXPORTED
    ),
}


@pytest.mark.parametrize("name", PROTECTED)
def test_a_protected_command_needs_the_right_login_and_is_recorded_under_it(
    name: str,
    *,
    store: Store,
    reception: StaffInfo,
    db_url: str,
    tmp_path: Path,
    cli: Callable[..., Ran],
) -> None:
    command = PROTECTED[name]
    out = tmp_path / "out" / "file.pdf"
    out.parent.mkdir()
    argv = [*command.argv(out), "--db", db_url]
    done_before = len(events(store, command.kind))

    assert_refused(cli(*argv), "needs a login")  # no --user, stdin empty
    assert_refused(cli(*argv, *AS_ADMIN), "no password")  # stdin ends before the password
    failed = len(events(store, AuditKind.LOGIN_FAILED))
    assert_refused(cli(*argv, *AS_ADMIN, stdin=WRONG_PASSWORD + "\n"), "login refused")
    assert len(events(store, AuditKind.LOGIN_FAILED)) == failed + 1
    if command.admin:
        ran = cli(*argv, *AS_RECEPTION, stdin=RECEPTION_PASSWORD + "\n")
        assert_refused(ran, "uketsuke is reception staff", "needs an administrator")
    assert not out.exists() and len(events(store, command.kind)) == done_before

    who, password = ("admin", ADMIN_PASSWORD) if command.admin else ("uketsuke", RECEPTION_PASSWORD)
    ran = cli(*argv, "--user", who, stdin=password + "\n")
    assert ran.code == 0, ran
    assert out.exists()
    actor, _ = events(store, command.kind)[-1]
    assert actor == who  # e.g. "chain_key_exported by admin"
    assert events(store, AuditKind.LOGIN_OK)[-1][0] == who
    assert events(store, AuditKind.LOGOUT)[-1][0] == who
    assert store.verify_chain().ok

    # Without --user the name is asked first (one more line on stdin).
    out.unlink()
    ran = cli(*argv, stdin=f"{who}\n{password}\n")
    assert ran.code == 0 and out.exists(), ran
    seen = ran.out + ran.err
    assert ADMIN_PASSWORD not in seen and RECEPTION_PASSWORD not in seen
    if store.dialect == "sqlite":
        stored = database_bytes(db_url)
        for secret in (ADMIN_PASSWORD, RECEPTION_PASSWORD, WRONG_PASSWORD):
            assert secret.encode() not in stored


@pytest.mark.parametrize("name", PROTECTED)
def test_a_file_that_appears_during_the_login_is_refused_not_replaced(
    name: str,
    *,
    store: Store,
    admin: StaffInfo,
    db_url: str,
    tmp_path: Path,
    cli: Callable[..., Ran],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The commands look for the file before the login (backup after it); one another program
    writes while the password is typed is refused by the exclusive creation, nothing recorded."""
    command = PROTECTED[name]
    out = tmp_path / "out" / "file.pdf"
    out.parent.mkdir()
    theirs = b"written meanwhile by another program"
    authenticate = Store.authenticate

    def another_program_writes(self: Store, *args: object, **kwargs: object) -> object:
        out.write_bytes(theirs)
        return authenticate(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "authenticate", another_program_writes)
    done_before = len(events(store, command.kind))
    ran = cli(*command.argv(out), "--db", db_url, *AS_ADMIN, stdin=ADMIN_STDIN)
    assert ran.code == 2 and ran.out == "" and "Traceback" not in ran.err, ran
    assert ran.err.startswith(f"error: {out} already exists (") and ran.err.count("\n") == 1
    assert out.read_bytes() == theirs and list(out.parent.iterdir()) == [out]
    assert len(events(store, command.kind)) == done_before


def test_a_reception_report_accepts_an_admin_but_no_initial_password(
    store: Store, admin: StaffInfo, db_url: str, tmp_path: Path, cli: Callable[..., Ran]
) -> None:
    store.create_staff(admin, "neu", "新人", StaffRole.RECEPTION, "initial-pass-9")
    argv = ["report", "daily", "--date", TODAY, "--out", str(tmp_path / "d.pdf"), "--db", db_url]
    ran = cli(*argv, "--user", "neu", stdin="initial-pass-9\n")
    assert_refused(ran, "neu must first change the initial password")
    assert not (tmp_path / "d.pdf").exists()
    assert cli(*argv, *AS_ADMIN, stdin=ADMIN_STDIN).code == 0
    assert events(store, AuditKind.EXPORTED)[-1][0] == "admin"


def test_a_locked_account_and_a_wait_are_said_in_one_line_as_the_window_says_them(
    store: Store, reception: StaffInfo, admin: StaffInfo, db_url: str, cli: Callable[..., Ran]
) -> None:
    argv = ["report", "monthly", "--month", TODAY[:7], "--out", "unused.pdf", "--db", db_url]
    store.set_setting(admin, settings_keys.LOGIN_LOCK_AFTER, "3")
    for _ in range(3):  # on another PC (the fixture's store): the account locks everywhere
        assert store.authenticate("uketsuke", WRONG_PASSWORD) is None
    ran = cli(*argv, *AS_RECEPTION, stdin=RECEPTION_PASSWORD + "\n")
    assert_refused(ran, "login refused for 'uketsuke'", "locked", "administrator must unlock")

    for name in ("nobody-1", "nobody-2", "nobody-3"):  # this PC's wait, whatever the name
        assert_refused(cli(*argv, "--user", name, stdin=WRONG_PASSWORD + "\n"), "wrong user")
    ran = cli(*argv, *AS_ADMIN, stdin=ADMIN_STDIN)
    assert_refused(ran, "login refused for 'admin'", "too many wrong passwords: try again in")
    assert [p["reason"] for _, p in events(store, AuditKind.LOGIN_FAILED)][-5:] == [
        "locked",
        "unknown_user",
        "unknown_user",
        "unknown_user",
        "throttled",
    ]


def test_reading_commands_need_no_login(
    store: Store, admin: StaffInfo, db_url: str, cli: Callable[..., Ran]
) -> None:
    for argv in (
        ["audit", "verify", "--db", db_url],
        ["audit", "head", "--date", TODAY, "--db", db_url],
        ["rules", "--on", TODAY],
    ):
        ran = cli(*argv)
        assert ran.code == 0 and "error" not in ran.err, (argv, ran)
    assert cli("backup", "--help").code == 0


def test_no_password_is_taken_from_argv(tmp_path: Path, cli: Callable[..., Ran]) -> None:
    for option in ("--password", "--pass", "--pw"):
        ran = cli("backup", "--out", str(tmp_path / "b"), option, ADMIN_PASSWORD)
        assert ran.code == 2 and "unrecognized arguments" in ran.err
    shown = " ".join(cli("backup", "--help").out.split())
    assert "never taken from the command line or the environment" in shown and "stdin" in shown


def test_key_import_logs_in_on_the_key_it_imports(
    *,
    store: Store,
    admin: StaffInfo,
    reception: StaffInfo,
    db_url: str,
    tmp_path: Path,
    cli: Callable[..., Ran],
) -> None:
    exported = tmp_path / "chain.key"
    exported.write_text(store.export_chain_key(admin), "utf-8")
    keyring.delete_password(SERVICE, chain_key_name(store.database_uuid))  # "the other PC"
    argv = ["audit", "key-import", "--from", str(exported), "--db", db_url]
    assert_refused(cli(*argv), "needs a login")
    assert_refused(cli(*argv, *AS_ADMIN, stdin=WRONG_PASSWORD + "\n"), "login refused")
    ran = cli(*argv, *AS_RECEPTION, stdin=RECEPTION_PASSWORD + "\n")
    assert_refused(ran, "needs an administrator")
    assert keyring.get_password(SERVICE, chain_key_name(store.database_uuid)) is None
    ran = cli(*argv, *AS_ADMIN, stdin=ADMIN_STDIN)
    assert ran.code == 0, ran
    assert keyring.get_password(SERVICE, chain_key_name(store.database_uuid)) is not None
    assert events(store, AuditKind.CHAIN_KEY_IMPORTED)[-1][0] == "admin"
    assert store.verify_chain().ok


@SQLITE_ONLY
def test_restore_needs_an_admin_of_the_database_it_replaces_or_of_the_backup(
    *,
    store: Store,
    admin: StaffInfo,
    reception: StaffInfo,
    db_url: str,
    tmp_path: Path,
    cli: Callable[..., Ran],
) -> None:
    backup = store.backup(tmp_path / "clinic.bak", admin).path
    store.close()
    live = sqlite_path(resolve_url(db_url))
    assert live is not None
    argv = ["restore", "--from", str(backup), "--db", db_url]
    assert_refused(cli(*argv), "needs a login")
    assert_refused(cli(*argv, *AS_RECEPTION, stdin=RECEPTION_PASSWORD + "\n"), "administrator")
    assert not list(live.parent.glob("*before-restore*"))
    ran = cli(*argv, *AS_ADMIN, stdin=ADMIN_STDIN)
    assert ran.code == 0 and "previous database kept at" in ran.out, ran

    live.unlink()  # a new PC: no database yet, the backup's administrator logs in
    for extra in ("-wal", "-shm"):
        Path(f"{live}{extra}").unlink(missing_ok=True)
    assert_refused(cli(*argv, *AS_ADMIN, stdin=WRONG_PASSWORD + "\n"), "login refused")
    assert not live.exists()
    ran = cli(*argv, *AS_ADMIN, stdin=ADMIN_STDIN)
    assert ran.code == 0 and "there was no current database" in ran.out, ran
    with Store.open(db_url, terminal_id="pc", create=False) as restored:
        # the backup's chain: its own login on the checked copy, then the restore, both by admin
        assert [a for a, _ in events(restored, AuditKind.RESTORED)] == ["admin"]
        assert events(restored, AuditKind.LOGIN_OK)[-1][0] == "admin"
        assert restored.verify_chain().ok


@SQLITE_ONLY
def test_db_migrate_needs_an_admin_once_there_is_staff(
    store: Store, admin: StaffInfo, db_url: str, tmp_path: Path, cli: Callable[..., Ran]
) -> None:
    argv = ["db", "migrate", "--db", db_url, "--backup-dir", str(tmp_path / "bk")]
    assert_refused(cli(*argv), "needs a login")
    ran = cli(*argv, *AS_ADMIN, stdin=ADMIN_STDIN)
    assert ran.code == 0 and "schema is current" in ran.out, ran
    assert events(store, AuditKind.LOGIN_OK)[-1][0] == "admin"


@POSTGRES_ONLY
def test_set_password_is_kept_only_after_an_admin_login(
    store: Store,
    admin: StaffInfo,
    db_url: str,
    cli: Callable[..., Ran],
    request: pytest.FixtureRequest,
) -> None:
    key = password_key(resolve_url(db_url))
    keyring.delete_password(SERVICE, key)
    server_password = request.getfixturevalue("postgres_server").password
    argv = ["db", "set-password", "--db", db_url, *AS_ADMIN]
    ran = cli(*argv, stdin=f"{server_password}\n{WRONG_PASSWORD}\n")
    assert_refused(ran, "login refused")
    assert keyring.get_password(SERVICE, key) is None
    assert cli(*argv, stdin=f"{server_password}\n{ADMIN_PASSWORD}\n").code == 0
    assert keyring.get_password(SERVICE, key) == server_password


@SQLITE_ONLY
def test_as_a_real_process_with_the_password_piped(
    store: Store, admin: StaffInfo, db_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "real.bak"
    proc = run_main("backup", "--out", str(out), "--db", db_url, *AS_ADMIN)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert "no password" in proc.stderr and not out.exists()
    proc = run_main("backup", "--out", str(out), "--db", db_url, *AS_ADMIN, stdin=ADMIN_STDIN)
    assert proc.returncode == 0 and out.exists(), proc.stderr
    assert ADMIN_PASSWORD not in proc.stdout + proc.stderr
    assert events(store, AuditKind.BACKUP_CREATED)[-1][0] == "admin"
    assert ADMIN_PASSWORD.encode() not in database_bytes(db_url) + out.read_bytes()


@SQLITE_ONLY
def test_without_any_stdin_the_login_is_refused(
    admin: StaffInfo,
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdin", None)  # pythonw on Windows has none
    out = tmp_path / "none.bak"
    code = main.main(["backup", "--out", str(out), "--db", db_url, *AS_ADMIN])
    captured = capsys.readouterr()
    assert_refused(Ran(code, captured.out, captured.err), "no password")
    assert not out.exists()
