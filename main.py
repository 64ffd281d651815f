"""Madoguchi (窓口): command line, configuration and wiring.

This is the composition root: the only module that chooses implementations (real or virtual card,
real or simulated terminal, SQLite or PostgreSQL) and connects the parts. Every command keeps its
imports inside its handler so that ``--help`` and light commands start fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import date

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
    from policies import (  # noqa: PLC0415 - keep --help fast
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
    from resources.policies import rule_texts  # noqa: PLC0415

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

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
