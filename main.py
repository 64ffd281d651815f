"""Madoguchi (窓口): command line, configuration and wiring.

This is the composition root: the only module that chooses implementations (real or virtual card,
real or simulated terminal, SQLite or PostgreSQL) and connects the parts. Every command keeps its
imports inside its handler so that ``--help`` and light commands start fast.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storage import settings_keys

if TYPE_CHECKING:
    from storage.store import Store

Handler = Callable[[argparse.Namespace], int]


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
def _cmd_audit_check_paper(args: argparse.Namespace) -> int:
    """Whether the chain still holds the head printed (text or QR) on a daily log."""
    store = _open_store(args)
    try:
        check = store.check_paper(" ".join(args.printed))
    finally:
        store.close()
    print(check.message)
    return 0 if check.ok else EXIT_BROKEN


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

    report = restore(
        _db_url(args),
        Path(args.from_file),
        terminal_id=_terminal_id(),
        force_foreign_reason=args.reason if args.force_foreign else None,
    )
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
    p = audit_sub.add_parser(
        "check-paper", help="does the chain still hold the head printed on a daily log?"
    )
    p.add_argument("printed", nargs="+", help="the printed 照合コード (MDGC1 …), typed or scanned")
    p.add_argument("--db", help=db_help)
    p.set_defaults(handler=_cmd_audit_check_paper)
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
    p.add_argument(
        "--force-foreign",
        action="store_true",
        help="restore a backup of another database identity (needs --reason; recorded)",
    )
    p.add_argument("--reason", help="why a foreign backup is restored (recorded in the chain)")
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


def _report_masking(args: argparse.Namespace, store: Store) -> str:
    """--masking, else the clinic's printout setting (admin screen), else partial."""
    if args.masking is not None:
        return {"chart": "chart_only"}.get(args.masking, args.masking)
    return store.setting(settings_keys.PRINT_MASKING) or settings_keys.DEFAULT_PRINT_MASKING


def _export(args: argparse.Namespace, run: Callable[[Store], tuple[Any, Any]]) -> Any:
    """Open the store, run one report export in it, close it, print what was written."""
    store = _open_store(args)
    try:
        data, done = run(store)
    finally:
        store.close()
    for e in done:
        print(e.summary())
    return data


@_report_errors
def _cmd_report_daily(args: argparse.Namespace) -> int:
    """Print the daily log of a day from the database (PDF, optionally CSV); audited."""
    from storage.reports import GenerationInfo
    from storage.reports.exports import export_daily, report_font

    font = report_font(args.font)  # a missing font fails before the database is opened
    data = _export(
        args,
        lambda store: export_daily(
            store,
            args.date,
            args.out,
            csv=args.csv,
            masking=_report_masking(args, store),
            font=font,
            generation=GenerationInfo(app_version=_app_version()),
        ),
    )
    if not data.rows:
        print(f"no verifications recorded on {args.date.isoformat()}: printed an empty log")
    return 0


@_report_errors
def _cmd_report_monthly(args: argparse.Namespace) -> int:
    """Print the monthly usage report (PDF, optionally CSV) against the policy thresholds."""
    from storage.reports import GenerationInfo
    from storage.reports.exports import export_monthly, report_font, shipped_rulebook
    from storage.timeutil import now_tokyo

    font, rulebook = report_font(args.font), shipped_rulebook()
    _export(
        args,
        lambda store: export_monthly(
            store,
            rulebook,
            *args.month,
            args.out,
            as_of=args.as_of or now_tokyo().date(),
            csv=args.csv,
            font=font,
            generation=GenerationInfo(app_version=_app_version()),
        ),
    )
    return 0


@_report_errors
def _cmd_report_subsidy(args: argparse.Namespace) -> int:
    """Print the subsidy sheet for the stored facility, with amounts for the entered costs."""
    from storage.reports import GenerationInfo
    from storage.reports.exports import export_subsidy, report_font, shipped_rulebook
    from storage.timeutil import now_tokyo

    font, rulebook = report_font(args.font), shipped_rulebook()
    _export(
        args,
        lambda store: export_subsidy(
            store,
            rulebook,
            args.out,
            as_of=args.as_of or now_tokyo().date(),
            costs=dict(args.cost or []),
            all_classes=args.all_classes,
            csv=args.csv,
            font=font,
            generation=GenerationInfo(app_version=_app_version()),
        ),
    )
    return 0


@_report_errors
def _cmd_report_declaration(args: argparse.Namespace) -> int:
    """Print a 被保険者資格申立書, blank or pre-filled for a patient by chart number."""
    from storage.reports.exports import export_declaration, report_font, shipped_rulebook

    font, rulebook = report_font(args.font), shipped_rulebook()
    _export(
        args,
        lambda store: export_declaration(
            store, rulebook, args.out, on=args.date, chart_number=args.chart, font=font
        ),
    )
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
        help="patient display: full name, family name + birth year, chart no. only "
        "(default: the print_masking setting, else partial)",
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


# -- configuration (per-PC TOML) ---------------------------------------------------------------

CONFIG_FILE = "madoguchi.toml"
#: Shared settings kept in the database (admin screen): their keys live in storage.
SETTING_PRINT_MASKING = settings_keys.PRINT_MASKING
SETTING_IDLE_LOCK_MINUTES = settings_keys.IDLE_LOCK_MINUTES
DEFAULT_IDLE_LOCK_MINUTES = settings_keys.DEFAULT_IDLE_LOCK_MINUTES


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class TerminalSettings:
    root: Path
    medical_institution_code: str
    request_encoding: str = "utf-8"
    answer_timeout_s: float = 30.0


@dataclass(frozen=True, slots=True)
class AppConfig:
    """This PC's configuration (``madoguchi.toml`` in the user config folder)."""

    mode: str = "production"  # or "demo"
    source: Path | None = None
    #: SQLAlchemy URL or a SQLite file path; None: SQLite in the user-data folder.
    database: str | None = None
    terminal: TerminalSettings | None = None
    #: Recorded with every verification; default: this PC's name.
    terminal_id: str | None = None
    preferred_reader: str | None = None
    #: Ask for 限度額 information with individual queries (patients consented at registration).
    limit_consent: bool = False


@dataclass(frozen=True, slots=True)
class PcSettings:
    """What the admin screen may change in this PC's madoguchi.toml (used from the next start)."""

    #: SQLAlchemy URL or SQLite file path; None: SQLite in the user-data folder.
    database: str | None
    #: The OQS folder (with req/res/face); None: 資格確認限定型, no terminal folder.
    terminal_root: str | None
    medical_institution_code: str = ""
    request_encoding: str = "utf-8"


def pc_settings_of(config: AppConfig) -> PcSettings:
    t = config.terminal
    return PcSettings(
        database=config.database,
        terminal_root=str(t.root) if t else None,
        medical_institution_code=t.medical_institution_code if t else "",
        request_encoding=t.request_encoding if t else "utf-8",
    )


def save_config(path: Path, new: PcSettings) -> AppConfig:
    """Write ``new`` into the per-PC TOML at ``path`` (other keys and comments kept), checked
    with :func:`load_config` before it replaces the file; ConfigError names what is wrong."""
    import tomlkit

    doc = tomlkit.parse(path.read_text("utf-8")) if path.exists() else tomlkit.document()
    doc["mode"] = "production"
    database = tomlkit.table()
    if new.database:
        database["url" if "://" in new.database else "path"] = new.database
    doc["database"] = database
    if new.terminal_root:
        root = Path(new.terminal_root)
        if not root.is_dir():
            raise ConfigError(f"[terminal] root: {root} is not a folder on this PC")
        old = doc.get("terminal")
        terminal = old if isinstance(old, dict) else tomlkit.table()
        terminal["root"] = str(root)
        terminal["medical_institution_code"] = new.medical_institution_code
        terminal["request_encoding"] = new.request_encoding
        doc["terminal"] = terminal
    elif "terminal" in doc:
        del doc["terminal"]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".new")
    tmp.write_text(tomlkit.dumps(doc), "utf-8")
    try:
        config = load_config(tmp)
    except ConfigError as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(str(exc).replace(str(tmp), str(path))) from None
    os.replace(tmp, path)
    return dataclasses.replace(config, source=path)


def default_config_path() -> Path:
    override = os.environ.get("MADOGUCHI_CONFIG")
    if override:
        return Path(override)
    from platformdirs import user_config_dir

    return Path(user_config_dir("Madoguchi", appauthor=False)) / CONFIG_FILE


def load_config(path: Path) -> AppConfig:
    """Read and check the per-PC TOML; every error names the file and the key."""
    import tomllib

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not valid UTF-8 TOML ({exc})") from exc

    def fail(key: str, why: str) -> ConfigError:
        return ConfigError(f"{path}: {key}: {why}")

    def text(
        table: dict[str, object], key: str, where: str, default: str | None = None
    ) -> str | None:
        value = table.get(key, default)
        if value is not None and not isinstance(value, str):
            raise fail(f"{where}{key}", "must be a string")
        return value

    known = {"mode", "database", "terminal", "station", "reader", "queries"}
    for key in data:
        if key not in known:
            raise fail(key, f"unknown key (known: {', '.join(sorted(known))})")
    mode = text(data, "mode", "", "production")
    if mode not in ("production", "demo"):
        raise fail("mode", f"must be 'production' or 'demo', got {mode!r}")
    database = data.get("database", {})
    if not isinstance(database, dict):
        raise fail("database", "must be a table with url = ... or path = ...")
    url, db_path = text(database, "url", "[database] "), text(database, "path", "[database] ")
    if url and db_path:
        raise fail("[database]", "give url or path, not both")
    terminal = None
    table = data.get("terminal")
    if table is not None:
        if not isinstance(table, dict):
            raise fail("terminal", "must be a table")
        root = text(table, "root", "[terminal] ")
        code = text(table, "medical_institution_code", "[terminal] ")
        if not root:
            raise fail("[terminal] root", "the OQS folder (with req/res/face) is required")
        if not code or not (len(code) == 10 and code.isdigit()):
            raise fail("[terminal] medical_institution_code", f"must be 10 digits, got {code!r}")
        encoding = text(table, "request_encoding", "[terminal] ", "utf-8") or "utf-8"
        if encoding.lower().replace("-", "_") not in (
            "utf_8",
            "utf8",
            "shift_jis",
            "sjis",
            "cp932",
        ):
            raise fail("[terminal] request_encoding", f"utf-8 or shift_jis, got {encoding!r}")
        timeout = table.get("answer_timeout_s", 30)
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
            raise fail("[terminal] answer_timeout_s", "must be a positive number of seconds")
        terminal = TerminalSettings(Path(root), code, encoding, float(timeout))
    station = data.get("station", {})
    reader = data.get("reader", {})
    queries = data.get("queries", {})
    for name, value in (("station", station), ("reader", reader), ("queries", queries)):
        if not isinstance(value, dict):
            raise fail(name, "must be a table")
    consent = queries.get("limit_consent", False)
    if not isinstance(consent, bool):
        raise fail("[queries] limit_consent", "must be true or false")
    return AppConfig(
        mode=mode or "production",
        source=path,
        database=url or db_path,
        terminal=terminal,
        terminal_id=text(station, "terminal_id", "[station] "),
        preferred_reader=text(reader, "preferred", "[reader] "),
        limit_consent=consent,
    )


# -- wiring: the Recorder port bound to storage.Store -------------------------------------------


#: VisitSetting value -> storage VisitKind value (往診 is a home visit in the log).
_VISIT_KINDS = {
    "outpatient": "outpatient",
    "unusual_route": "unusual_route",
    "home_visit": "home_visit",
    "house_call": "home_visit",
    "online_consultation": "online",
}


def _database_errors(cls: type) -> type:
    """Wrap the recorder's public methods: a database that cannot be used at all raises
    reader.reception.DatabaseUnavailable (the status strip turns red); refusals pass through."""
    import functools

    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from sqlalchemy.exc import InterfaceError, OperationalError

            from reader.reception import DatabaseUnavailable
            from storage.errors import DatabasePasswordMissing, KeyringUnavailable

            try:
                return method(*args, **kwargs)
            except (
                OperationalError,
                InterfaceError,
                KeyringUnavailable,
                DatabasePasswordMissing,
                OSError,
            ) as exc:
                raise DatabaseUnavailable(str(exc).splitlines()[0]) from exc

        return wrapper

    for name, member in list(vars(cls).items()):
        if callable(member) and not name.startswith("_"):
            setattr(cls, name, wrap(member))
    return cls


@_database_errors
class StoreRecorder:
    """reader.reception.Recorder on top of storage.Store (the desk never imports storage)."""

    def __init__(self, store: Store, description: str) -> None:
        self.store = store
        self._description = description

    def describe(self) -> str:
        return self._description

    def check(self) -> None:
        self.store.has_staff()

    @staticmethod
    def _staff_ref(info: Any) -> Any:
        from reader.reception import StaffRef

        return StaffRef(
            info.id, info.username, info.display_name, info.is_admin, info.must_change_password
        )

    def _actor(self, staff: Any) -> Any:
        from storage.models import StaffRole
        from storage.records import StaffInfo

        role = StaffRole.ADMIN if staff.is_admin else StaffRole.RECEPTION
        return StaffInfo(
            staff.id, staff.username, staff.display_name, role, True, staff.must_change_password
        )

    @staticmethod
    def _patient(row: Any) -> Any:
        from reader.reception import PatientOnFile

        return PatientOnFile(
            id=row.id,
            chart_number=row.chart_number,
            name=row.name,
            kana=row.kana,
            birth_date=row.birth_date,
            sex=row.sex.value,
            insurer_number=row.insurer_number,
            insured_symbol=row.insured_symbol,
            insured_number=row.insured_number,
            insured_branch=row.insured_branch,
        )

    def authenticate(self, username: str, password: str) -> Any:
        info = self.store.authenticate(username, password)
        return None if info is None else self._staff_ref(info)

    def logout(self, staff: Any) -> None:
        self.store.logout(self._actor(staff))

    def facility(self) -> Any:
        return self.store.facility_profile()

    def patient(self, patient_id: int) -> Any:
        return self._patient(self.store.patient(patient_id))

    def find_patients(self, text: str = "", *, birth_date: date | None = None) -> list[Any]:
        return [self._patient(r) for r in self.store.find_patients(text, birth_date=birth_date)]

    def create_patient(self, staff: Any, new: Any) -> Any:
        from storage.models import Sex
        from storage.records import NewPatient

        row = self.store.create_patient(
            self._actor(staff),
            NewPatient(
                chart_number=new.chart_number,
                name=new.name,
                kana=new.kana,
                birth_date=new.birth_date,
                sex=Sex(new.sex),
                insurer_number=new.insurer_number,
                insured_symbol=new.insured_symbol,
                insured_number=new.insured_number,
                insured_branch=new.insured_branch,
            ),
        )
        return self._patient(row)

    def update_patient_numbers(self, staff: Any, patient_id: int, numbers: Any) -> Any:
        current = self.store.patient(patient_id)
        changes: dict[str, Any] = {
            "insurer_number": numbers.insurer_number.strip(),
            "insured_symbol": numbers.symbol,
            "insured_number": numbers.number,
            "insured_branch": numbers.branch,
        }
        if current.birth_date is None:
            changes["birth_date"] = numbers.birthdate
        return self._patient(self.store.update_patient(self._actor(staff), patient_id, **changes))

    def open_visit(self, staff: Any, patient_id: int, setting: Any, on: date) -> int:
        from storage.models import VisitKind

        kind = VisitKind(_VISIT_KINDS[setting.value])
        return self.store.open_visit(self._actor(staff), patient_id, kind, local_date=on).id

    @staticmethod
    def _visit_on_file(row: Any, patient: Any) -> Any:
        from policies.model import VisitSetting
        from reader.reception import VisitOnFile

        setting = {
            "outpatient": VisitSetting.OUTPATIENT,
            "unusual_route": VisitSetting.UNUSUAL_ROUTE,
            "home_visit": VisitSetting.HOME_VISIT,
            "online": VisitSetting.ONLINE_CONSULTATION,
        }[row.kind.value]
        return VisitOnFile(row.id, patient, setting, row.local_date)

    def visit(self, visit_id: int) -> Any:
        row = self.store.visit(visit_id)
        return self._visit_on_file(row, self.patient(row.patient_id))

    def visit_history(self, visit_id: int) -> Any:
        from reader.reception import AttemptOnFile, SeenDocument

        detail = self.store.visit_detail(visit_id)
        attempts = tuple(
            AttemptOnFile(
                verification_id=a.verification_id,
                finished_at=a.time,
                path=a.path,
                outcome=a.outcome,
                failure_reason=a.failure_reason,
                documents=tuple(SeenDocument(d.kind, dict(d.details)) for d in a.documents),
                rule_ids=a.rule_ids,
                staff_name=a.staff_display_name,
                simulated=a.simulated,
                terminal_result_id=a.terminal_result_id,
            )
            for a in detail.attempts
        )
        return self._visit_on_file(detail.visit, self._patient(detail.patient)), attempts

    def stored_result(self, terminal_result_id: int) -> Any:
        from reader.reception import StoredResult

        record, data = self.store.terminal_result(terminal_result_id)
        return StoredResult(
            terminal_result_id=record.id,
            data=data,
            file_name=record.file_name,
            source=(record.summary or {}).get("source"),
            simulated=record.simulated,
            received_at=record.received_at,
        )

    def first_home_check(self, patient_id: int) -> date | None:
        from policies.model import Outcome, VerificationPath

        days = [
            v.visit.local_date
            for v in self.store.patient_history(patient_id, limit=1000)
            if v.latest is not None
            and v.latest.path is VerificationPath.HOME_VISIT_FIRST
            and v.latest.outcome is Outcome.CONFIRMED
        ]
        return min(days) if days else None

    def record(self, staff: Any, verification: Any) -> Any:
        from reader.reception import RecordedVerification
        from storage.records import DocumentSeen, NewVerification

        actor = self._actor(staff)
        result_id = None
        evidence = verification.evidence
        if evidence is not None:
            result_id = self.store.save_terminal_result(
                actor,
                raw_xml=evidence.data,
                file_name=evidence.file_name,
                arbitrary_file_identifier=evidence.request_id,
                summary=dict(evidence.summary),
                simulated=evidence.simulated,
                received_at=evidence.received_at,
            ).id
        row = self.store.record_verification(
            actor,
            NewVerification(
                visit_id=verification.visit_id,
                path=verification.path,
                outcome=verification.outcome,
                started_at=verification.started_at,
                failure_reason=verification.failure_reason,
                documents=tuple(
                    DocumentSeen(d.kind, dict(d.details)) for d in verification.documents
                ),
                rule_ids=verification.rule_ids,
                terminal_result_id=result_id,
                simulated=verification.simulated,
                note=verification.note,
            ),
        )
        return RecordedVerification(row.id, row.visit_id, result_id)

    def abandoned(self, staff: Any, visit_id: int, failures: tuple[Any, ...]) -> None:
        self.store.append_event(
            "visit_abandoned",
            self._actor(staff),
            {"visit_id": visit_id, "failures": [f.value for f in failures]},
        )


# -- keyring --------------------------------------------------------------------------------------


def _keyring_problem() -> str | None:
    """Why the OS keyring cannot be used (None: it works)."""
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        return "no OS keyring backend is available"
    try:
        backend.get_password("Madoguchi", "keyring-probe")
    except Exception as exc:  # any backend failure means "not usable"
        return f"{type(exc).__name__}: {exc}"
    return None


def _demo_keyring(path: Path) -> Any:
    """A file keyring for the DEMO database only, clearly labelled; never used in production."""
    import json

    from keyring.backend import KeyringBackend

    class DemoOnlyFileKeyring(KeyringBackend):
        priority = 0.1  # type: ignore[assignment]
        warning = (
            "DEMO ONLY: Madoguchi demo-mode secrets in a plain file because no OS keyring works "
            "here. Never used for a production database."
        )

        def _load(self) -> dict[str, str]:
            if not path.exists():
                return {}
            data = json.loads(path.read_text("utf-8"))
            return {k: v for k, v in data.items() if not k.startswith("_")}

        def _save(self, data: dict[str, str]) -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            text = json.dumps({"_warning": self.warning, **data}, indent=1)
            with open(
                os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8"
            ) as fh:
                fh.write(text)  # owner-only from the first byte: it holds the chain key
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)

        def get_password(self, service: str, username: str) -> str | None:
            return self._load().get(f"{service}/{username}")

        def set_password(self, service: str, username: str, password: str) -> None:
            data = self._load()
            data[f"{service}/{username}"] = password
            self._save(data)

        def delete_password(self, service: str, username: str) -> None:
            data = self._load()
            data.pop(f"{service}/{username}", None)
            self._save(data)

    return DemoOnlyFileKeyring()


# -- stacks ---------------------------------------------------------------------------------------


@dataclass
class DeskStack:
    """Everything main.py started for one run; ``close()`` stops it in reverse order.

    The UI gets ``desk`` (reception runtime: commands and events) and ``store`` (lists,
    settings, reports, staff administration).
    """

    desk: Any
    store: Store
    mode: str
    data_dir: Path
    notes: list[str] = field(default_factory=list)
    #: This PC's configuration (production); None in demo mode.
    config: AppConfig | None = None
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        while self._closers:
            closer = self._closers.pop()
            try:
                closer()
            except Exception as exc:  # keep closing the rest
                print(f"warning: while stopping: {exc}", file=sys.stderr)

    def idle_lock_minutes(self) -> int:
        value = self.store.setting(settings_keys.IDLE_LOCK_MINUTES)
        return int(value) if value and value.isdigit() else settings_keys.DEFAULT_IDLE_LOCK_MINUTES

    def print_masking(self) -> str:
        return (
            self.store.setting(settings_keys.PRINT_MASKING) or settings_keys.DEFAULT_PRINT_MASKING
        )

    def actor(self) -> Any:
        """The logged-in staff member as storage's StaffInfo (the store re-checks on write)."""
        ref = self.desk.staff if self.desk is not None else None
        if ref is None:
            raise PermissionError("not logged in")
        return self.store.staff_info(ref.id)

    def pc_settings(self) -> PcSettings | None:
        """This PC's connection settings; None in demo mode (its own folder, nothing to edit)."""
        return pc_settings_of(self.config) if self.config is not None else None

    def save_pc_settings(self, new: PcSettings) -> Path:
        """Write them to this PC's madoguchi.toml; they take effect when Madoguchi restarts."""
        if self.config is None:
            raise ConfigError("demo mode: the connection settings cannot be changed")
        path = self.config.source or default_config_path()
        self.config = save_config(path, new)
        return path


def _engine() -> Any:
    from policies import PolicyEngine, load_rulebook
    from resources.policies import rule_texts

    return PolicyEngine(load_rulebook(rule_texts()))


def _demo_profile() -> tuple[Any, dict[str, str]]:
    import tomllib
    from importlib import resources

    from policies.model import FacilityKind, FacilityProfile, Flow, OqsMode

    data = tomllib.loads(
        resources.files("resources").joinpath("demo/facility.toml").read_text("utf-8")
    )
    profile = FacilityProfile(
        kind=FacilityKind(data["kind"]),
        oqs_mode=OqsMode(data["oqs_mode"]),
        flows=frozenset(Flow(f) for f in data["flows"]),
        medical_institution_code=data["medical_institution_code"],
        prefecture_code=data["prefecture_code"],
        municipality_code=data["municipality_code"],
        name=data["name"],
    )
    return profile, data["staff"]


def _start_desk(stack: DeskStack, **parts: Any) -> None:
    """Build the ReceptionDesk from the chosen parts, start it, and stop it with the stack."""
    from reader.reception import ReceptionDesk

    desk = ReceptionDesk(engine=_engine(), **parts)
    desk.start()
    stack._closers.append(desk.close)
    stack.desk = desk


def default_demo_dir() -> Path:
    from storage.engine import data_dir

    return data_dir() / "demo"


def build_demo_stack(demo_dir: Path, *, answer_timeout_s: float = 10.0) -> DeskStack:
    """DEMO mode: own database, SIMULATED terminal subprocess, SIMULATED demo cards."""
    import keyring

    from reader.reception import (
        DeskMode,
        InProcessCardSource,
        PcscCardSource,
        SimulatedTerminalProcess,
        VpcdDemoCards,
    )
    from reader.terminal import TerminalConfig, TerminalExchange
    from reader.virtual_card import PcscdUnavailable, SlotsBusy, ensure_pcscd, lease_slot
    from storage.engine import sqlite_url
    from storage.store import Store

    demo_dir.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    if _keyring_problem() is not None:
        keyring.set_keyring(_demo_keyring(demo_dir / "DEMO-ONLY-keyring.json"))
        notes.append("keyring: DEMO-ONLY file keyring in the demo folder (no OS keyring here)")
    db_file = demo_dir / "demo.sqlite3"
    store = Store.open(
        sqlite_url(db_file).render_as_string(),
        terminal_id=_terminal_id(),
        backup_dir=demo_dir / "backups",
    )
    stack = DeskStack(desk=None, store=store, mode="demo", data_dir=demo_dir, notes=notes)
    stack._closers.append(store.close)
    try:
        profile, staff = _demo_profile()
        if not store.has_staff():
            admin = store.create_first_admin(
                staff["username"], staff["display_name"], staff["password"]
            )
            store.set_facility_profile(admin, profile)
        profile = store.facility_profile() or profile
        sim = SimulatedTerminalProcess(demo_dir / "oqs", log_file=demo_dir / "terminal-sim.log")
        sim.start()
        stack._closers.append(sim.stop)
        terminal = TerminalExchange(
            TerminalConfig(
                root=demo_dir / "oqs",
                data_dir=demo_dir / "terminal-data",
                medical_institution_code=profile.medical_institution_code,
                answer_timeout_s=answer_timeout_s,
                rescan_interval_s=0.5,
                simulated=True,
            )
        )
        card_source: Any
        preferred = None
        try:
            service = ensure_pcscd()
            stack._closers.append(service.release)
            lease = lease_slot(timeout=5.0)
            stack._closers.append(lease.release)
            card_source = PcscCardSource()
            demo_cards: Any = VpcdDemoCards(lease.slot)
            stack._closers.append(demo_cards.remove)
            preferred = lease.reader_name
        except (PcscdUnavailable, SlotsBusy, OSError) as exc:
            card_source = demo_cards = InProcessCardSource()
            notes.append(f"card reader: in-process SIMULATED reader ({exc})")
        _start_desk(
            stack,
            recorder=StoreRecorder(store, f"SQLite {db_file} (DEMO)"),
            card_source=card_source,
            terminal=terminal,
            demo_cards=demo_cards,
            mode=DeskMode.DEMO,
            preferred_reader=preferred,
        )
    except BaseException:
        stack.close()
        raise
    return stack


def build_production_stack(config: AppConfig, db_override: str | None = None) -> DeskStack:
    """PRODUCTION: the configured database, the real terminal folders, real PC/SC readers."""
    from reader.reception import DeskMode, PcscCardSource
    from reader.terminal import RequestEncoding, TerminalConfig, TerminalExchange
    from storage.engine import data_dir, resolve_url
    from storage.store import Store

    problem = _keyring_problem()
    if problem is not None:
        raise ConfigError(
            f"The OS keyring is not usable ({problem}). Madoguchi keeps the audit-chain key and "
            "the database password only there. Windows: the Credential Manager is used "
            "automatically (log in as a normal user). Linux: install and unlock a Secret Service "
            "keyring (e.g. `apt-get install gnome-keyring`) in the desktop session."
        )
    url = db_override or config.database
    if url and "://" not in url:
        from storage.engine import sqlite_url

        url = sqlite_url(Path(url)).render_as_string()
    terminal_id = config.terminal_id or _terminal_id()
    store = Store.open(url, terminal_id=terminal_id)
    resolved = resolve_url(url)
    description = (
        f"SQLite {resolved.database}"
        if resolved.get_backend_name() == "sqlite"
        else f"PostgreSQL {resolved.host}:{resolved.port or 5432}/{resolved.database}"
    )
    stack = DeskStack(desk=None, store=store, mode="production", data_dir=data_dir(), config=config)
    stack._closers.append(store.close)
    if store.witness_problem:  # storage.witness: rolled back, truncated or replaced
        stack.notes.append(f"AUDIT CHAIN NOT AS THIS PC SAW IT: {store.witness_problem}")
    try:
        terminal = None
        if config.terminal is not None:
            t = config.terminal
            terminal = TerminalExchange(
                TerminalConfig(
                    root=t.root,
                    data_dir=data_dir() / "terminal",
                    medical_institution_code=t.medical_institution_code,
                    request_encoding=RequestEncoding.parse(t.request_encoding),
                    answer_timeout_s=t.answer_timeout_s,
                )
            )
        _start_desk(
            stack,
            recorder=StoreRecorder(store, description),
            card_source=PcscCardSource(),
            terminal=terminal,
            mode=DeskMode.PRODUCTION,
            preferred_reader=config.preferred_reader,
            limit_consent=config.limit_consent,
        )
    except BaseException:
        stack.close()
        raise
    return stack


def _wanted_config(args: argparse.Namespace) -> AppConfig | None:
    """The configuration to run with; None means DEMO (no configuration, or --demo)."""
    if getattr(args, "demo", False):
        return None
    path = Path(args.config) if getattr(args, "config", None) else default_config_path()
    if not path.exists():
        if getattr(args, "config", None):
            raise ConfigError(f"{path}: no such configuration file")
        # An explicit database means production with it (no terminal folder configured).
        return AppConfig() if getattr(args, "db", None) else None
    config = load_config(path)
    return None if config.mode == "demo" else config


def _open_stack(args: argparse.Namespace) -> DeskStack:
    config = _wanted_config(args)
    if config is None:
        demo_dir = Path(args.demo_dir) if getattr(args, "demo_dir", None) else default_demo_dir()
        return build_demo_stack(demo_dir)
    return build_production_stack(config, getattr(args, "db", None))


def _cmd_run(args: argparse.Namespace) -> int:
    """Open the reception window (demo mode without a configuration)."""
    from storage.errors import StorageError

    try:
        stack = _open_stack(args)
    except (ConfigError, StorageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    for note in stack.notes:
        print(note, file=sys.stderr)
    try:
        try:
            from ui.app import run as run_ui  # type: ignore[import-not-found]
        except ImportError:
            run_ui = None
        if run_ui is not None:
            return int(run_ui(stack))
        import signal

        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication, QLabel

        app = QApplication(sys.argv[:1])
        label = QLabel(f"Madoguchi ({stack.mode}): the reception window is not installed yet")
        label.show()
        # Ctrl+C / SIGTERM end the run cleanly (the simulator and pcscd lease are released).
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: app.quit())
        wake = QTimer()
        wake.timeout.connect(lambda: None)  # lets Python run its signal handlers
        wake.start(300)
        return app.exec()
    finally:
        stack.close()


def _cmd_demo_check(args: argparse.Namespace) -> int:
    """Run the demo stack end to end without Qt and print what happened."""
    import tempfile

    from storage.errors import StorageError

    own_dir = None
    if args.demo_dir:
        demo_dir = Path(args.demo_dir)
    else:
        own_dir = tempfile.TemporaryDirectory(prefix="madoguchi-demo-check-")
        demo_dir = Path(own_dir.name)
    try:
        stack = build_demo_stack(demo_dir)
    except (ConfigError, StorageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    try:
        return _demo_check(stack, timeout=args.timeout)
    finally:
        stack.close()
        if own_dir is not None:
            own_dir.cleanup()


def _demo_check(stack: DeskStack, *, timeout: float) -> int:
    import queue as queue_mod
    from datetime import datetime

    from policies.model import VerificationPath
    from reader.reception import (
        DeskStatus,
        FaceResultUnattached,
        NewPatientData,
        PinRequested,
        Problem,
        ProblemKind,
        VisitRecorded,
        VisitRequest,
    )

    desk = stack.desk
    events: queue_mod.Queue[Any] = queue_mod.Queue()
    desk.subscribe(events.put)
    _, staff = _demo_profile()

    def say(text: str) -> None:
        print(f"[{datetime.now():%H:%M:%S}] {text}", flush=True)

    def wait(kind: type, what: str, accept: Callable[[Any], bool] = bool) -> Any:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = events.get(timeout=left)
            except queue_mod.Empty:
                break
            if isinstance(event, Problem) and event.kind is not ProblemKind.CONFIG:
                say(f"  problem ({event.kind.value}): {event.message}")
            if isinstance(event, kind) and accept(event):
                return event
        raise TimeoutError(f"no {what} within {timeout:.0f} s")

    for note in stack.notes:
        say(note)
    status = stack.store.facility_profile()
    say(f"demo folder: {stack.data_dir}")
    say(f"facility: {status.name if status else '-'} (SIMULATED)")
    try:
        desk.login(staff["username"], staff["password"])
        wait(DeskStatus, "login", lambda e: e.staff is not None)
        desk.demo_remove_card()
        say("1. general-purpose reader: demo card demo-03, PIN 1234")
        stamp = datetime.now().strftime("%H%M%S")
        desk.begin_visit(
            VisitRequest(
                new_patient=NewPatientData(
                    f"DC{stamp}A", "見本 一郎", "ミホン イチロウ", date(1975, 11, 3), "male"
                )
            )
        )
        desk.wait_idle()
        desk.demo_insert_card("demo-03")
        pin = wait(PinRequested, "PIN request")
        say(f"   card read; PIN tries left {pin.tries_left}")
        desk.submit_pin("1234")
        rec = wait(VisitRecorded, "recorded verification")
        say(
            f"   recorded: {rec.path.value} {rec.outcome.value} "
            f"(verification {rec.verification_id}, simulated={rec.simulated})"
        )
        ok = rec.path is VerificationPath.MYNA_GENERAL_READER_PIN and rec.simulated
        desk.demo_remove_card()
        say("2. face-recognition reader: demo card demo-01 (result arrives, then attached)")
        desk.demo_face_reader("demo-01")
        face = wait(FaceResultUnattached, "face-style result")
        record = face.result.record
        say(f"   face result for {record.name if record else '?'} ({face.outcome.value})")
        desk.attach_face_result(
            face.token,
            VisitRequest(
                new_patient=NewPatientData(
                    f"DC{stamp}B", "架空 太郎", "カクウ タロウ", date(1980, 4, 1), "male"
                )
            ),
        )
        rec2 = wait(VisitRecorded, "recorded face verification")
        say(f"   recorded: {rec2.path.value} {rec2.outcome.value} (simulated={rec2.simulated})")
        ok = ok and rec2.path is VerificationPath.MYNA_FACE_READER and rec2.simulated
    except TimeoutError as exc:
        say(f"FAILED: {exc}")
        return EXIT_BROKEN
    desk.wait_idle()
    result = stack.store.verify_chain()
    say(f"3. audit chain: {'OK' if result.ok else 'BROKEN'} ({result.checked} events)")
    ok = ok and result.ok
    say("demo-check " + ("OK" if ok else "FAILED"))
    return 0 if ok else EXIT_BROKEN


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--demo",
        action="store_true",
        help="demo mode: own database, SIMULATED terminal and demo cards (the default when "
        "there is no configuration file)",
    )
    p.add_argument(
        "--config", help=f"configuration file (default: user config folder/{CONFIG_FILE})"
    )
    p.add_argument("--db", help="database URL or SQLite file, overriding the configuration")
    p.add_argument("--demo-dir", help="demo data folder (default: user data folder/demo)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Madoguchi — reception assistant for マイナ保険証 eligibility checks.",
    )
    _add_run_options(parser)
    parser.set_defaults(handler=_cmd_run)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = sub.add_parser("run", help="open the reception window (the default command)")
    _add_run_options(p)
    p.set_defaults(handler=_cmd_run)

    p = sub.add_parser(
        "demo-check",
        help="run the demo stack end to end without a window (card, face reader, audit)",
    )
    p.add_argument("--demo-dir", help="demo data folder (default: a fresh temporary folder)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds allowed per step")
    p.set_defaults(handler=_cmd_demo_check)

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
