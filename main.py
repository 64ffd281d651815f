"""Madoguchi (窓口): the command line and the wiring.

This is the composition root: the only module that chooses implementations (real or virtual card,
real or simulated terminal, SQLite or PostgreSQL) and connects the parts. Each layer parses and
checks its own section of the per-PC configuration (``storage.config``, ``reader.station``,
``reader.terminal.config``); this module composes them and resolves, in one place
(:func:`resolve_target`), which database a run uses: the window and every command alike. Bad
input of any kind ends as one line on stderr and exit code 2, never a traceback. Every command
keeps its imports inside its handler so that ``--help`` and light commands start fast.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storage import settings_keys

if TYPE_CHECKING:
    from reader.terminal.config import TerminalSettings
    from storage.store import Store

Handler = Callable[[argparse.Namespace], int]

EXIT_BROKEN = 1
EXIT_ERROR = 2
#: Days the command line accepts: any a clinic's records or the rule book can concern, and far
#: enough from date.min/max that a Tokyo day's UTC bounds and a month's last day always exist.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


# -- configuration (per-PC TOML; each section checked by the layer that uses it) -----------------

CONFIG_FILE = "madoguchi.toml"
#: Top-level keys of madoguchi.toml.
CONFIG_KEYS = ("database", "mode", "queries", "reader", "station", "terminal")
#: Shared settings kept in the database (admin screen): their keys live in storage.
SETTING_PRINT_MASKING = settings_keys.PRINT_MASKING
SETTING_IDLE_LOCK_MINUTES = settings_keys.IDLE_LOCK_MINUTES
DEFAULT_IDLE_LOCK_MINUTES = settings_keys.DEFAULT_IDLE_LOCK_MINUTES


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and the key."""


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
        request_encoding=t.request_encoding.value if t else "utf-8",
    )


def save_config(path: Path, new: PcSettings) -> AppConfig:
    """Write ``new`` into the per-PC TOML at ``path`` (other keys and comments kept), checked
    with :func:`load_config` before it replaces the file; ConfigError names what is wrong."""
    import tomlkit

    from storage.config import database_table

    doc = tomlkit.parse(path.read_text("utf-8")) if path.exists() else tomlkit.document()
    doc["mode"] = "production"
    database = tomlkit.table()
    database.update(database_table(new.database))
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
    """Read the per-PC TOML and have each layer check its section; errors name file and key."""
    import tomllib

    from reader.station import StationConfigError, station_sections
    from reader.terminal.config import queries_section, terminal_section
    from reader.terminal.errors import TerminalConfigError
    from storage.config import database_section
    from storage.errors import ConfigError as DatabaseConfigError

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not valid UTF-8 TOML ({exc})") from exc
    unknown = sorted(set(data) - set(CONFIG_KEYS))
    if unknown:
        raise ConfigError(f"{path}: {unknown[0]}: unknown key (known: {', '.join(CONFIG_KEYS)})")
    mode = data.get("mode", "production")
    if mode not in ("production", "demo"):
        raise ConfigError(f"{path}: mode: must be 'production' or 'demo', got {mode!r}")
    try:
        station = station_sections(data.get("station", {}), data.get("reader", {}))
        return AppConfig(
            mode=mode,
            source=path,
            database=database_section(data.get("database", {})),
            terminal=terminal_section(data["terminal"]) if "terminal" in data else None,
            terminal_id=station.terminal_id,
            preferred_reader=station.preferred_reader,
            limit_consent=queries_section(data.get("queries", {})),
        )
    except (DatabaseConfigError, TerminalConfigError, StationConfigError) as exc:
        raise ConfigError(f"{path}: {exc}") from None


# -- which database: one resolution for the window and every command ----------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """Where a run works: DEMO (its own folder) or this PC's production configuration."""

    #: This PC's configuration; None in demo mode.
    config: AppConfig | None
    #: The demo folder in demo mode, else None.
    demo_dir: Path | None
    #: Database URL or SQLite file for Store.open (None: SQLite in the user-data folder).
    url: str | None
    terminal_id: str
    #: Where pre-migration backups go (None: the user-data folder's).
    backup_dir: Path | None = None


DEMO_DB_FILE = "demo.sqlite3"


def default_demo_dir() -> Path:
    from storage.engine import data_dir

    return data_dir() / "demo"


def resolve_target(args: argparse.Namespace) -> Target:
    """``--demo``; else ``--db`` (with the configuration, if any); else the configuration file
    (``--config``, ``MADOGUCHI_CONFIG``, the user config folder) unless it says demo; else DEMO."""
    from reader.station import default_terminal_id

    demo, db = getattr(args, "demo", False), getattr(args, "db", None)
    if demo and db:
        raise ConfigError("--demo and --db exclude each other (the demo has its own database)")
    config = None
    if not demo:
        path = Path(args.config) if getattr(args, "config", None) else default_config_path()
        if path.exists():
            config = load_config(path)
        elif getattr(args, "config", None):
            raise ConfigError(f"{path}: no such configuration file")
    if db:  # an explicit database means production with it
        from storage.engine import resolve_url
        from storage.errors import ConfigError as DatabaseConfigError

        try:
            resolve_url(db)
        except DatabaseConfigError as exc:
            raise ConfigError(f"--db: {exc}") from None
        config = dataclasses.replace(config or AppConfig(), mode="production", database=db)
    if config is None or config.mode == "demo":
        given = getattr(args, "demo_dir", None)
        demo_dir = Path(given) if given else default_demo_dir()
        return Target(
            None,
            demo_dir,
            str(demo_dir / DEMO_DB_FILE),
            default_terminal_id(),
            demo_dir / "backups",
        )
    return Target(config, None, config.database, config.terminal_id or default_terminal_id())


def _open_store(args: argparse.Namespace, *, create: bool = False) -> Store:
    """The run's database; a command that only works on data never creates one."""
    from storage.secrets import use_demo_keyring
    from storage.store import Store

    target = resolve_target(args)
    if target.demo_dir is not None:
        use_demo_keyring(target.demo_dir)
    return Store.open(
        target.url, terminal_id=target.terminal_id, backup_dir=target.backup_dir, create=create
    )


def _clear_errors(func: Handler) -> Handler:
    """The project's typed errors become one clear line on stderr and exit code 2."""

    def wrapper(args: argparse.Namespace) -> int:
        from storage.errors import StorageError

        try:
            return func(args)
        except (StorageError, ConfigError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_ERROR

    wrapper.__doc__ = func.__doc__
    return wrapper


def _iso_day(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r} (expected YYYY-MM-DD)") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise argparse.ArgumentTypeError(
            f"date {text} out of range ({FIRST_DAY.isoformat()} … {LAST_DAY.isoformat()})"
        )
    return day


def _year_month(text: str) -> tuple[int, int]:
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


# -- storage commands (audit, backup, restore, db) ---------------------------------------------


@_clear_errors
def _cmd_audit_verify(args: argparse.Namespace) -> int:
    """Walk the audit chain; name the first broken event (exit 1) or print the verified head."""
    with _open_store(args) as store:
        result = store.verify_chain()
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


@_clear_errors
def _cmd_audit_head(args: argparse.Namespace) -> int:
    """Print the chain head as of the end of a day (what the daily log prints)."""
    with _open_store(args) as store:
        head = store.chain_head(args.date)
    if head is None:
        print(f"no audit events on or before {args.date.isoformat()}")
        return EXIT_BROKEN
    at = head.occurred_at.isoformat() if head.occurred_at else "-"
    print(f"{args.date.isoformat()} seq {head.seq} hash {head.hash} at {at}")
    return 0


@_clear_errors
def _cmd_audit_key_export(args: argparse.Namespace) -> int:
    """Write the audit-chain key to a file for another reception PC (audited, warned)."""
    from storage.secrets import EXPORT_WARNING

    out = Path(args.out)
    if out.exists():
        raise ConfigError(f"{out} already exists (the key is written only to a new file)")
    with _open_store(args) as store:
        text = store.export_chain_key(None)
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise ConfigError(f"{out}: cannot be written ({exc.strerror or exc})") from exc
    print(EXPORT_WARNING, file=sys.stderr)
    print(f"key written to {out}")
    return 0


@_clear_errors
def _cmd_audit_key_import(args: argparse.Namespace) -> int:
    """Put an exported chain key into this PC's keyring (after checking it fits the database)."""
    from storage.engine import make_engine
    from storage.secrets import EXPORT_WARNING, read_export
    from storage.store import import_chain_key

    text = read_export(Path(args.from_file))
    target = resolve_target(args)
    engine = make_engine(target.url, create=False)
    try:
        uuid = import_chain_key(engine, text, terminal_id=target.terminal_id)
    finally:
        engine.dispose()
    print(f"chain key for database {uuid} stored in the OS keyring")
    print(EXPORT_WARNING, file=sys.stderr)
    return 0


@_clear_errors
def _cmd_backup(args: argparse.Namespace) -> int:
    """Back up the database (SQLite online backup, PostgreSQL pg_dump); audited."""
    with _open_store(args) as store:
        info = store.backup(Path(args.out))
    print(f"backup written to {info.path} ({info.size} bytes, sha256 {info.sha256})")
    return 0


@_clear_errors
def _cmd_restore(args: argparse.Namespace) -> int:
    """Restore from a backup whose chain verifies; the current database is kept aside."""
    from storage.restore import restore

    target = resolve_target(args)
    report = restore(target.url, Path(args.from_file), terminal_id=target.terminal_id)
    aside = report.set_aside or "(there was no current database)"
    print(
        f"restored from {report.restored_from}: {report.events_verified} events verified; "
        f"previous database kept at {aside}"
    )
    return 0


@_clear_errors
def _cmd_db_migrate(args: argparse.Namespace) -> int:
    """Migrate the schema to the newest version, backing the database up first."""
    from storage.engine import data_dir, make_engine
    from storage.migrate import migrate

    target = resolve_target(args)
    engine = make_engine(target.url)
    backup_dir = Path(args.backup_dir) if args.backup_dir else target.backup_dir
    try:
        report = migrate(engine, backup_dir or data_dir() / "backups")
    finally:
        engine.dispose()
    if report.from_revision == report.to_revision:
        print(f"schema is current ({report.to_revision})")
    else:
        print(
            f"migrated {report.from_revision or 'empty'} -> {report.to_revision}; "
            f"backup: {report.backup or 'none (new database)'}"
        )
    return 0


@_clear_errors
def _cmd_db_set_password(args: argparse.Namespace) -> int:
    """Store the PostgreSQL password in the OS keyring (read from the prompt or stdin)."""
    import getpass

    from storage.engine import password_key, resolve_url
    from storage.secrets import store_db_password

    url = resolve_url(resolve_target(args).url)
    if url.get_backend_name() != "postgresql":
        print("error: only a PostgreSQL database has a password", file=sys.stderr)
        return EXIT_ERROR
    password = (
        getpass.getpass("PostgreSQL password: ") if sys.stdin.isatty() else sys.stdin.readline()
    )
    store_db_password(password_key(url), password.rstrip("\n"))
    print("password stored in the OS keyring")
    return 0


def _add_database_options(p: argparse.ArgumentParser, *, top: bool = False) -> None:
    """The options that choose the database, on the top level and on every command. A command
    only sets what it was given, so ``main.py --demo report daily`` keeps the top level's."""
    unset = {} if top else {"default": argparse.SUPPRESS}
    p.add_argument(
        "--demo",
        action="store_true",
        help="demo mode: own database, SIMULATED terminal and demo cards (the default when "
        "there is no configuration file)",
        **unset,
    )
    p.add_argument(
        "--config",
        help=f"configuration file (default: $MADOGUCHI_CONFIG, else user config folder/"
        f"{CONFIG_FILE})",
        **unset,
    )
    p.add_argument(
        "--db", help="database URL or SQLite file, overriding the configuration", **unset
    )
    p.add_argument("--demo-dir", help="demo data folder (default: user data folder/demo)", **unset)


def _add_storage_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    audit = sub.add_parser("audit", help="check the tamper-evident audit log")
    audit_sub = audit.add_subparsers(title="audit commands", metavar="ACTION", required=True)
    p = audit_sub.add_parser("verify", help="verify the whole chain; exit 1 names the broken event")
    p.set_defaults(handler=_cmd_audit_verify)
    p = audit_sub.add_parser("head", help="the chain head as of the end of a day")
    p.add_argument("--date", required=True, type=_iso_day, help="local day, YYYY-MM-DD")
    p.set_defaults(handler=_cmd_audit_head)
    p = audit_sub.add_parser("key-export", help="export the chain key for another reception PC")
    p.add_argument("--out", required=True, help="new file to write (kept private, 0600)")
    p.set_defaults(handler=_cmd_audit_key_export)
    p = audit_sub.add_parser("key-import", help="import a chain key exported on the first PC")
    p.add_argument("--from", dest="from_file", required=True, help="the exported key file")
    p.set_defaults(handler=_cmd_audit_key_import)

    p = sub.add_parser("backup", help="back up the database to a file")
    p.add_argument("--out", required=True, help="backup file to write")
    p.set_defaults(handler=_cmd_backup)
    p = sub.add_parser("restore", help="restore the database from a verified backup")
    p.add_argument("--from", dest="from_file", required=True, help="backup file")
    p.set_defaults(handler=_cmd_restore)

    db = sub.add_parser("db", help="database administration")
    db_sub = db.add_subparsers(title="db commands", metavar="ACTION", required=True)
    p = db_sub.add_parser("migrate", help="migrate the schema (after a backup)")
    p.add_argument("--backup-dir", help="where the pre-migration backup goes")
    p.set_defaults(handler=_cmd_db_migrate)
    p = db_sub.add_parser("set-password", help="store the PostgreSQL password in the OS keyring")
    p.set_defaults(handler=_cmd_db_set_password)
    for parser in (*audit_sub.choices.values(), *db_sub.choices.values()):
        _add_database_options(parser)
    for name in ("backup", "restore"):
        _add_database_options(sub.choices[name])


# -- report commands (daily log, monthly usage, subsidy sheet, 申立書) ---------------------------


def _report_errors(func: Handler) -> Handler:
    """Report, font and rule-data errors become one clear line and exit code 2."""

    @_clear_errors
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
    with _open_store(args) as store:
        data, done = run(store)
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
    font_help = "TrueType font file to embed (default: the best Japanese system font)"
    report = sub.add_parser("report", help="print the daily log and reports (PDF/CSV)")
    rs = report.add_subparsers(title="reports", metavar="REPORT", required=True)

    def common(p: argparse.ArgumentParser, *, csv: bool = True) -> None:
        p.add_argument("--out", required=True, metavar="FILE.pdf", help="PDF file to write")
        if csv:
            p.add_argument("--csv", metavar="FILE.csv", help="also write CSV (UTF-8 with BOM)")
        p.add_argument("--font", metavar="FILE.ttf", help=font_help)
        _add_database_options(p)

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
        print(f"error: {err}", file=sys.stderr)
        return EXIT_ERROR
    mode = OqsMode(args.mode)
    if args.flows is not None:
        known = {f.value for f in Flow}
        unknown = [f for f in args.flows.split(",") if f and f not in known]
        if unknown:
            print(
                f"error: unknown flow {unknown[0]!r} (allowed: {', '.join(sorted(known))})",
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
        print(f"error: {err}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


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


# -- stacks ---------------------------------------------------------------------------------------


def _warn_on_failure(closer: Callable[[], object]) -> None:
    try:
        closer()
    except Exception as exc:  # keep closing the rest
        print(f"warning: while stopping: {exc}", file=sys.stderr)


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
    closers: ExitStack = field(default_factory=ExitStack)

    def defer(self, closer: Callable[[], object]) -> None:
        """Run ``closer`` on :meth:`close`, before what was deferred earlier; a failure there
        is a warning and the rest is still closed."""
        self.closers.callback(_warn_on_failure, closer)

    def close(self) -> None:
        self.closers.close()

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
    stack.defer(desk.close)
    stack.desk = desk


def build_demo_stack(demo_dir: Path, *, answer_timeout_s: float = 10.0) -> DeskStack:
    """DEMO mode: own database, SIMULATED terminal subprocess, SIMULATED demo cards."""
    from reader.reception import (
        DeskMode,
        InProcessCardSource,
        PcscCardSource,
        SimulatedTerminalProcess,
        VpcdDemoCards,
    )
    from reader.station import default_terminal_id
    from reader.terminal import TerminalConfig, TerminalExchange
    from reader.virtual_card import PcscdUnavailable, SlotsBusy, ensure_pcscd, lease_slot
    from storage.secrets import use_demo_keyring
    from storage.store import Store

    demo_dir.mkdir(parents=True, exist_ok=True)
    note = use_demo_keyring(demo_dir)
    db_file = demo_dir / DEMO_DB_FILE
    store = Store.open(
        str(db_file), terminal_id=default_terminal_id(), backup_dir=demo_dir / "backups"
    )
    notes = [note] if note else []
    stack = DeskStack(desk=None, store=store, mode="demo", data_dir=demo_dir, notes=notes)
    with ExitStack() as on_failure:
        on_failure.callback(stack.close)
        stack.defer(store.close)
        profile, staff = _demo_profile()
        if not store.has_staff():
            admin = store.create_first_admin(
                staff["username"], staff["display_name"], staff["password"]
            )
            store.set_facility_profile(admin, profile)
        profile = store.facility_profile() or profile
        sim = SimulatedTerminalProcess(demo_dir / "oqs", log_file=demo_dir / "terminal-sim.log")
        sim.start()
        stack.defer(sim.stop)
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
            stack.defer(service.release)
            lease = lease_slot(timeout=5.0)
            stack.defer(lease.release)
            card_source = PcscCardSource()
            demo_cards: Any = VpcdDemoCards(lease.slot)
            stack.defer(demo_cards.remove)
            preferred = lease.reader_name
        except (PcscdUnavailable, SlotsBusy, OSError) as exc:
            card_source = demo_cards = InProcessCardSource()
            stack.notes.append(f"card reader: in-process SIMULATED reader ({exc})")
        _start_desk(
            stack,
            recorder=StoreRecorder(store, f"SQLite {db_file} (DEMO)"),
            card_source=card_source,
            terminal=terminal,
            demo_cards=demo_cards,
            mode=DeskMode.DEMO,
            preferred_reader=preferred,
        )
        on_failure.pop_all()
    return stack


def build_production_stack(target: Target) -> DeskStack:
    """PRODUCTION: the configured database, the real terminal folders, real PC/SC readers."""
    from reader.reception import DeskMode, PcscCardSource
    from reader.terminal import TerminalExchange
    from storage.engine import data_dir, resolve_url
    from storage.secrets import keyring_problem
    from storage.store import Store

    config = target.config
    assert config is not None
    problem = keyring_problem()
    if problem is not None:
        raise ConfigError(
            f"The OS keyring is not usable ({problem}). Madoguchi keeps the audit-chain key and "
            "the database password only there. Windows: the Credential Manager is used "
            "automatically (log in as a normal user). Linux: install and unlock a Secret Service "
            "keyring (e.g. `apt-get install gnome-keyring`) in the desktop session."
        )
    store = Store.open(target.url, terminal_id=target.terminal_id)
    resolved = resolve_url(target.url)
    description = (
        f"SQLite {resolved.database}"
        if resolved.get_backend_name() == "sqlite"
        else f"PostgreSQL {resolved.host}:{resolved.port or 5432}/{resolved.database}"
    )
    stack = DeskStack(desk=None, store=store, mode="production", data_dir=data_dir(), config=config)
    with ExitStack() as on_failure:
        on_failure.callback(stack.close)
        stack.defer(store.close)
        terminal = None
        if config.terminal is not None:
            terminal = TerminalExchange(config.terminal.config(data_dir() / "terminal"))
        _start_desk(
            stack,
            recorder=StoreRecorder(store, description),
            card_source=PcscCardSource(),
            terminal=terminal,
            mode=DeskMode.PRODUCTION,
            preferred_reader=config.preferred_reader,
            limit_consent=config.limit_consent,
        )
        on_failure.pop_all()
    return stack


def _open_stack(args: argparse.Namespace) -> DeskStack:
    target = resolve_target(args)
    if target.demo_dir is not None:
        return build_demo_stack(target.demo_dir)
    return build_production_stack(target)


@_clear_errors
def _cmd_run(args: argparse.Namespace) -> int:
    """Open the reception window (demo mode without a configuration)."""
    from ui.app import run as run_ui

    stack = _open_stack(args)
    with ExitStack() as closing:
        closing.callback(stack.close)
        for note in stack.notes:
            print(note, file=sys.stderr)
        return int(run_ui(stack))


@_clear_errors
def _cmd_demo_check(args: argparse.Namespace) -> int:
    """Run the demo stack end to end without Qt and print what happened."""
    import tempfile

    with ExitStack() as closing:
        if args.demo_dir:
            demo_dir = Path(args.demo_dir)
        else:
            own = tempfile.TemporaryDirectory(prefix="madoguchi-demo-check-")
            demo_dir = Path(closing.enter_context(own))
        stack = build_demo_stack(demo_dir)
        closing.callback(stack.close)
        return _demo_check(stack, timeout=args.timeout)


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Madoguchi — reception assistant for マイナ保険証 eligibility checks.",
    )
    _add_database_options(parser, top=True)
    parser.set_defaults(handler=_cmd_run)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = sub.add_parser("run", help="open the reception window (the default command)")
    _add_database_options(p)
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
    on.add_argument("--on", type=_iso_day, metavar="YYYY-MM-DD", help="the date to show")
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
