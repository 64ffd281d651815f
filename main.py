"""Madoguchi (窓口): command line, configuration and wiring.

This is the composition root: the only module that chooses implementations (real or virtual card,
real or simulated terminal, SQLite or PostgreSQL) and connects the parts. Every command keeps its
imports inside its handler so that ``--help`` and light commands start fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.store import Store

Handler = Callable[[argparse.Namespace], int]


def _cmd_run(args: argparse.Namespace) -> int:
    """Open the reception window."""
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication(sys.argv[:1])
    label = QLabel("Madoguchi")
    label.show()
    return app.exec()


def _cmd_rules(args: argparse.Namespace) -> int:
    """Print what the rules accept on a date, for a facility profile, with rule IDs and sources."""
    from policies import (
        FacilityKind,
        FacilityProfile,
        Flow,
        OqsMode,
        PolicyEngine,
        PolicyError,
        RuleDataError,
        load_rulebook,
        render_rule_index,
        render_rules_on,
    )
    from resources.policies import rule_texts

    # A Windows console may not be UTF-8: never fail on a character it cannot show.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    try:
        rulebook = load_rulebook(rule_texts())
    except RuleDataError as err:
        print(err, file=sys.stderr)
        return 2
    mode = OqsMode(args.mode)
    if args.flows is not None:
        known = {f.value for f in Flow}
        unknown = [f for f in args.flows.split(",") if f and f not in known]
        if unknown:
            print(
                f"main.py rules: unknown flow {unknown[0]!r} (allowed: {', '.join(sorted(known))})",
                file=sys.stderr,
            )
            return 2
        flows = frozenset(Flow(f) for f in args.flows.split(",") if f)
    else:  # the usual equipment of each mode
        flows = {
            OqsMode.MANDATED: frozenset({Flow.FACE_READER}),
            OqsMode.LIMITED: frozenset({Flow.GENERAL_READER}),
            OqsMode.NONE: frozenset(),
        }[mode]
    facility = FacilityProfile(FacilityKind(args.facility), mode, flows)
    if args.index:
        sys.stdout.write(render_rule_index(rulebook))
        return 0
    try:
        text = render_rules_on(PolicyEngine(rulebook), args.on, facility)
    except PolicyError as err:
        print(f"main.py rules: {err}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


# -- storage commands (audit, backup, restore, db) -------------------------------------------

EXIT_BROKEN = 1
EXIT_ERROR = 2


def _terminal_id() -> str:
    import platform

    return os.environ.get("MADOGUCHI_TERMINAL_ID") or platform.node() or "unknown-terminal"


def _db_url(args: argparse.Namespace) -> str | None:
    return args.db or os.environ.get("MADOGUCHI_DB_URL")


def _storage_errors(func: Handler) -> Handler:
    """Typed storage errors become one clear line on stderr and exit code 2, not a traceback."""

    def wrapper(args: argparse.Namespace) -> int:
        from storage.errors import StorageError

        try:
            return func(args)
        except StorageError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_ERROR

    wrapper.__doc__ = func.__doc__
    return wrapper


def _open_store(args: argparse.Namespace) -> Store:
    from storage.store import Store

    return Store.open(_db_url(args), terminal_id=_terminal_id())


@_storage_errors
def _cmd_audit_verify(args: argparse.Namespace) -> int:
    """Walk the audit chain; name the first broken event (exit 1) or print the verified head."""
    store = _open_store(args)
    result = store.verify_chain()
    store.close()
    if not result.ok:
        print(
            f"BROKEN at event {result.first_broken_seq}: {result.problem} "
            f"({result.checked} events verified before it)"
        )
        return EXIT_BROKEN
    head = result.head
    anchor = f", starting after checkpoint {result.anchor_seq}" if result.anchor_seq else ""
    print(
        f"OK: {result.checked} events verified{anchor}; "
        f"head seq {head.seq if head else 0} hash {head.hash if head else '-'}"
    )
    return 0


@_storage_errors
def _cmd_audit_head(args: argparse.Namespace) -> int:
    """Print the chain head as of the end of a day (what the daily log prints)."""
    from datetime import date

    try:
        day = date.fromisoformat(args.date)
    except ValueError:
        print(f"error: --date must be YYYY-MM-DD, got {args.date!r}", file=sys.stderr)
        return EXIT_ERROR
    store = _open_store(args)
    head = store.chain_head(day)
    store.close()
    if head is None:
        print(f"no audit events on or before {day.isoformat()}")
        return EXIT_BROKEN
    at = head.occurred_at.isoformat() if head.occurred_at else "-"
    print(f"{day.isoformat()} seq {head.seq} hash {head.hash} at {at}")
    return 0


@_storage_errors
def _cmd_audit_key_export(args: argparse.Namespace) -> int:
    """Write the audit-chain key to a file for another reception PC (audited, warned)."""
    from storage.secrets import EXPORT_WARNING

    store = _open_store(args)
    text = store.export_chain_key(None)
    store.close()
    out = Path(args.out)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    print(EXPORT_WARNING, file=sys.stderr)
    print(f"key written to {out}")
    return 0


@_storage_errors
def _cmd_audit_key_import(args: argparse.Namespace) -> int:
    """Put an exported chain key into this PC's keyring (after checking it fits the database)."""
    from storage.engine import make_engine
    from storage.secrets import EXPORT_WARNING
    from storage.store import import_chain_key

    engine = make_engine(_db_url(args))
    text = Path(args.from_file).read_text(encoding="utf-8")
    uuid = import_chain_key(engine, text, terminal_id=_terminal_id())
    engine.dispose()
    print(f"chain key for database {uuid} stored in the OS keyring")
    print(EXPORT_WARNING, file=sys.stderr)
    return 0


@_storage_errors
def _cmd_backup(args: argparse.Namespace) -> int:
    """Back up the database (SQLite online backup, PostgreSQL pg_dump); audited."""
    store = _open_store(args)
    info = store.backup(Path(args.out))
    store.close()
    print(f"backup written to {info.path} ({info.size} bytes, sha256 {info.sha256})")
    return 0


@_storage_errors
def _cmd_restore(args: argparse.Namespace) -> int:
    """Restore from a backup whose chain verifies; the current database is kept aside."""
    from storage.restore import restore

    report = restore(_db_url(args), Path(args.from_file), terminal_id=_terminal_id())
    aside = report.set_aside or "(there was no current database)"
    print(
        f"restored from {report.restored_from}: {report.events_verified} events verified; "
        f"previous database kept at {aside}"
    )
    return 0


@_storage_errors
def _cmd_db_migrate(args: argparse.Namespace) -> int:
    """Migrate the schema to the newest version, backing the database up first."""
    from storage.engine import data_dir, make_engine
    from storage.migrate import migrate

    engine = make_engine(_db_url(args))
    backup_dir = Path(args.backup_dir) if args.backup_dir else data_dir() / "backups"
    report = migrate(engine, backup_dir)
    engine.dispose()
    if report.from_revision == report.to_revision:
        print(f"schema is current ({report.to_revision})")
    else:
        print(
            f"migrated {report.from_revision or 'empty'} -> {report.to_revision}; "
            f"backup: {report.backup or 'none (new database)'}"
        )
    return 0


@_storage_errors
def _cmd_db_set_password(args: argparse.Namespace) -> int:
    """Store the PostgreSQL password in the OS keyring (read from the prompt or stdin)."""
    import getpass

    from storage.engine import password_key, resolve_url
    from storage.secrets import store_db_password

    url = resolve_url(_db_url(args))
    if url.get_backend_name() != "postgresql":
        print("error: only a PostgreSQL database has a password", file=sys.stderr)
        return EXIT_ERROR
    password = (
        getpass.getpass("PostgreSQL password: ") if sys.stdin.isatty() else sys.stdin.readline()
    )
    store_db_password(password_key(url), password.rstrip("\n"))
    print("password stored in the OS keyring")
    return 0


def _add_storage_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    db_help = "database URL (default: $MADOGUCHI_DB_URL, else SQLite in the user-data folder)"

    audit = sub.add_parser("audit", help="check the tamper-evident audit log")
    audit_sub = audit.add_subparsers(title="audit commands", metavar="ACTION", required=True)
    p = audit_sub.add_parser("verify", help="verify the whole chain; exit 1 names the broken event")
    p.add_argument("--db", help=db_help)
    p.set_defaults(handler=_cmd_audit_verify)
    p = audit_sub.add_parser("head", help="the chain head as of the end of a day")
    p.add_argument("--date", required=True, help="local day, YYYY-MM-DD")
    p.add_argument("--db", help=db_help)
    p.set_defaults(handler=_cmd_audit_head)
    p = audit_sub.add_parser("key-export", help="export the chain key for another reception PC")
    p.add_argument("--out", required=True, help="new file to write (kept private, 0600)")
    p.add_argument("--db", help=db_help)
    p.set_defaults(handler=_cmd_audit_key_export)
    p = audit_sub.add_parser("key-import", help="import a chain key exported on the first PC")
    p.add_argument("--from", dest="from_file", required=True, help="the exported key file")
    p.add_argument("--db", help=db_help)
    p.set_defaults(handler=_cmd_audit_key_import)

    p = sub.add_parser("backup", help="back up the database to a file")
    p.add_argument("--out", required=True, help="backup file to write")
    p.add_argument("--db", help=db_help)
    p.set_defaults(handler=_cmd_backup)
    p = sub.add_parser("restore", help="restore the database from a verified backup")
    p.add_argument("--from", dest="from_file", required=True, help="backup file")
    p.add_argument("--db", help=db_help)
    p.set_defaults(handler=_cmd_restore)

    db = sub.add_parser("db", help="database administration")
    db_sub = db.add_subparsers(title="db commands", metavar="ACTION", required=True)
    p = db_sub.add_parser("migrate", help="migrate the schema (after a backup)")
    p.add_argument("--backup-dir", help="where the pre-migration backup goes")
    p.add_argument("--db", help=db_help)
    p.set_defaults(handler=_cmd_db_migrate)
    p = db_sub.add_parser("set-password", help="store the PostgreSQL password in the OS keyring")
    p.add_argument("--db", help=db_help)
    p.set_defaults(handler=_cmd_db_set_password)


# -- report commands (daily log, monthly usage, subsidy sheet, 申立書) ---------------------------


def _report_errors(func: Handler) -> Handler:
    """Report, font and rule-data errors become one clear line and exit code 2."""

    @_storage_errors
    def wrapper(args: argparse.Namespace) -> int:
        from policies import RuleDataError
        from storage.reports import ReportError

        try:
            return func(args)
        except (ReportError, RuleDataError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_ERROR

    wrapper.__doc__ = func.__doc__
    return wrapper


def _iso_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r} (expected YYYY-MM-DD)") from None


def _year_month(text: str) -> tuple[int, int]:
    try:
        first = date.fromisoformat(f"{text}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid month {text!r} (expected YYYY-MM)") from None
    return first.year, first.month


def _cost(text: str) -> tuple[str, int]:
    program, sep, amount = text.partition("=")
    amount = amount.replace(",", "").replace("_", "")
    if not sep or not program or not amount.isdigit():
        raise argparse.ArgumentTypeError(f"invalid cost {text!r} (expected PROGRAM_ID=YEN)")
    return program, int(amount)


def _app_version() -> str:
    """Printed in report footers; from the installed package, else from pyproject.toml."""
    from importlib import metadata

    try:
        return metadata.version("madoguchi")
    except metadata.PackageNotFoundError:  # run from a checkout
        import tomllib

        pyproject = Path(__file__).resolve().parent / "pyproject.toml"
        return str(tomllib.loads(pyproject.read_text("utf-8"))["project"]["version"])


@_report_errors
def _cmd_report_daily(args: argparse.Namespace) -> int:
    """Print the daily log of a day from the database (PDF, optionally CSV); audited."""
    from storage.reports import GenerationInfo
    from storage.reports.exports import export_daily, report_font

    font = report_font(args.font)  # a missing font fails before the database is opened
    store = _open_store(args)
    try:
        data, done = export_daily(
            store,
            args.date,
            args.out,
            csv=args.csv,
            masking={"chart": "chart_only"}.get(args.masking, args.masking),
            font=font,
            generation=GenerationInfo(app_version=_app_version()),
        )
    finally:
        store.close()
    if not data.rows:
        print(f"no verifications recorded on {args.date.isoformat()}: printed an empty log")
    for e in done:
        print(e.summary())
    return 0


@_report_errors
def _cmd_report_monthly(args: argparse.Namespace) -> int:
    """Print the monthly usage report (PDF, optionally CSV) against the policy thresholds."""
    from storage.reports import GenerationInfo
    from storage.reports.exports import export_monthly, report_font, shipped_rulebook
    from storage.timeutil import now_tokyo

    font, rulebook = report_font(args.font), shipped_rulebook()
    store = _open_store(args)
    try:
        _, done = export_monthly(
            store,
            rulebook,
            *args.month,
            args.out,
            as_of=args.as_of or now_tokyo().date(),
            csv=args.csv,
            font=font,
            generation=GenerationInfo(app_version=_app_version()),
        )
    finally:
        store.close()
    for e in done:
        print(e.summary())
    return 0


@_report_errors
def _cmd_report_subsidy(args: argparse.Namespace) -> int:
    """Print the subsidy sheet for the stored facility, with amounts for the entered costs."""
    from storage.reports import GenerationInfo
    from storage.reports.exports import export_subsidy, report_font, shipped_rulebook
    from storage.timeutil import now_tokyo

    font, rulebook = report_font(args.font), shipped_rulebook()
    store = _open_store(args)
    try:
        _, done = export_subsidy(
            store,
            rulebook,
            args.out,
            as_of=args.as_of or now_tokyo().date(),
            costs=dict(args.cost or []),
            all_classes=args.all_classes,
            csv=args.csv,
            font=font,
            generation=GenerationInfo(app_version=_app_version()),
        )
    finally:
        store.close()
    for e in done:
        print(e.summary())
    return 0


@_report_errors
def _cmd_report_declaration(args: argparse.Namespace) -> int:
    """Print a 被保険者資格申立書, blank or pre-filled for a patient by chart number."""
    from storage.reports.exports import export_declaration, report_font, shipped_rulebook

    font, rulebook = report_font(args.font), shipped_rulebook()
    store = _open_store(args)
    try:
        _, done = export_declaration(
            store, rulebook, args.out, on=args.date, chart_number=args.chart, font=font
        )
    finally:
        store.close()
    for e in done:
        print(e.summary())
    return 0


def _add_report_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    db_help = "database URL (default: $MADOGUCHI_DB_URL, else SQLite in the user-data folder)"
    font_help = "TrueType font file to embed (default: the best Japanese system font)"
    report = sub.add_parser("report", help="print the daily log and reports (PDF/CSV)")
    rs = report.add_subparsers(title="reports", metavar="REPORT", required=True)

    def common(p: argparse.ArgumentParser, *, csv: bool = True) -> None:
        p.add_argument("--out", required=True, metavar="FILE.pdf", help="PDF file to write")
        if csv:
            p.add_argument("--csv", metavar="FILE.csv", help="also write CSV (UTF-8 with BOM)")
        p.add_argument("--font", metavar="FILE.ttf", help=font_help)
        p.add_argument("--db", help=db_help)

    p = rs.add_parser("daily", help="the daily log of one day (reprints are identical)")
    p.add_argument("--date", required=True, type=_iso_day, metavar="YYYY-MM-DD")
    p.add_argument(
        "--masking",
        choices=["full", "partial", "chart"],
        default="partial",
        help="patient display: full name, family name + birth year, chart no. only",
    )
    common(p)
    p.set_defaults(handler=_cmd_report_daily)

    p = rs.add_parser("monthly", help="My Number card usage by path and day, vs. thresholds")
    p.add_argument("--month", required=True, type=_year_month, metavar="YYYY-MM")
    p.add_argument("--as-of", type=_iso_day, metavar="YYYY-MM-DD", help="report date (today)")
    common(p)
    p.set_defaults(handler=_cmd_report_monthly)

    p = rs.add_parser("subsidy", help="subsidy programs, amounts, deadlines and evidence")
    p.add_argument(
        "--cost",
        type=_cost,
        action="append",
        metavar="PROGRAM=YEN",
        help="project cost of a program (repeatable), e.g. welfare-oqs-2025=80000",
    )
    p.add_argument(
        "--as-of",
        type=_iso_day,
        metavar="YYYY-MM-DD",
        help="date deadlines are judged against (today)",
    )
    p.add_argument(
        "--all-classes", action="store_true", help="also list the tiers for other facility classes"
    )
    common(p)
    p.set_defaults(handler=_cmd_report_subsidy)

    p = rs.add_parser("declaration", help="a 被保険者資格申立書 to hand to the patient")
    p.add_argument("--date", type=_iso_day, metavar="YYYY-MM-DD", help="pre-fill the date")
    p.add_argument("--chart", metavar="NUMBER", help="pre-fill the patient with this chart no.")
    common(p, csv=False)
    p.set_defaults(handler=_cmd_report_declaration)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Madoguchi — reception assistant for マイナ保険証 eligibility checks.",
    )
    parser.set_defaults(handler=_cmd_run)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = sub.add_parser("run", help="open the reception window (the default command)")
    p.set_defaults(handler=_cmd_run)

    p = sub.add_parser("rules", help="print what the rules accept on a date, with sources")
    on = p.add_mutually_exclusive_group(required=True)
    on.add_argument("--on", type=date.fromisoformat, metavar="YYYY-MM-DD", help="the date to show")
    on.add_argument("--index", action="store_true", help="list every rule ID with its sources")
    p.add_argument(
        "--facility",
        choices=["clinic", "hospital", "pharmacy", "large_chain_pharmacy"],
        default="clinic",
    )
    p.add_argument("--mode", choices=["mandated", "limited", "none"], default="mandated")
    p.add_argument(
        "--flows",
        default=None,
        metavar="FLOW[,FLOW...]",
        help="enabled flows (default: face_reader for mandated, general_reader for limited)",
    )
    p.set_defaults(handler=_cmd_rules)

    _add_storage_commands(sub)
    _add_report_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
