"""Storage's commands on the command line: audit, backup, restore, db (report and bookings, the
printing commands, are registered from here and live in :mod:`storage.report_commands`).

main.py owns the command line and registers these with :func:`add_commands`; it also resolves
which database a run uses (``--demo``, ``--config``, ``MADOGUCHI_CONFIG``, ``--db``: exactly as
the window does) and hands each command that answer as a :class:`storage.config.DatabaseTarget`.
A command opens an existing database only (``create=False``: it never creates one); only
``db migrate`` and ``restore`` may make a new one. Failures are typed (StorageError, ReportError,
RuleDataError) and main.py prints them as one line with exit code 2. Heavy imports stay inside
the handlers so that ``--help`` and light commands start fast. ``bookings check`` also needs the
terminal, which storage may not import: main.py hands it the 一括照会 as a :data:`BulkCheck`.

**Login.** Whoever sits at the PC can run ``main.py``, so a command that reveals or changes
data, keys or backups first logs a staff member in through the store's own login
(:meth:`Store.authenticate`: the same accounts, hashes, auditing and throttling as the window)
and records what it does under that member ("chain_key_exported by admin1"). One helper does it
for every such command (:func:`login`, or :func:`_log_in` where the store is made otherwise). The
user name comes from ``--user`` or a prompt; the password is only ever read from the terminal
with ``getpass`` -- never from argv or the environment, where other users and logs can see it.
When stdin is not a terminal one line is read from it instead (user name first if ``--user`` is
missing), so scripts and tests can pipe it. A refused login is exit 2 with one line, before
anything is done:

=============================================  ===============================================
command                                        login needed
=============================================  ===============================================
``rules``, ``--help``, ``audit verify``,       none (they reveal no patient data, change
``audit head``, ``audit check-paper``          nothing but their own audit of the run)
``report daily/monthly/subsidy/declaration``,  reception or admin (patients, visits, usage)
``bookings check``
``audit key-export``, ``audit key-import``     admin (the key forges events that verify)
``audit accept-restored``                      admin (appending resumes on a chain this PC saw
                                               rolled back: a recorded decision with a reason)
``backup``, ``restore``                        admin (a backup is every patient; a restore
                                               replaces the record) -- on the current database,
                                               or on the backup if there is none yet
``db set-password``                            admin, through the database the typed password
                                               opens (checked before it is kept)
``db migrate``                                 admin on a database with staff accounts; none on
                                               a new one (nobody could log in yet)
=============================================  ===============================================
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from storage.errors import ConfigError, InvalidInput, LoginRefused, PermissionDenied

if TYPE_CHECKING:
    from typing import TypeAlias

    from policies.bulk_check import BulkCheckRun
    from storage.config import DatabaseTarget
    from storage.records import StaffInfo
    from storage.store import Store

    SubParsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

#: main.py's answer to "which database does this run use" for the parsed arguments.
Resolve = Callable[[argparse.Namespace], "DatabaseTarget"]
#: Adds main.py's database options (--demo, --config, --db, --demo-dir) to a command.
AddOptions = Callable[[argparse.ArgumentParser], None]
#: main.py's 一括照会 of the bookings in ``args.csv`` on ``args.date``, recorded in ``store``
#: under the logged-in staff member.
BulkCheck = Callable[[argparse.Namespace, "Store", "StaffInfo"], "BulkCheckRun"]

#: Exit codes: 1 = the chain (or the day) has nothing good to show, 2 = an error (main.py).
EXIT_BROKEN = 1
EXIT_ERROR = 2
#: A report refused because the audit records it would print do not verify.
EXIT_UNVERIFIED = 3
#: Days a command accepts: any a clinic's records or the rule book can concern, and far enough
#: from date.min/max that a Tokyo day's UTC bounds and a month's last day always exist.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


class OneLineParser(argparse.ArgumentParser):
    """argparse whose usage errors are one line naming the command, the problem and where its
    help is, exit 2 (its own usage block would bury the line); ``add_subparsers`` makes every
    command's parser of this class too.

    It accepts no unknown argument even through ``parse_known_args``, which is how argparse runs
    a command's parser: the command that got ``--bogus`` refuses it under its own name
    (``main.py audit verify``), where plain argparse hands it up to ``main.py``."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_ERROR, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def add_commands(sub: SubParsers, resolve: Resolve, add_options: AddOptions) -> None:
    """Register storage's commands; ``add_options`` adds main.py's database options to each."""
    from storage.report_commands import add_report_commands

    _add_storage_commands(sub, resolve, add_options)
    add_report_commands(sub, resolve, add_options)


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def iso_day(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r} (expected YYYY-MM-DD)") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise argparse.ArgumentTypeError(
            f"date {text} out of range ({FIRST_DAY.isoformat()} … {LAST_DAY.isoformat()})"
        )
    return day


def year_month(text: str) -> tuple[int, int]:
    try:
        first = date.fromisoformat(f"{text}-01") if len(text) == 7 else None
    except ValueError:
        first = None
    if first is None:
        raise argparse.ArgumentTypeError(f"invalid month {text!r} (expected YYYY-MM)")
    if not FIRST_DAY <= first <= LAST_DAY:
        raise argparse.ArgumentTypeError(
            f"month {text} out of range ({FIRST_DAY:%Y-%m} … {LAST_DAY:%Y-%m})"
        )
    return first.year, first.month


#: What --help says about the password (and how a script gives it).
LOGIN_HELP = (
    "staff user name for the login (else prompted); the password is always asked on the "
    "terminal, never taken from the command line or the environment -- when stdin is not a "
    "terminal, one line is read from it (after the user name if --user is missing)"
)


def _read_line(prompt: str, *, secret: bool = False) -> str | None:
    """One answer from the terminal (``getpass`` when ``secret``), else one line of stdin;
    None when there is no stdin or it ended (Ctrl-D at the prompt included)."""
    stdin = sys.stdin
    if stdin is None:  # pythonw on Windows
        return None
    try:
        if stdin.isatty():
            if secret:
                import getpass

                return getpass.getpass(prompt)
            print(prompt, end="", file=sys.stderr, flush=True)
        line = stdin.readline()
    except EOFError:
        return None
    return line.rstrip("\r\n") if line else None


def _log_in(store: Store, args: argparse.Namespace, *, admin: bool) -> StaffInfo:
    """Log a staff member in on ``store`` (its authenticate: audited, throttled) with the role
    the command needs; PermissionDenied (exit 2, one line naming the database) otherwise."""
    from storage.engine import shown

    where = shown(store.engine.url)
    need = "an administrator" if admin else "a staff member"
    user = getattr(args, "user", None) or _read_line("user name: ")
    if not user:
        raise PermissionDenied(
            f"{where}: this command needs a login by {need} (--user NAME); nothing done"
        )
    password = _read_line(f"password for {user}: ", secret=True)
    if password is None:
        raise PermissionDenied(f"{where}: no password for {user!r} (stdin ended); nothing done")
    try:
        staff = store.authenticate(user, password)
    except LoginRefused as blocked:  # locked, or a wait due: said as the window says it
        raise PermissionDenied(
            f"{where}: login refused for {user!r}: {blocked}; nothing done"
        ) from blocked
    finally:
        del password
    if staff is None:
        raise PermissionDenied(
            f"{where}: login refused for {user!r} (wrong user name or password, or an inactive "
            "account); nothing done"
        )
    refused = None
    if staff.must_change_password:  # an initial password is known to the admin who set it
        refused = "must first change the initial password in the window"
    elif admin and not staff.is_admin:
        refused = f"is {staff.role.value} staff: this command needs an administrator"
    if refused:
        store.logout(staff)
        raise PermissionDenied(f"{where}: {staff.username} {refused}; nothing done")
    return staff


@contextmanager
def login(
    target: DatabaseTarget, args: argparse.Namespace, *, admin: bool
) -> Iterator[tuple[Store, StaffInfo]]:
    """``with login(resolve(args), args, admin=True) as (store, staff):`` -- the existing
    database's store and the logged-in staff member, logged out (audited) at the end."""
    with target.open_store() as store:
        staff = _log_in(store, args, admin=admin)
        try:
            yield store, staff
        finally:
            store.logout(staff)


def _audit_verify(resolve: Resolve, args: argparse.Namespace) -> int:
    """Walk the audit chain and compare the rows with it; name the first broken event or every
    mismatching row (exit 1), or print the verified head. ``--deep``: the file's structure
    first (an index altered behind SQLite's back changes what queries read, not a row)."""
    with resolve(args).open_store() as store:
        unsound = store.structure_problems() if args.deep else []
        result = store.verify_chain()
    if unsound:
        print(f"BROKEN: the database file's structure does not hold: {unsound[0]}")
        for problem in unsound[1:20]:  # SQLite lists up to 100
            print(f"  {problem}")
        return EXIT_BROKEN
    rows = result.rows
    if rows is not None and not rows.ok:
        print(f"BROKEN: {rows.count} rows do not match the audit chain")
        for problem in rows.problems:
            print(f"  {problem.describe()}")
        if rows.count > len(rows.problems):
            print(f"  … and {rows.count - len(rows.problems)} more")
        return EXIT_BROKEN
    if not result.ok:  # a head or checkpoint record found broken stops before any event
        before = f" ({result.checked} events verified before it)" if result.checked else ""
        print(f"BROKEN at event {result.first_broken_seq}: {result.problem}{before}")
        return EXIT_BROKEN
    head = result.head
    anchor = f", starting after checkpoint {result.anchor_seq}" if result.anchor_seq else ""
    print(
        f"OK: {result.checked} events verified{anchor}, {rows.checked if rows else 0} rows "
        f"match them; head seq {head.seq if head else 0} hash {head.hash if head else '-'}"
    )
    return 0


def _audit_check_paper(resolve: Resolve, args: argparse.Namespace) -> int:
    """Whether the chain still holds the head printed (text or QR) on a daily log."""
    with resolve(args).open_store() as store:
        check = store.check_paper(" ".join(args.printed))
    print(check.message)
    return 0 if check.ok else EXIT_BROKEN


def _audit_head(resolve: Resolve, args: argparse.Namespace) -> int:
    """Print the chain head as of the end of a day (what the daily log prints)."""
    with resolve(args).open_store() as store:
        head = store.chain_head(args.date)
    if head is None:
        print(f"no audit events on or before {args.date.isoformat()}")
        return EXIT_BROKEN
    at = head.occurred_at.isoformat() if head.occurred_at else "-"
    print(f"{args.date.isoformat()} seq {head.seq} hash {head.hash} at {at}")
    return 0


def _audit_accept_restored(resolve: Resolve, args: argparse.Namespace) -> int:
    """An administrator's recorded decision that the chain as it is, rolled back or replaced as
    this PC's witness says, is the record from now on (storage.witness); appending resumes."""
    if not (args.reason or "").strip():
        raise InvalidInput("audit accept-restored needs --reason TEXT (recorded in the chain)")
    with login(resolve(args), args, admin=True) as (store, staff):
        problem = store.witness_problem
        head = store.accept_restored_chain(staff, args.reason)
    print(
        f"accepted by {staff.username} as event {head.seq} (hash {head.hash}): {problem}; "
        "recording resumes"
    )
    return 0


def _audit_key_export(resolve: Resolve, args: argparse.Namespace) -> int:
    """Write the audit-chain key to a file for another reception PC (audited, warned)."""
    from storage.engine import new_file
    from storage.secrets import EXPORT_WARNING

    out = Path(args.out)
    taken = InvalidInput(f"{out} already exists (the key is written only to a new file)")
    if out.exists():  # at once, before anyone is asked to log in
        raise taken
    with login(resolve(args), args, admin=True) as (store, staff):
        try:
            with new_file(out) as part:  # claimed before the export is recorded
                part.write_text(store.export_chain_key(staff), "utf-8")
        except FileExistsError:  # it appeared since: the exclusive creation refused it
            raise taken from None
        except OSError as exc:
            raise InvalidInput(f"{out}: cannot be written ({exc.strerror or exc})") from exc
    print(EXPORT_WARNING, file=sys.stderr)
    print(f"key written to {out}")
    return 0


def _audit_key_import(resolve: Resolve, args: argparse.Namespace) -> int:
    """Put an exported chain key into this PC's keyring (after checking it fits the database)."""
    from storage.secrets import EXPORT_WARNING, read_export
    from storage.store import import_chain_key

    text = read_export(Path(args.from_file))
    target = resolve(args)
    engine = target.engine()
    try:  # this PC has no key yet: the login runs on the store the checked export opens
        uuid = import_chain_key(
            engine,
            text,
            terminal_id=target.terminal_id,
            authorize=lambda store: _log_in(store, args, admin=True),
        )
    finally:
        engine.dispose()
    print(f"chain key for database {uuid} stored in the OS keyring")
    print(EXPORT_WARNING, file=sys.stderr)
    return 0


def _backup(resolve: Resolve, args: argparse.Namespace) -> int:
    """Back up the database (SQLite online backup, PostgreSQL pg_dump); audited."""
    with login(resolve(args), args, admin=True) as (store, staff):
        info = store.backup(Path(args.out), staff)
    print(f"backup written to {info.path} ({info.size} bytes, sha256 {info.sha256})")
    return 0


def _restore(resolve: Resolve, args: argparse.Namespace) -> int:
    """Restore from a backup whose chain verifies; the current database is kept aside."""
    from storage.errors import DatabaseMissing
    from storage.restore import restore

    if args.force_foreign and not (args.reason or "").strip():
        raise InvalidInput("restore --force-foreign needs --reason (it is recorded in the chain)")
    target = resolve(args)
    try:  # an administrator of the database that is replaced ...
        with login(target, args, admin=True) as (_, staff):
            current: str | None = staff.username
    except DatabaseMissing:  # ... or, on a PC without one yet, of the verified backup
        current = None

    def authorize(backup: Store) -> str:
        return current or _log_in(backup, args, admin=True).username

    report = restore(
        target.url,
        Path(args.from_file),
        terminal_id=target.terminal_id,
        force_foreign_reason=args.reason if args.force_foreign else None,
        authorize=authorize,
    )
    aside = report.set_aside or "(there was no current database)"
    print(
        f"restored from {report.restored_from}: {report.events_verified} events verified; "
        f"previous database kept at {aside}"
    )
    return 0


def _db_migrate(resolve: Resolve, args: argparse.Namespace) -> int:
    """Migrate the schema to the newest version, backing the database up first. A database with
    staff accounts needs an administrator's login, recorded (opening it migrates it, as every
    opening does, the window's first); a new one has no staff yet and needs none."""
    import dataclasses

    from sqlalchemy import inspect

    from storage.engine import data_dir
    from storage.migrate import is_owner, migrate

    target = resolve(args)
    backups = (Path(args.backup_dir) if args.backup_dir else target.backup_dir) or (
        data_dir() / "backups"
    )
    if args.owner_url:  # the owner's credential stands for the administrator here
        from storage.pg_roles import migrate_as_owner

        password = _read_line("PostgreSQL password of the owner (not stored): ", secret=True)
        if not password:
            raise InvalidInput("no owner password given: nothing was migrated")
        report = migrate_as_owner(target.url, args.owner_url, password, backups)
    else:
        engine = target.engine(create=True)
        try:
            if not is_owner(engine):
                raise ConfigError(
                    "this database's user is the runtime role, which may not change the schema: "
                    "give the owner with --owner-url URL"
                )
            report = None if inspect(engine).has_table("db_meta") else migrate(engine, backups)
        finally:
            engine.dispose()
        if report is None:
            with dataclasses.replace(target, backup_dir=backups).open_store() as store:
                if store.has_staff():
                    store.logout(_log_in(store, args, admin=True))
                report = store.migration
            assert report is not None
    if report.from_revision == report.to_revision:
        print(f"schema is current ({report.to_revision})")
    else:
        print(
            f"migrated {report.from_revision or 'empty'} -> {report.to_revision}; "
            f"backup: {report.backup or 'none (new database)'}"
        )
    return 0


def _db_set_password(resolve: Resolve, args: argparse.Namespace) -> int:
    """Store the PostgreSQL password in the OS keyring (read from the prompt or stdin), once an
    administrator has logged in on the database it opens."""
    from storage.engine import make_engine, password_key, resolve_url
    from storage.secrets import store_db_password
    from storage.store import Store

    target = resolve(args)
    url = resolve_url(target.url)
    if url.get_backend_name() != "postgresql":
        print("error: only a PostgreSQL database has a password", file=sys.stderr)
        return EXIT_ERROR
    password = _read_line("PostgreSQL password: ", secret=True)
    if not password:
        raise InvalidInput("no PostgreSQL password given: nothing was stored")
    engine = make_engine(url, password=password, create=False)
    try:
        with Store.open(
            engine=engine,
            terminal_id=target.terminal_id,
            backup_dir=target.backup_dir,
            create=False,
        ) as store:
            staff = _log_in(store, args, admin=True)
            store_db_password(password_key(url), password)
            store.logout(staff)
    finally:
        engine.dispose()
    print("password stored in the OS keyring")
    return 0


def add_user_option(p: argparse.ArgumentParser) -> None:
    """``--user NAME`` on a command that needs a login (see the table above)."""
    p.add_argument("--user", metavar="NAME", help=LOGIN_HELP)


def _add_storage_commands(sub: SubParsers, resolve: Resolve, add_options: AddOptions) -> None:
    def command(
        parent: SubParsers, name: str, summary: str, handler: Any, *, login: bool = True
    ) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=summary)
        p.set_defaults(handler=partial(handler, resolve))
        add_options(p)
        if login:
            add_user_option(p)
        return p

    audit = sub.add_parser("audit", help="check the tamper-evident audit log")
    audit_sub = audit.add_subparsers(title="audit commands", metavar="ACTION", required=True)
    command(
        audit_sub,
        "verify",
        "verify the whole chain; exit 1 names the broken event",
        _audit_verify,
        login=False,
    ).add_argument(
        "--deep",
        action="store_true",
        help="also check the SQLite file's structure, every index against its table "
        "(PRAGMA integrity_check: about 2 s per 200,000 visits)",
    )
    command(
        audit_sub,
        "check-paper",
        "does the chain still hold the head printed on a daily log?",
        _audit_check_paper,
        login=False,
    ).add_argument("printed", nargs="+", help="the printed 照合コード (MDGC1 …), typed or scanned")
    command(
        audit_sub, "head", "the chain head as of the end of a day", _audit_head, login=False
    ).add_argument("--date", required=True, type=iso_day, help="local day, YYYY-MM-DD")
    command(
        audit_sub,
        "accept-restored",
        "record an administrator's decision to go on from a chain this PC saw rolled back",
        _audit_accept_restored,
    ).add_argument(
        "--reason",
        required=True,
        help="why the chain as it is is accepted (recorded in the chain; one line)",
    )
    command(
        audit_sub, "key-export", "export the chain key for another reception PC", _audit_key_export
    ).add_argument("--out", required=True, help="new file to write (kept private, 0600)")
    command(
        audit_sub, "key-import", "import a chain key exported on the first PC", _audit_key_import
    ).add_argument("--from", dest="from_file", required=True, help="the exported key file")

    command(sub, "backup", "back up the database to a file", _backup).add_argument(
        "--out", required=True, help="backup file to write"
    )
    p = command(sub, "restore", "restore the database from a verified backup", _restore)
    p.add_argument("--from", dest="from_file", required=True, help="backup file")
    p.add_argument(
        "--force-foreign",
        action="store_true",
        help="restore a backup of another database identity (needs --reason; recorded)",
    )
    p.add_argument("--reason", help="why a foreign backup is restored (recorded in the chain)")

    db = sub.add_parser("db", help="database administration")
    db_sub = db.add_subparsers(title="db commands", metavar="ACTION", required=True)
    db_migrate = command(db_sub, "migrate", "migrate the schema (after a backup)", _db_migrate)
    db_migrate.add_argument("--backup-dir", help="where the pre-migration backup goes")
    db_migrate.add_argument(
        "--owner-url",
        help="PostgreSQL: migrate as this owner role (password asked, never stored) and grant "
        "the configured URL's user its runtime privileges",
    )
    command(
        db_sub, "set-password", "store the PostgreSQL password in the OS keyring", _db_set_password
    )
