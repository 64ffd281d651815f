"""`python -m reader.terminal_sim --root DIR …`: run the simulated terminal until stopped."""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
from datetime import date
from pathlib import Path

from reader.terminal.config import RequestEncoding
from reader.terminal_sim.control import Control, ControlState, Fault, Target
from reader.terminal_sim.jpki import DEFAULT_CA
from reader.terminal_sim.persons import DEFAULT_PERSONS, load_population, with_synthetic
from reader.terminal_sim.server import TerminalSimulator


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m reader.terminal_sim",
        description="SIMULATED OQS terminal on a folder (req/res/face). Test material only.",
    )
    p.add_argument("--root", type=Path, required=True, help="OQS folder (req/res/face inside)")
    p.add_argument("--encoding", default="utf-8", help="result encoding: utf-8 or shift_jis")
    p.add_argument("--delay-ms", type=int, default=0, help="delay before each answer")
    p.add_argument("--jpki-ca", type=Path, default=DEFAULT_CA, help="simulated JPKI CA (PEM/DER)")
    p.add_argument("--persons", type=Path, default=DEFAULT_PERSONS, help="synthetic persons TOML")
    p.add_argument(
        "--fault", choices=[f.value for f in Fault], default="none", help="fault to inject"
    )
    p.add_argument("--fault-count", type=int, default=None, help="answers to fault (default all)")
    p.add_argument("--fault-target", choices=[t.value for t in Target], default="both")
    p.add_argument("--slow-write-ms", type=int, default=1500)
    p.add_argument(
        "--bulk-processing", type=int, default=0, help="一括照会: 処理中 answers before the result"
    )
    p.add_argument(
        "--bulk-ready-ms",
        type=int,
        default=0,
        help="一括照会: the job answers 処理中 until this long after it was accepted",
    )
    p.add_argument("--bulk-zip", action="store_true", help="一括照会: send the result zipped")
    p.add_argument(
        "--synthetic-persons", type=int, default=0, help="add N synthetic persons (load tests)"
    )
    p.add_argument(
        "--control", type=Path, default=None, help="control file (default ROOT/sim-control.json)"
    )
    p.add_argument("--today", type=date.fromisoformat, default=None, help="simulated date")
    p.add_argument("--poll-ms", type=int, default=250, help="rescan interval")
    p.add_argument(
        "--exit-on-stdin-eof",
        action="store_true",
        help="stop when stdin reaches end of file: the owner keeps a pipe open, so the "
        "simulator dies with it (portable, unlike watching the parent pid)",
    )
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def _stop_at_eof(stop: threading.Event) -> None:
    """Set ``stop`` once stdin ends: the owner closed its pipe or died, even by SIGKILL."""
    with contextlib.suppress(OSError, ValueError):
        while sys.stdin.buffer.read(4096):
            pass
    stop.set()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="terminal-sim %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    base = Control(
        delay_ms=args.delay_ms,
        fault=Fault(args.fault),
        fault_count=args.fault_count,
        slow_write_ms=args.slow_write_ms,
        applies_to=Target(args.fault_target),
        bulk_processing=max(0, args.bulk_processing),
        bulk_ready_ms=max(0, args.bulk_ready_ms),
        bulk_zip=args.bulk_zip,
    )
    root: Path = args.root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    control = ControlState(base, args.control or root / "sim-control.json")
    sim = TerminalSimulator(
        root,
        population=with_synthetic(load_population(args.persons), max(0, args.synthetic_persons)),
        encoding=RequestEncoding.parse(args.encoding),
        ca_path=args.jpki_ca,
        control=control,
        today=args.today,
        poll_s=args.poll_ms / 1000,
    )
    stop = threading.Event()

    def _stop(*_: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    if args.exit_on_stdin_eof:
        threading.Thread(
            target=_stop_at_eof, args=(stop,), name="terminal-sim-lifeline", daemon=True
        ).start()
    print(f"READY SIMULATED-TERMINAL root={root}", flush=True)
    sim.run(stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
