"""``python -m reader.virtual_card``: put a SIMULATED My Number card into a vpcd slot.

    python -m reader.virtual_card --slot 1 --card demo-07 [--pin 1234] [--remove-at N]
        [--silent-at N] [--wrong-sw-at N [--wrong-sw 6581]] [--delay-ms MS] [--interactive]

Starts pcscd with vpcd if none runs (and stops it on exit if nobody else uses it). With
``--interactive``, type ``r`` + Enter to remove the card, ``i`` to insert it, ``q`` to quit;
otherwise the card stays in until Ctrl-C. ``--regenerate-demo-material`` rewrites
``resources/demo/jpki`` (new simulated CA and card keys) instead.
"""

from __future__ import annotations

import argparse
import sys
import threading

from reader.virtual_card.identity import DEMO_DIR, generate_demo_material, load_identity
from reader.virtual_card.service import ensure_pcscd, lease_slot
from reader.virtual_card.vpcd import VPCD_SLOTS, Fault, FaultKind, VirtualCard


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m reader.virtual_card",
        description="SIMULATED My Number card for Madoguchi's demo and tests (vpcd).",
    )
    p.add_argument(
        "--slot", type=int, choices=range(VPCD_SLOTS), help="vpcd slot (default: any free)"
    )
    p.add_argument("--card", default="demo-01", help="demo card id (demo-01 … demo-40)")
    p.add_argument("--pin", help="PIN the card accepts (default: from cards.toml)")
    p.add_argument("--remove-at", type=int, metavar="N", help="pull the card at APDU N")
    p.add_argument("--silent-at", type=int, metavar="N", help="stop answering at APDU N")
    p.add_argument("--wrong-sw-at", type=int, metavar="N", help="answer a wrong status at APDU N")
    p.add_argument(
        "--wrong-sw", type=lambda s: int(s, 16), default=0x6581, help="hex, default 6581"
    )
    p.add_argument("--delay-ms", type=float, default=0.0, help="answer every APDU this late")
    p.add_argument("--interactive", action="store_true", help="read i/r/q commands from stdin")
    p.add_argument(
        "--regenerate-demo-material", action="store_true", help="rewrite resources/demo/jpki"
    )
    return p


def _faults(args: argparse.Namespace) -> list[Fault]:
    faults = []
    if args.remove_at:
        faults.append(Fault(FaultKind.REMOVE, args.remove_at))
    if args.silent_at:
        faults.append(Fault(FaultKind.SILENT, args.silent_at))
    if args.wrong_sw_at:
        faults.append(Fault(FaultKind.WRONG_SW, args.wrong_sw_at, args.wrong_sw))
    return faults


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.regenerate_demo_material:
        ids = generate_demo_material()
        _say(f"wrote a simulated CA and {len(ids)} demo cards to {DEMO_DIR}")
        return 0
    service = ensure_pcscd()
    lease = lease_slot(
        range(args.slot, args.slot + 1) if args.slot is not None else range(VPCD_SLOTS)
    )
    card = VirtualCard(load_identity(args.card), slot=lease.slot, pin=args.pin)
    try:
        card.inject(*_faults(args))
        card.set_delay(args.delay_ms / 1000)
        card.insert()
        _say(f"SIMULATED My Number card {card.card_id} inserted in {card.reader_name!r}")
        if not args.interactive:
            threading.Event().wait()
        for line in sys.stdin:
            cmd = line.strip().lower()
            if cmd == "r":
                card.remove()
                _say("removed")
            elif cmd == "i":
                card.insert()
                _say("inserted")
            elif cmd == "q":
                break
    except KeyboardInterrupt:
        pass
    finally:
        card.remove()
        lease.release()
        service.release()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
