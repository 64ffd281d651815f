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
from collections.abc import Callable, Sequence
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policies.model import FacilityKind, OqsMode
from storage import commands, report_commands, settings_keys
from storage.commands import EXIT_BROKEN, EXIT_ERROR

if TYPE_CHECKING:
    import threading
    from datetime import date

    from policies.bulk_check import BulkCheckRun, BulkProgress, PendingBulkCheck
    from reader.reception import ReceptionDesk
    from reader.terminal import TerminalConfig
    from reader.terminal.bulk import BulkSchedule
    from reader.terminal.config import HandOffConfig, TerminalSettings
    from storage.config import DatabaseTarget
    from storage.records import StaffInfo
    from storage.store import Store
    from ui.stack import PcSettings


# -- configuration (per-PC TOML; each section checked by the layer that uses it) -----------------

CONFIG_FILE = "madoguchi.toml"
#: Top-level keys of madoguchi.toml.
CONFIG_KEYS = ("database", "handoff", "mode", "queries", "reader", "station", "terminal")


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
    #: Hand confirmed results to the receipt computer's folder (``[handoff]``; None: off).
    handoff: HandOffConfig | None = None

    def pc_settings(self) -> PcSettings:
        from ui.stack import PcSettings

        t = self.terminal
        return PcSettings(
            database=self.database,
            terminal_root=str(t.root) if t else None,
            medical_institution_code=t.medical_institution_code if t else "",
            request_encoding=t.request_encoding.value if t else "utf-8",
        )


def save_config(path: Path, new: PcSettings) -> AppConfig:
    """Write ``new`` into the per-PC TOML at ``path`` (other keys and comments kept), checked
    with :func:`load_config` before it replaces the file; ConfigError names what is wrong."""
    import tomlkit

    from reader.terminal.config import edit_terminal_table
    from storage.config import database_table

    doc = tomlkit.parse(path.read_text("utf-8")) if path.exists() else tomlkit.document()
    doc["mode"] = "production"
    doc["database"] = database_table(new.database)
    if new.terminal_root:
        old = doc.get("terminal")
        terminal = old if isinstance(old, dict) else tomlkit.table()
        code, encoding = new.medical_institution_code, new.request_encoding
        edit_terminal_table(terminal, Path(new.terminal_root), code, encoding)
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
    if override := os.environ.get("MADOGUCHI_CONFIG"):
        return Path(override)
    from platformdirs import user_config_dir

    return Path(user_config_dir("Madoguchi", appauthor=False)) / CONFIG_FILE


def load_config(path: Path) -> AppConfig:
    """Read the per-PC TOML and have each layer check its section; errors name file and key."""
    import tomllib

    from reader.station import StationConfigError, station_sections
    from reader.terminal.config import HandOffConfig, queries_section, terminal_section
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
            handoff=HandOffConfig.from_table(data["handoff"]) if "handoff" in data else None,
        )
    except (DatabaseConfigError, TerminalConfigError, StationConfigError) as exc:
        raise ConfigError(f"{path}: {exc}") from None


# -- which database: one resolution for the window and every command ----------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """Where a run works: DEMO (its own folder) or this PC's production configuration."""

    #: This PC's configuration; None in demo mode.
    config: AppConfig | None
    database: DatabaseTarget

    @property
    def demo_dir(self) -> Path | None:
        return self.database.demo_dir


def resolve_target(args: argparse.Namespace) -> Target:
    """``--demo``; else ``--db`` (with the configuration, if any); else the configuration file
    (``--config``, ``MADOGUCHI_CONFIG``, the user config folder) unless it says demo; else DEMO."""
    from reader.station import default_terminal_id
    from storage.config import DatabaseTarget
    from storage.engine import data_dir, resolve_url
    from storage.errors import ConfigError as DatabaseConfigError

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
        try:
            resolve_url(db)
        except DatabaseConfigError as exc:
            raise ConfigError(f"--db: {exc}") from None
        config = dataclasses.replace(config or AppConfig(), mode="production", database=db)
    if config is None or config.mode == "demo":
        given = getattr(args, "demo_dir", None)
        demo_dir = Path(given) if given else data_dir() / "demo"
        return Target(None, DatabaseTarget.demo(demo_dir, default_terminal_id()))
    terminal_id = config.terminal_id or default_terminal_id()
    source = "--db" if db else f"[database] in {config.source}"
    return Target(config, DatabaseTarget(config.database, terminal_id, source=source))


def _database_options(p: argparse.ArgumentParser, *, top: bool = False) -> None:
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


def _cmd_rules(args: argparse.Namespace) -> int:
    """Print what the rules accept on a date, for a facility profile, with rule IDs and sources."""
    from policies.render import rules_report
    from resources.policies import shipped_rulebook

    # A Windows console may not be UTF-8: never fail on a character it cannot show.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    rulebook = shipped_rulebook()
    sys.stdout.write(rules_report(rulebook, args.on, args.facility, args.mode, args.flows))
    return 0


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

    #: None only until the stack builder has started it.
    desk: ReceptionDesk | None
    store: Store
    mode: str
    data_dir: Path
    notes: list[str] = field(default_factory=list)
    #: This PC's configuration (production); None in demo mode.
    config: AppConfig | None = None
    closers: ExitStack = field(default_factory=ExitStack)
    #: The terminal folders the desk uses (None: 資格確認限定型, no terminal).
    terminal_config: TerminalConfig | None = None
    #: The 明日の予約 view's waits and deadline for the terminal (None: the client's defaults).
    bulk_schedule: BulkSchedule | None = None

    def defer(self, closer: Callable[[], object]) -> None:
        """Run ``closer`` on :meth:`close`, before what was deferred earlier; a failure there
        is a warning and the rest is still closed."""
        self.closers.callback(_warn_on_failure, closer)

    def close(self) -> None:
        self.closers.close()

    def idle_lock_minutes(self) -> int:
        return settings_keys.idle_lock_minutes(self.store)

    def print_masking(self) -> str:
        return settings_keys.print_masking(self.store)

    def actor(self) -> StaffInfo:
        """The logged-in staff member as storage's StaffInfo (the store re-checks on write)."""
        ref = self.desk.staff if self.desk is not None else None
        if ref is None:
            raise PermissionError("not logged in")
        return self.store.staff_info(ref.id)

    def check_bookings(
        self,
        csv_path: Path,
        day: date,
        stop: threading.Event,
        progress: Callable[[BulkProgress], None],
        resume: bool = False,
    ) -> BulkCheckRun:
        """The 「明日の予約」 view's 一括照会 (blocking: a worker thread), recorded under the
        logged-in staff member, through the terminal the desk uses; ``resume`` downloads the
        day's kept reception number instead of sending a new one."""
        from reader.bulk_check import run_bulk_check
        from storage.bulk_checks import StoreBookings

        return run_bulk_check(
            StoreBookings(self.store, self.actor()),
            self.terminal_config,
            csv_path,
            day,
            schedule=self.bulk_schedule,
            stop=stop,
            progress=progress,
            limit_consent=self.config is not None and self.config.limit_consent,
            resume=resume,
        )

    def pending_bulk_check(self, day: date) -> PendingBulkCheck | None:
        """The day's 一括照会 the terminal still had 処理中 when its download gave up."""
        from storage.bulk_checks import StoreBookings

        return StoreBookings(self.store).pending(day)

    def pc_settings(self) -> PcSettings | None:
        """This PC's connection settings; None in demo mode (its own folder, nothing to edit)."""
        return self.config.pc_settings() if self.config is not None else None

    def save_pc_settings(self, new: PcSettings) -> Path:
        """Write them to this PC's madoguchi.toml; they take effect when Madoguchi restarts."""
        if self.config is None:
            raise ConfigError("demo mode: the connection settings cannot be changed")
        path = self.config.source or default_config_path()
        self.config = save_config(path, new)
        return path


def _start_desk(stack: DeskStack, **parts: Any) -> None:
    """Build the ReceptionDesk from the chosen parts, start it, and stop it with the stack."""
    from policies import PolicyEngine
    from reader.reception import ReceptionDesk
    from resources.policies import shipped_rulebook

    desk = ReceptionDesk(engine=PolicyEngine(shipped_rulebook()), **parts)
    desk.start()
    stack.defer(desk.close)
    stack.desk = desk


def build_demo_stack(demo_dir: Path, *, answer_timeout_s: float = 10.0) -> DeskStack:
    """DEMO mode: own database, SIMULATED terminal subprocess, SIMULATED demo cards."""
    from reader.reception import DeskMode, SimulatedTerminalProcess, demo_card_source
    from reader.station import default_terminal_id
    from reader.terminal import TerminalConfig, TerminalExchange
    from storage.config import DatabaseTarget
    from storage.demo_data import prepare_desk_demo
    from storage.recorder import StoreRecorder
    from storage.secrets import use_demo_keyring

    demo_dir.mkdir(parents=True, exist_ok=True)
    note = use_demo_keyring(demo_dir)
    database = DatabaseTarget.demo(demo_dir, default_terminal_id())
    store = database.open_store(create=True)
    notes = [note] if note else []
    if store.witness_problem:  # storage.witness, said as build_production_stack says it
        notes.append(f"AUDIT CHAIN NOT AS THIS PC SAW IT: {store.witness_problem}")
    stack = DeskStack(desk=None, store=store, mode="demo", data_dir=demo_dir, notes=notes)
    with ExitStack() as on_failure:
        on_failure.callback(stack.close)
        stack.defer(store.close)
        profile = prepare_desk_demo(store)
        config = stack.terminal_config = TerminalConfig.demo(
            demo_dir,
            profile.medical_institution_code,
            answer_timeout_s=answer_timeout_s,
            rescan_interval_s=0.5,
        )
        sim = SimulatedTerminalProcess(config.root, log_file=demo_dir / "terminal-sim.log")
        sim.start()
        stack.defer(sim.stop)
        terminal = TerminalExchange(config)
        cards = demo_card_source(stack.defer)
        if cards.note:
            stack.notes.append(cards.note)
        _start_desk(
            stack,
            recorder=StoreRecorder(store, database.describe()),
            card_source=cards.source,
            terminal=terminal,
            demo_cards=cards.cards,
            mode=DeskMode.DEMO,
            preferred_reader=cards.preferred_reader,
        )
        on_failure.pop_all()
    return stack


def build_production_stack(target: Target) -> DeskStack:
    """PRODUCTION: the configured database, the real terminal folders, real PC/SC readers."""
    from reader.reception import DeskMode, PcscCardSource
    from reader.terminal import TerminalExchange
    from reader.terminal.errors import TerminalError
    from storage.engine import data_dir
    from storage.recorder import StoreRecorder
    from storage.secrets import require_keyring

    config = target.config
    assert config is not None
    require_keyring()
    store = target.database.open_store(create=True)
    stack = DeskStack(desk=None, store=store, mode="production", data_dir=data_dir(), config=config)
    if store.witness_problem:  # storage.witness: rolled back, truncated or replaced
        stack.notes.append(f"AUDIT CHAIN NOT AS THIS PC SAW IT: {store.witness_problem}")
    with ExitStack() as on_failure:
        on_failure.callback(stack.close)
        stack.defer(store.close)
        terminal = None
        if config.terminal is not None:
            stack.terminal_config = config.terminal.config(data_dir() / "terminal")
            terminal = TerminalExchange(stack.terminal_config)
            if config.handoff is not None:
                try:
                    config.handoff.check_apart_from(terminal.config)
                except TerminalError as exc:
                    raise ConfigError(f"{config.source}: {exc}") from None
        _start_desk(
            stack,
            recorder=StoreRecorder(store, target.database.describe()),
            card_source=PcscCardSource(),
            terminal=terminal,
            mode=DeskMode.PRODUCTION,
            preferred_reader=config.preferred_reader,
            limit_consent=config.limit_consent,
            handoff=config.handoff,
        )
        on_failure.pop_all()
    return stack


def _cmd_run(args: argparse.Namespace) -> int:
    """Open the reception window (demo mode without a configuration)."""
    from ui.app import display_problem
    from ui.app import run as run_ui

    if (problem := display_problem()) is not None:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_ERROR
    target = resolve_target(args)
    demo_dir = target.demo_dir
    stack = build_production_stack(target) if demo_dir is None else build_demo_stack(demo_dir)
    with closing(stack):
        for note in stack.notes:
            print(note, file=sys.stderr)
        return int(run_ui(stack))


def _cmd_demo_check(args: argparse.Namespace) -> int:
    """Run the demo stack end to end without Qt and print what happened."""
    import tempfile

    from reader import demo_check
    from storage.demo_data import desk_demo

    with ExitStack() as run:
        fresh = partial(tempfile.TemporaryDirectory, prefix="madoguchi-demo-check-")
        demo_dir = Path(args.demo_dir or run.enter_context(fresh()))
        stack = run.enter_context(closing(build_demo_stack(demo_dir)))
        profile, demo = stack.store.facility_profile(), desk_demo()
        facility = f"facility: {profile.name if profile else '-'} (SIMULATED)"
        ok = demo_check.run(
            stack.desk,
            username=demo.username,
            password=demo.password,
            verify_chain=stack.store.verify_chain,
            timeout=args.timeout,
            intro=(*stack.notes, f"demo folder: {demo_dir}", facility),
        )
    return 0 if ok else EXIT_BROKEN


def _bulk_check(args: argparse.Namespace, store: Store, staff: StaffInfo) -> BulkCheckRun:
    """``bookings check``'s 一括照会: the terminal chosen as the window chooses it (the demo's
    simulator in demo mode, started for the run), the bookings and the chain from ``store``."""
    from reader.bulk_check import demo_terminal, run_until_interrupted
    from storage.bulk_checks import StoreBookings
    from storage.demo_data import desk_demo
    from storage.engine import data_dir

    target = resolve_target(args)
    run = partial(
        run_until_interrupted,
        StoreBookings(store, staff),
        csv_path=Path(args.csv),
        day=args.date,
        deadline_s=args.deadline,
        wait_s=args.wait,
        resume=args.resume,
    )
    if target.demo_dir is not None:
        profile = store.facility_profile() or desk_demo().profile
        with demo_terminal(target.demo_dir, profile.medical_institution_code) as config:
            return run(config)
    assert target.config is not None
    if target.config.terminal is None:
        raise ConfigError(f"{target.config.source or '--db'}: [terminal] is not configured")
    config = target.config.terminal.config(data_dir() / "terminal")
    return run(config, limit_consent=target.config.limit_consent)


def build_parser() -> argparse.ArgumentParser:
    parser = commands.OneLineParser(
        prog="main.py",
        description="Madoguchi — reception assistant for マイナ保険証 eligibility checks.",
    )
    _database_options(parser, top=True)
    parser.set_defaults(handler=_cmd_run)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = sub.add_parser("run", help="open the reception window (the default command)")
    _database_options(p)
    p.set_defaults(handler=_cmd_run)

    p = sub.add_parser(
        "demo-check",
        help="run the demo stack end to end without a window (card, face reader, audit)",
    )
    p.add_argument("--demo-dir", help="demo data folder (default: a fresh temporary folder)")
    p.add_argument(
        "--timeout", type=commands.seconds, default=60.0, help="seconds allowed per step"
    )
    p.set_defaults(handler=_cmd_demo_check)

    p = sub.add_parser("rules", help="print what the rules accept on a date, with sources")
    on = p.add_mutually_exclusive_group(required=True)
    on.add_argument("--on", type=commands.iso_day, metavar="YYYY-MM-DD", help="the date to show")
    on.add_argument("--index", action="store_true", help="list every rule ID with its sources")
    p.add_argument("--facility", choices=[k.value for k in FacilityKind], default="clinic")
    p.add_argument("--mode", choices=[m.value for m in OqsMode], default="mandated")
    p.add_argument(
        "--flows",
        default=None,
        metavar="FLOW[,FLOW...]",
        help="enabled flows (default: face_reader for mandated, general_reader for limited)",
    )
    p.set_defaults(handler=_cmd_rules)

    def database(args: argparse.Namespace) -> DatabaseTarget:
        return resolve_target(args).database

    commands.add_commands(sub, database, _database_options)
    report_commands.add_bookings_command(sub, database, _database_options, _bulk_check)
    return parser


def _typed_error(exc: Exception) -> bool:
    """Whether ``exc`` is one of the project's typed errors (its message is for the operator)."""
    from policies import PolicyError, RuleDataError
    from reader.terminal.errors import TerminalError
    from storage.errors import StorageError
    from storage.reports.errors import ReportError

    return isinstance(
        exc, ConfigError | StorageError | ReportError | RuleDataError | PolicyError | TerminalError
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the project's typed errors end as one line on stderr and exit code 2."""
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except Exception as exc:
        if not _typed_error(exc):
            raise
        from storage.sanitise import clean_text  # never print a typed 12-digit value back

        print(f"error: {clean_text(str(exc))}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
