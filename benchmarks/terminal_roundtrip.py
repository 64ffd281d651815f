"""Madoguchi's own overhead on the terminal exchange, with the simulator answering at once.

Per query, overhead = time to render and atomically write the request (submit) + time from the
answer file being complete (its mtime: the simulator writes a temp file, then renames it) to the
ResultArrived event. The simulator's own work and the folder round trip in between are not ours
and are reported separately as the full round trip. Linux file times come from a coarse clock
(one jiffy), so the answer-side figure may be over-estimated by a few ms, never under-estimated.
`bulk_200_s` is the same for a 一括照会 of `--bookings` patients (default 200; 0 skips it) through
the same simulator: our time writing both requests and from each answer file being complete to
its result being parsed, in seconds.

Face end to end = time from a writer finishing a face file it writes in place (last byte flushed,
just before its close) to FaceResultArrived, with notifications (`face_e2e_median_ms`, target
≤ 100 ms) and with a second exchange that polls (`face_e2e_poll_median_ms`, target ≤ 1.5 ×
`poll_interval_ms`; files written at random phases).
`slow_writer_delivered` is 1 when a face file written in 10 pieces over 4 s is delivered exactly
once and complete by both exchanges. `idle_cpu_pct` is this process's CPU time (both watchers;
the simulator is another process) over 5 s while a half-written face file sits in each face
folder, in % of one core (target ≤ 2).

    python benchmarks/terminal_roundtrip.py [--queries N] [--faces N] [--encoding E] [--json]

With --json the last line is one JSON object: median_ms, p95_ms, face_pickup_median_ms,
face_e2e_median_ms, face_e2e_poll_median_ms, poll_interval_ms, slow_writer_delivered, idle_cpu_pct.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from policies.records import InsuranceNumbers  # noqa: E402
from reader.terminal import (  # noqa: E402
    FaceResultArrived,
    IndividualQuery,
    RequestEncoding,
    ResultArrived,
    TerminalConfig,
    TerminalEvent,
    TerminalExchange,
    TerminalProblem,
)
from reader.terminal.bulk import (  # noqa: E402
    BulkClient,
    BulkSchedule,
    BulkSearch,
    answer_name_for,
)
from reader.terminal.config import WatchMode  # noqa: E402
from reader.terminal.files import atomic_write  # noqa: E402
from reader.terminal_sim.persons import (  # noqa: E402
    SYNTHETIC_INSURER,
    SYNTHETIC_SYMBOL,
    load_population,
    synthetic_person,
)
from reader.terminal_sim.render import AnswerContext, render_result  # noqa: E402

INSTITUTION = "1312345678"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


class _TimedBulkClient(BulkClient):
    """Notes when each request file is complete (the simulator's work starts there)."""

    written: dict[str, int]

    def _write_request(self, name: str, data: bytes) -> None:
        super()._write_request(name, data)
        self.written[name] = time.time_ns()


def bulk_overhead_s(config: TerminalConfig, bookings: int, runs: int = 3) -> tuple[float, float]:
    """(our median seconds, full median seconds) for a 一括照会 of `bookings` patients."""
    searches = [
        BulkSearch(
            InsuranceNumbers(
                SYNTHETIC_INSURER, p.number or "", p.birthdate, SYNTHETIC_SYMBOL, p.branch
            )
        )
        for p in map(synthetic_person, range(bookings))
    ]
    ours, totals = [], []
    for _ in range(runs + 1):
        client = _TimedBulkClient(config, BulkSchedule(waits_s=(0.05,)))
        client.written = {}
        t0 = time.time_ns()
        answer = client.check(searches, date.today())
        total = time.time_ns() - t0
        assert len(answer.units) == bookings and not answer.unanswered, answer
        simulator = 0
        for name, written in client.written.items():
            stem = config.res_dir / answer_name_for(name[: -len(".xml")])
            done = next(
                p for p in (stem.with_suffix(".xml"), stem.with_suffix(".zip")) if p.exists()
            )
            simulator += done.stat().st_mtime_ns - written
            done.unlink()
        ours.append((total - simulator) / 1e9)
        totals.append(total / 1e9)
    return statistics.median(ours[1:]), statistics.median(totals[1:])  # first run: warm-up


class Clock:
    """Wall-clock arrival time of each event, taken on the exchange's worker thread."""

    def __init__(self) -> None:
        self.arrived: dict[str, int] = {}
        #: Face files delivered (name, raw bytes) and problems, in order, to check "once, complete".
        self.faces: list[tuple[str, bytes]] = []
        self.problems: list[str | None] = []
        self.cond = threading.Condition()

    def __call__(self, event: TerminalEvent) -> None:
        now = time.time_ns()
        key = None
        if isinstance(event, ResultArrived):
            key = event.request_id
        elif isinstance(event, FaceResultArrived):
            key = event.result.file_name
        with self.cond:
            if isinstance(event, FaceResultArrived):
                self.faces.append((event.result.file_name or "", event.result.raw_xml))
            elif isinstance(event, TerminalProblem):
                self.problems.append(event.file_name)
            if key:
                self.arrived[key] = now
                self.cond.notify_all()

    def wait(self, key: str, timeout: float = 10.0) -> int:
        deadline = time.monotonic() + timeout
        with self.cond:
            while key not in self.arrived:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(key)
                self.cond.wait(remaining)
            return self.arrived[key]


def face_name(tag: str, i: int) -> str:
    return f"OQSsiquc01res_face_{tag}{i:04d}_{datetime.now():%Y%m%d%H%M%S}.xml"


def write_in_place(paths: list[Path], data: bytes, pieces: int = 1, seconds: float = 0.0) -> int:
    """Write `data` into each path in place, piece by piece in lockstep; the time (ns) the last
    byte was flushed. Not the time after close: a watcher may deliver between flush and close,
    and a figure taken after close then comes out negative."""
    handles = [open(path, "wb") for path in paths]  # noqa: SIM115 - closed below, timed
    step = -(-len(data) // pieces)
    for start in range(0, len(data), step):
        if start:
            time.sleep(seconds / (pieces - 1))
        for fh in handles:
            fh.write(data[start : start + step])
            fh.flush()
    complete = time.time_ns()
    for fh in handles:
        fh.close()
    return complete


def face_e2e(
    clock: Clock, face_dir: Path, data: bytes, n: int, *, tag: str, phase_s: float
) -> list[float]:
    """Milliseconds from the writer's last byte to the result, for n files written in place."""
    out = []
    for i in range(n):
        time.sleep(random.uniform(0.0, phase_s))
        name = face_name(tag, i)
        written = write_in_place([face_dir / name], data)
        out.append((clock.wait(name) - written) / 1e6)
    return out


def delivered_once(clock: Clock, name: str, data: bytes) -> bool:
    with clock.cond:
        return [raw for n, raw in clock.faces if n == name] == [data] and name not in clock.problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--faces", type=int, default=50)
    parser.add_argument("--bookings", type=int, default=200)
    parser.add_argument("--encoding", default="utf-8", choices=["utf-8", "shift_jis"])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    encoding = RequestEncoding.parse(args.encoding)

    with tempfile.TemporaryDirectory(prefix="madoguchi-bench-") as tmp:
        root = Path(tmp) / "oqs"
        env = dict(os.environ, PYTHONPATH=str(REPO))
        sim = subprocess.Popen(
            [sys.executable, "-m", "reader.terminal_sim", "--root", str(root),
             "--encoding", encoding.value, "--delay-ms", "0", "--poll-ms", "1000",
             "--synthetic-persons", str(args.bookings)],
            cwd=REPO, env=env, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert sim.stdout is not None
        if not sim.stdout.readline().startswith("READY"):
            raise SystemExit("the simulator did not start")
        config = TerminalConfig(
            root=root,
            data_dir=Path(tmp) / "data",
            medical_institution_code=INSTITUTION,
            request_encoding=encoding,
            rescan_interval_s=1.0,
            remove_own_answers=False,  # keep answers so their completion time can be read
            simulated=True,
        )
        clock = Clock()
        exchange = TerminalExchange(config)
        exchange.subscribe(clock)
        exchange.start()
        query = IndividualQuery(
            InsuranceNumbers("138057", "1001", date(1980, 4, 1), symbol="架空"), limit_consent=True
        )
        try:
            overheads, roundtrips = [], []
            for i in range(args.queries + 5):
                t0 = time.perf_counter_ns()
                pending = exchange.submit(query)
                submit_ns = time.perf_counter_ns() - t0
                outcome = pending.result()
                total_ns = time.perf_counter_ns() - t0
                assert outcome.ok, outcome
                arrived = clock.wait(pending.request_id)
                res = config.res_dir / f"OQSsiquc01res_{pending.request_id}.xml"
                answer_side = arrived - res.stat().st_mtime_ns
                if i >= 5:  # warm-up
                    overheads.append((submit_ns + answer_side) / 1e6)
                    roundtrips.append(total_ns / 1e6)
            bulk = bulk_overhead_s(config, args.bookings) if args.bookings else None

            population = load_population()
            person = population.by_card("demo-30")
            assert person is not None
            pickups = []
            for i in range(args.faces + 3):
                ctx = AnswerContext(
                    now=datetime.now(), institution_code=INSTITUTION, encoding=encoding,
                    reference_classification="1", with_consents=True,
                )  # fmt: skip
                data = render_result([person], ctx, population)
                name = f"OQSsiquc01res_face_bench{i:04d}_{datetime.now():%Y%m%d%H%M%S}.xml"
                atomic_write(config.face_dir, name, data, durable=False)
                ready = time.time_ns()
                arrived = clock.wait(name)
                if i >= 3:
                    pickups.append((arrived - ready) / 1e6)
                time.sleep(0.02)

            e2e = face_e2e(clock, config.face_dir, data, 20, tag="e2e", phase_s=0.05)
            poll_root = Path(tmp) / "oqs-share"
            (poll_root / "face").mkdir(parents=True)
            poll_config = dataclasses.replace(
                config, root=poll_root, data_dir=Path(tmp) / "data-poll", watch=WatchMode.POLL
            )
            poll_clock = Clock()
            polling = TerminalExchange(poll_config)
            polling.subscribe(poll_clock)
            polling.start()
            try:
                interval = poll_config.poll_interval_s
                e2e_poll = face_e2e(
                    poll_clock, poll_config.face_dir, data, 20, tag="poll", phase_s=interval
                )
                slow = face_name("slow", 0)
                write_in_place([config.face_dir / slow, poll_config.face_dir / slow], data, 10, 4.0)
                time.sleep(1.5)  # anything delivered twice would show by now
                slow_ok = delivered_once(clock, slow, data) and delivered_once(
                    poll_clock, slow, data
                )
                half = face_name("half", 0)
                write_in_place([config.face_dir / half, poll_config.face_dir / half], data[:-80])
                time.sleep(1.0)
                cpu0, wall0 = time.process_time(), time.monotonic()
                time.sleep(5.0)
                idle_cpu = (time.process_time() - cpu0) / (time.monotonic() - wall0) * 100
            finally:
                polling.stop()
        finally:
            exchange.stop()
            sim.terminate()
            sim.wait(10)
            sim.stdout.close()

    figures = {
        "median_ms": round(statistics.median(overheads), 2),
        "p95_ms": round(percentile(overheads, 95), 2),
        "face_pickup_median_ms": round(statistics.median(pickups), 2),
        "face_e2e_median_ms": round(statistics.median(e2e), 2),
        "face_e2e_poll_median_ms": round(statistics.median(e2e_poll), 2),
        "poll_interval_ms": round(interval * 1000),
        "slow_writer_delivered": int(slow_ok),
        "idle_cpu_pct": round(idle_cpu, 2),
    }
    print(f"encoding {encoding.xml_name}, {len(overheads)} queries, {len(pickups)} face files")
    if bulk is not None:
        figures[f"bulk_{args.bookings}_s"] = round(bulk[0], 3)
        print(f"一括照会 of {args.bookings}: ours {bulk[0]:.3f} s, full {bulk[1]:.3f} s (median)")
    print(f"our overhead per query: median {figures['median_ms']} ms, p95 {figures['p95_ms']} ms")
    print(
        f"full round trip incl. simulator: median {statistics.median(roundtrips):.2f} ms, "
        f"p95 {percentile(roundtrips, 95):.2f} ms"
    )
    print(
        f"face pickup: median {figures['face_pickup_median_ms']} ms, "
        f"p95 {percentile(pickups, 95):.2f} ms, max {max(pickups):.2f} ms"
    )
    print(
        f"face end to end (close → result): median {figures['face_e2e_median_ms']} ms with "
        f"notifications, {figures['face_e2e_poll_median_ms']} ms polling every "
        f"{figures['poll_interval_ms']} ms (max {max(e2e_poll):.0f} ms)"
    )
    print(
        f"slow writer (10 pieces over 4 s) delivered once, complete: {bool(slow_ok)}; "
        f"idle CPU with a half-written file: {figures['idle_cpu_pct']} % of one core"
    )
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
