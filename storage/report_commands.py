"""Storage's printing commands: report daily/monthly/subsidy/declaration and bookings check.

Split from :mod:`storage.commands` (which keeps the login, the audit, backup, restore and db
commands, the argument types and the exit codes) because printing is its own job: each command
verifies what it would print first (``storage.reports.from_store.verified``) and refuses with
:data:`~storage.commands.EXIT_UNVERIFIED`, or with ``--print-unverified`` prints under the red
banner; every file written is recorded in the chain under the logged-in staff member. The same
rules as there: an existing database only, typed failures, heavy imports inside the handlers.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storage import settings_keys
from storage.commands import (
    EXIT_UNVERIFIED,
    AddOptions,
    BulkCheck,
    Resolve,
    add_user_option,
    iso_day,
    login,
    seconds,
    year_month,
)
from storage.errors import InvalidInput

if TYPE_CHECKING:
    from storage.commands import SubParsers
    from storage.config import DatabaseTarget
    from storage.records import StaffInfo
    from storage.store import Store


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

        pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
        return str(tomllib.loads(pyproject.read_text("utf-8"))["project"]["version"])


def _report_masking(args: argparse.Namespace, store: Store) -> str:
    """--masking, else the clinic's printout setting (admin screen), else partial."""
    if args.masking is not None:
        return {"chart": "chart_only"}.get(args.masking, args.masking)
    return settings_keys.print_masking(store)


def _export(
    target: DatabaseTarget,
    args: argparse.Namespace,
    run: Callable[[Store, StaffInfo], tuple[Any, Any]],
) -> tuple[Any, int]:
    """Log in, run one report export (audited under the staff member), print what was written;
    (the report's data, exit code). Records that do not verify refuse it (EXIT_UNVERIFIED, one
    line) unless --print-unverified, which prints them under the red banner with a warning."""
    from storage.reports import RecordsUnverified

    with login(target, args, admin=False) as (store, staff):
        try:
            data, done = run(store, staff)
        except RecordsUnverified as exc:
            print(_refused(exc, store), file=sys.stderr)
            return None, EXIT_UNVERIFIED
    if getattr(data, "unverified", None):
        print(f"WARNING: printed UNVERIFIED records ({data.unverified})", file=sys.stderr)
    for e in done:
        print(e.summary())
    return data, 0


def _refused(exc: Exception, store: Store) -> str:
    """The refusal's one line, with the way on that can work: after a rollback nothing can be
    recorded (not even an unverified printout) until an administrator's decision."""
    if store.witness_problem:
        return f"refused: {exc} (an administrator records a decision first: audit accept-restored)"
    return f"refused: {exc} (--print-unverified prints it with a warning)"


def _report_daily(resolve: Resolve, args: argparse.Namespace) -> int:
    """Print the daily log of a day from the database (PDF, optionally CSV); audited."""
    from storage.reports import GenerationInfo
    from storage.reports.exports import export_daily, report_font

    font = report_font(args.font)  # a missing font fails before the database is opened
    data, code = _export(
        resolve(args),
        args,
        lambda store, staff: export_daily(
            store,
            args.date,
            args.out,
            csv=args.csv,
            masking=_report_masking(args, store),
            font=font,
            generation=GenerationInfo(app_version=_app_version()),
            print_unverified=args.print_unverified,
            actor=staff,
        ),
    )
    if data is not None and not data.rows:
        print(f"no verifications recorded on {args.date.isoformat()}: printed an empty log")
    return code


def _report_monthly(resolve: Resolve, args: argparse.Namespace) -> int:
    """Print the monthly usage report (PDF, optionally CSV) against the policy thresholds."""
    from storage.reports.exports import export_monthly

    return _judged_report(resolve, args, export_monthly, *args.month, args.out)


def _report_subsidy(resolve: Resolve, args: argparse.Namespace) -> int:
    """Print the subsidy sheet for the stored facility, with amounts for the entered costs."""
    from storage.reports.exports import export_subsidy

    costs, all_classes = dict(args.cost or []), args.all_classes
    return _judged_report(
        resolve, args, export_subsidy, args.out, costs=costs, all_classes=all_classes
    )


def _judged_report(
    resolve: Resolve, args: argparse.Namespace, export: Any, *positional: Any, **extra: Any
) -> int:
    """A report judged against the shipped rules as of ``--as-of`` (default: today)."""
    from resources.policies import shipped_rulebook
    from storage.reports import GenerationInfo
    from storage.reports.exports import report_font
    from storage.timeutil import now_tokyo

    font, rulebook = report_font(args.font), shipped_rulebook()
    return _export(
        resolve(args),
        args,
        lambda store, staff: export(
            store,
            rulebook,
            *positional,
            as_of=args.as_of or now_tokyo().date(),
            csv=args.csv,
            font=font,
            generation=GenerationInfo(app_version=_app_version()),
            actor=staff,
            print_unverified=args.print_unverified,
            **extra,
        ),
    )[1]


def _report_declaration(resolve: Resolve, args: argparse.Namespace) -> int:
    """Print a 被保険者資格申立書, blank or pre-filled for a patient by chart number."""
    from resources.policies import shipped_rulebook
    from storage.reports.exports import export_declaration, report_font

    font, rulebook = report_font(args.font), shipped_rulebook()
    return _export(
        resolve(args),
        args,
        lambda store, staff: export_declaration(
            store,
            rulebook,
            args.out,
            on=args.date,
            chart_number=args.chart,
            font=font,
            actor=staff,
            print_unverified=args.print_unverified,
        ),
    )[1]


FONT_HELP = "TrueType font file to embed (default: the best Japanese system font)"


def add_unverified_option(p: argparse.ArgumentParser) -> None:
    """``--print-unverified`` on every command that prints or exports records."""
    p.add_argument(
        "--print-unverified",
        action="store_true",
        help="print even if the audit records do not verify (a red banner on every page, a "
        f"first CSV line saying so; without it the report is refused with exit code "
        f"{EXIT_UNVERIFIED})",
    )


def add_report_commands(sub: SubParsers, resolve: Resolve, add_options: AddOptions) -> None:
    report = sub.add_parser("report", help="print the daily log and reports (PDF/CSV)")
    rs = report.add_subparsers(title="reports", metavar="REPORT", required=True)

    def common(p: argparse.ArgumentParser, *, csv: bool = True) -> None:
        p.add_argument("--out", required=True, metavar="FILE.pdf", help="PDF file to write")
        if csv:
            p.add_argument("--csv", metavar="FILE.csv", help="also write CSV (UTF-8 with BOM)")
        p.add_argument("--font", metavar="FILE.ttf", help=FONT_HELP)
        add_unverified_option(p)
        add_options(p)
        add_user_option(p)

    p = rs.add_parser("daily", help="the daily log of one day (reprints are identical)")
    p.add_argument("--date", required=True, type=iso_day, metavar="YYYY-MM-DD")
    p.add_argument(
        "--masking",
        choices=["full", "partial", "chart"],
        help="patient display: full name, family name + birth year, chart no. only "
        "(default: the print_masking setting, else partial)",
    )
    common(p)
    p.set_defaults(handler=partial(_report_daily, resolve))

    p = rs.add_parser("monthly", help="My Number card usage by path and day, vs. thresholds")
    p.add_argument("--month", required=True, type=year_month, metavar="YYYY-MM")
    p.add_argument("--as-of", type=iso_day, metavar="YYYY-MM-DD", help="report date (today)")
    common(p)
    p.set_defaults(handler=partial(_report_monthly, resolve))

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
        type=iso_day,
        metavar="YYYY-MM-DD",
        help="date deadlines are judged against (today)",
    )
    p.add_argument(
        "--all-classes", action="store_true", help="also list the tiers for other facility classes"
    )
    common(p)
    p.set_defaults(handler=partial(_report_subsidy, resolve))

    p = rs.add_parser("declaration", help="a 被保険者資格申立書 to hand to the patient")
    p.add_argument("--date", type=iso_day, metavar="YYYY-MM-DD", help="pre-fill the date")
    p.add_argument("--chart", metavar="NUMBER", help="pre-fill the patient with this chart no.")
    common(p, csv=False)
    p.set_defaults(handler=partial(_report_declaration, resolve))


def _bookings_check(resolve: Resolve, check: BulkCheck, args: argparse.Namespace) -> int:
    """一括照会 of a day's bookings; print the list (PDF, optionally CSV); both audited."""
    from storage.reports import GenerationInfo, RecordsUnverified
    from storage.reports.bookings import FLAG_LABELS, export_bookings_list
    from storage.reports.exports import output_targets, report_font
    from storage.reports.from_store import facility_of, verified

    pdf, csv = output_targets(args.out, args.csv_out)  # before the (long) check
    assert pdf is not None
    if not Path(args.csv).is_file():  # before anyone is asked to log in
        raise InvalidInput(f"{args.csv}: no such bookings list")
    font = report_font(args.font)
    with login(resolve(args), args, admin=False) as (store, staff):
        try:  # before the (long) check, which would append to a chain that does not verify
            unverified = verified(store, "bookings list", print_unverified=args.print_unverified)
        except RecordsUnverified as exc:
            print(_refused(exc, store), file=sys.stderr)
            return EXIT_UNVERIFIED
        if unverified:
            print(f"WARNING: printing UNVERIFIED records ({unverified})", file=sys.stderr)
        run = check(args, store, staff)
        done = export_bookings_list(
            store,
            run,
            pdf,
            csv=csv,
            facility=facility_of(store.facility_profile()),
            masking=_report_masking(args, store),
            font=font,
            generation=GenerationInfo(app_version=_app_version()),
            actor=staff,
            unverified=unverified,
        )
    counts = run.counts()
    print(
        f"{run.day.isoformat()}: {len(run.rows)} bookings ("
        + ", ".join(f"{FLAG_LABELS[f]} {counts[f.value]}" for f in FLAG_LABELS)
        + f"); chain seq {run.chain_seq} hash {run.chain_hash}"
        + (f" [resumed ReceptionNumber {run.reception_number}]" if run.resumed else "")
        + (" [SIMULATED terminal]" if run.simulated else "")
    )
    for line, reason in run.problems:
        print(f"line {line} not imported: {reason}")
    for e in done:
        print(e.summary())
    return 0


def add_bookings_command(
    sub: SubParsers, resolve: Resolve, add_options: AddOptions, check: BulkCheck
) -> None:
    """``bookings check``: the 一括照会 of a day's bookings, run by ``check`` (main.py's)."""
    bookings = sub.add_parser("bookings", help="tomorrow's bookings checked tonight (一括照会)")
    bs = bookings.add_subparsers(title="bookings commands", metavar="ACTION", required=True)
    p = bs.add_parser("check", help="ask the terminal about a day's bookings and print the list")
    p.add_argument(
        "--csv",
        required=True,
        metavar="FILE.csv",
        help="bookings list (予約日, 予約時刻, カルテ番号)",
    )
    p.add_argument("--date", required=True, type=iso_day, metavar="YYYY-MM-DD")
    p.add_argument(
        "--out", required=True, metavar="FILE.pdf", help="PDF list (masked per print_masking)"
    )
    p.add_argument("--csv-out", metavar="FILE.csv", help="also write the list as CSV")
    p.add_argument("--font", metavar="FILE.ttf", help=FONT_HELP)
    add_unverified_option(p)
    # Patients are masked as the clinic's print_masking setting says (as the daily log's default).
    p.set_defaults(masking=None)
    p.add_argument(
        "--wait",
        type=seconds,
        metavar="SECONDS",
        help="pause between download requests while 処理中 (default: 10, 30, 60, 120, 300 s)",
    )
    p.add_argument(
        "--deadline",
        type=seconds,
        default=4 * 3600.0,
        metavar="SECONDS",
        help="give up after this long (default: 4 h); the terminal keeps the job and its "
        "ReceptionNumber is kept in the chain for --resume",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="send no new 一括照会: download the result of --date's check that gave up (its "
        "kept ReceptionNumber) and record it once; --csv names the same bookings",
    )
    add_options(p)
    add_user_option(p)
    p.set_defaults(handler=partial(_bookings_check, resolve, check))
