"""Card-inserted → certificate-parsed latency and APDU count, through the real pcscd + vpcd.

For each of ``--runs`` insertions of the SIMULATED card: the reader monitor's CardInserted event
is the start; the end is the parsed auth certificate (connect, SELECTs, READ BINARYs, X.509
parse). pcscd's own insertion polling (≤ 400 ms) happens before the event and is not counted.

    python benchmarks/card_read.py [--runs 50] [--card demo-01] [--json]

With ``--json`` the last line is one JSON object: ``apdus``, ``median_ms``, ``p95_ms``.
Targets (issue 2): ≤ 10 APDUs, median ≤ 20 ms.
"""

from __future__ import annotations

import argparse
import json
import queue
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reader.apdu import ApduProtocol
from reader.mynumber import JpkiApplication
from reader.pcsc import CardInserted, CardRemoved, PcscConnection, ReaderMonitor
from reader.virtual_card import VirtualCard, ensure_pcscd, lease_slot


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def run(runs: int, card_id: str) -> dict[str, float]:
    service = ensure_pcscd()
    lease = lease_slot()
    card = VirtualCard(card_id, slot=lease.slot)
    events: queue.Queue = queue.Queue()
    latencies: list[float] = []
    apdus: list[int] = []
    try:
        with ReaderMonitor() as monitor:
            monitor.subscribe(
                lambda e: (
                    isinstance(e, (CardInserted, CardRemoved))
                    and e.reader.name == lease.reader_name
                    and events.put(e)
                ),
                replay=False,
            )
            for _ in range(runs):
                card.insert()
                event = events.get(timeout=10)
                assert isinstance(event, CardInserted)
                with PcscConnection(event.reader) as conn:
                    protocol = ApduProtocol(conn)
                    cert = JpkiApplication(protocol).read_auth_certificate()
                latencies.append((time.monotonic() - event.at) * 1000)
                apdus.append(protocol.exchanges)
                assert cert.common_name == card_id and cert.simulated
                card.remove()
                while not isinstance(events.get(timeout=10), CardRemoved):
                    pass
    finally:
        card.remove()
        lease.release()
        service.release()
    return {
        "apdus": max(apdus),
        "median_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(_percentile(latencies, 95), 2),
        "samples": len(latencies),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--card", default="demo-01")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of figures")
    args = parser.parse_args(argv)
    figures = run(args.runs, args.card)
    print(f"SIMULATED card {args.card}, {figures['samples']} insertions through pcscd + vpcd")
    print(f"  APDUs per read : {figures['apdus']}   (target ≤ 10)")
    print(f"  median latency : {figures['median_ms']:.2f} ms   (target ≤ 20 ms)")
    print(f"  p95 latency    : {figures['p95_ms']:.2f} ms")
    if args.json:
        print(json.dumps({k: figures[k] for k in ("apdus", "median_ms", "p95_ms")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
