"""Storage benchmark: append throughput, chain and row verify at 1M, desk queries on 10 years.

    python benchmarks/storage.py [--json] [--visits N] [--events N] [--postgres] [--workdir DIR]

SQLite (the embedded default, WAL + synchronous=FULL) is the main target. Synthetic data is
bulk-loaded with the same models, the same row binder and the same chain code the app uses
(each patient, visit and verification with the event binding it, as the Store writes them);
the timed parts go through the public Store API. With ``--json`` the last line is one JSON
object with append_per_s, bound_write_per_s (a visit and its verification, each with its
binding event), verify_1m_s (chain and rows, per 1M events), verify_rows_1m_s (the row check
alone: every patient, visit and verification against its latest event, per 1M visits, in two
worker processes as ``audit verify`` runs it on a big database, their start-up
(verify_rows_startup_s, measured on an empty database) added once rather than scaled;
_sequential_s in one),
today_query_median_ms, history_query_median_ms, bytes_per_10k_visits.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import keyring

from policies.dates import JST

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, insert

from policies.model import FailureReason, Outcome, Sex, VerificationPath
from storage.binding import ROW_KEY
from storage.chain import AuditChain, NewEvent
from storage.engine import password_key, resolve_url, write_connection
from storage.models import Patient, VerificationAttempt, Visit, VisitKind
from storage.records import NewPatient, NewVerification
from storage.row_jobs import verify_parallel
from storage.secrets import load_chain_key, store_db_password
from storage.store import Store
from tests.keyring_backend import MemoryKeyring

PATHS = list(VerificationPath)
KINDS = list(VisitKind)
BATCH = 20_000


def log(msg: str) -> None:
    print(msg, flush=True)


def open_store(url: str, workdir: Path) -> Store:
    return Store.open(url, terminal_id="bench-pc", backup_dir=workdir / "backups")


def bind(
    chain: AuditChain, conn: Any, kind: str, table: str, rows: tuple[int, int], *, at: datetime
) -> None:
    """One event per row of ``table`` with keys in ``rows`` (first, last), binding it as the
    Store would."""
    first, last = rows
    key = {"patients": "patient_id", "visits": "visit_id"}.get(table, "verification_id")
    chain.append_many(
        conn,
        [
            NewEvent(kind, "bench", "bench-pc", {key: first + i, ROW_KEY: entry})
            for i, entry in enumerate(chain.binder.entries_between(conn, table, first, last))
        ],
        at=at,
    )


def bulk_visits(store: Store, visits: int, patients: int, days: int, end: date) -> None:
    """``visits`` visits spread over ``days`` days up to ``end``, each with one verification,
    every row with its binding event."""
    staff = store.create_first_admin("bench", "ベンチ", "bench-pass-1")
    chain = AuditChain(load_chain_key(store.database_uuid))
    rng = random.Random(5)
    now = datetime.now(JST)
    engine = store.engine
    first_day = end - timedelta(days=days - 1)
    start = datetime(first_day.year, first_day.month, first_day.day, 8, tzinfo=JST)
    with write_connection(engine) as conn:
        rows = [
            {
                "chart_number": f"C{i:07d}",
                "name": f"患者 {i}",
                "kana": f"カンジャ {i}",
                "birth_date": date(1940, 1, 1) + timedelta(days=i % 25_000),
                "sex": Sex.UNKNOWN,
                "insurer_number": "06139999",
                "created_at": now,
                "updated_at": now,
            }
            for i in range(patients)
        ]
        conn.execute(insert(Patient), rows)
        bind(chain, conn, "patient_created", "patients", (1, patients), at=start)
    per_day = visits / days
    done = 0
    while done < visits:
        n = min(BATCH, visits - done)
        vrows, arows = [], []
        for k in range(done, done + n):
            day = first_day + timedelta(days=int(k / per_day))
            at = datetime(day.year, day.month, day.day, 9, tzinfo=JST) + timedelta(
                seconds=k % 30_000
            )
            vrows.append(
                {
                    "id": k + 1,
                    "patient_id": rng.randrange(patients) + 1,
                    "local_date": day,
                    "kind": KINDS[k % 4],
                    "terminal_id": "bench-pc",
                    "staff_id": staff.id,
                    "opened_at": at,
                }
            )
            path = PATHS[k % len(PATHS)]
            arows.append(
                {
                    "visit_id": k + 1,
                    "path": path,
                    "outcome": Outcome.CONFIRMED,
                    "failure_reason": None if k % 5 else FailureReason.READER_FAILURE,
                    "documents": [{"kind": "myna_card", "details": {}}],
                    "rule_ids": ["DOC-01"],
                    "terminal_result_id": None,
                    "simulated": False,
                    "staff_id": staff.id,
                    "terminal_id": "bench-pc",
                    "started_at": at,
                    "finished_at": at + timedelta(seconds=40),
                    "note": None,
                }
            )
        with write_connection(engine) as conn:
            conn.execute(insert(Visit), vrows)
            conn.execute(insert(VerificationAttempt), arows)
            at = vrows[-1]["opened_at"]
            bind(chain, conn, "visit_opened", "visits", (done + 1, done + n), at=at)
            ids = (done + 1, done + n)
            bind(chain, conn, "verification_recorded", "verification_attempts", ids, at=at)
        done += n


def bulk_events(store: Store, events: int, start: datetime) -> None:
    """Chain events shaped like verification_recorded, appended in big transactions."""
    chain = AuditChain(load_chain_key(store.database_uuid))
    step = timedelta(days=3650) / max(events, 1)
    done = 0
    while done < events:
        n = min(BATCH, events - done)
        batch = [
            NewEvent(
                "verification_recorded",
                "bench",
                "bench-pc",
                {
                    "verification_id": i,
                    "visit_id": i,
                    "patient_id": i % 20_000,
                    "path": PATHS[i % len(PATHS)].value,
                    "outcome": "confirmed",
                    "failure_reason": None,
                    "documents": ["myna_card"],
                    "rule_ids": ["DOC-01"],
                    "terminal_result_id": None,
                    "simulated": False,
                },
            )
            for i in range(done, done + n)
        ]
        with write_connection(store.engine) as conn:
            chain.append_many(conn, batch, at=start + step * done)
        done += n


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm caches and the statement cache
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def append_rate(store: Store, n: int) -> float:
    t = time.perf_counter()
    for i in range(n):
        store.append_event("bench_append", None, {"i": i})
    return n / (time.perf_counter() - t)


def bound_write_rate(store: Store, n: int) -> float:
    """Visits opened and verified through the Store (two bound rows, two events each)."""
    staff = store.create_first_admin("bench-w", "ベンチ", "bench-pass-1")
    patient = store.create_patient(staff, NewPatient("W0000001", "患者 W", "カンジャ W"))
    t = time.perf_counter()
    for _ in range(n):
        visit = store.open_visit(staff, patient.id, VisitKind.OUTPATIENT)
        store.record_verification(
            staff,
            NewVerification(
                visit.id,
                VerificationPath.MYNA_GENERAL_READER_PIN,
                Outcome.CONFIRMED,
                datetime.now(JST),
            ),
        )
    return n / (time.perf_counter() - t)


def verify_rows_time(store: Store, *, parallel: bool) -> tuple[float, int]:
    """Seconds for the row check alone and the rows it checked: in one snapshot in this process,
    or as ``audit verify`` runs it on a big database (two worker processes)."""
    key = load_chain_key(store.database_uuid)
    t = time.perf_counter()
    if parallel:
        with store.engine.connect() as conn:
            last = "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"
            seq, digest = conn.exec_driver_sql(last).one()
        url = store.engine.url
        result = verify_parallel(str(url), None, key, url.database, seq, bytes(digest))
        assert result is not None, "the chain moved while nothing wrote"
    else:
        with store.engine.connect() as conn, conn.begin():
            result = AuditChain(key).binder.verify(conn)
    elapsed = time.perf_counter() - t
    assert result.ok, result.problems
    return elapsed, result.checked


def startup_time(workdir: Path) -> float:
    """Seconds the two-process row check spends apart from rows (storage.workers' child
    processes started, their modules imported, the database opened), on an empty database: a
    fixed cost, added once to the scaled figure rather than scaled with the rows."""
    store = open_store(str(workdir / "empty.sqlite3"), workdir)
    elapsed, _ = verify_rows_time(store, parallel=True)
    store.close()
    return elapsed


def db_bytes(engine: Engine) -> int:
    path = Path(engine.url.database or "")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


def bytes_per_10k(workdir: Path) -> int:
    """Realistic volume: 10,000 visits, verifications, and their two binding events each
    (plus 2,000 patients with theirs)."""
    store = open_store(str(workdir / "size.sqlite3"), workdir)
    empty = db_bytes(store.engine)
    bulk_visits(store, 10_000, 2_000, 40, date(2026, 1, 31))
    size = db_bytes(store.engine) - empty
    store.close()
    return size


def sqlite_figures(args: argparse.Namespace, workdir: Path) -> dict[str, float]:
    figures: dict[str, float] = {}
    store = open_store(str(workdir / "big.sqlite3"), workdir)
    figures["append_per_s"] = round(append_rate(store, args.appends), 1)
    log(f"append: {figures['append_per_s']} events/s (one transaction each, synchronous=FULL)")
    writes = open_store(str(workdir / "writes.sqlite3"), workdir)
    figures["bound_write_per_s"] = round(bound_write_rate(writes, args.appends // 4), 1)
    writes.close()
    log(
        f"bound writes: {figures['bound_write_per_s']} visits+verifications/s (2 transactions each)"
    )

    t = time.perf_counter()
    end = date(2026, 11, 20)
    bulk_visits(store, args.visits, args.patients, 3650, end)
    log(
        f"loaded {args.visits:,} visits + verifications and their binding events "
        f"in {time.perf_counter() - t:.0f} s"
    )
    t = time.perf_counter()
    bulk_events(
        store,
        max(args.events - store.verify_chain().checked, 0),
        datetime(2016, 11, 21, tzinfo=JST),
    )
    log(f"loaded chain events up to {args.events:,} in {time.perf_counter() - t:.0f} s")

    figures["verify_rows_startup_s"] = round(startup_time(workdir), 2)
    for name, parallel in (("verify_rows_1m_sequential_s", False), ("verify_rows_1m_s", True)):
        elapsed, rows = verify_rows_time(store, parallel=parallel)
        fixed = figures["verify_rows_startup_s"] if parallel else 0.0
        figures[name] = round(fixed + max(elapsed - fixed, 0) * 1_000_000 / args.visits, 2)
        log(
            f"verify rows ({'2 processes' if parallel else '1 process'}): {rows:,} rows "
            f"({args.visits:,} visits, their verifications, {args.patients:,} patients) in "
            f"{elapsed:.2f} s (scaled to 1M visits: {figures[name]} s)"
        )

    for name, workers in (("verify_1m_sequential_s", 1), ("verify_1m_s", None)):
        t = time.perf_counter()
        result = store.verify_chain(workers=workers)
        elapsed = time.perf_counter() - t
        assert result.ok, result
        figures[name] = round(elapsed * 1_000_000 / max(result.checked, 1), 2)
        log(
            f"verify chain and rows ({'1 process' if workers == 1 else 'default workers'}): "
            f"{result.checked:,} events in {elapsed:.2f} s (scaled to 1M: {figures[name]} s)"
        )

    rng = random.Random(9)
    days = [end - timedelta(days=rng.randrange(3650)) for _ in range(64)]
    figures["today_query_median_ms"] = round(
        median_ms(lambda: store.visits_on(days[rng.randrange(64)]), args.runs), 2
    )
    sample = store.visits_on(end)
    log(f"today's visits: {len(sample)} visits/day, median {figures['today_query_median_ms']} ms")
    figures["history_query_median_ms"] = round(
        median_ms(lambda: store.patient_history(rng.randrange(args.patients) + 1), args.runs), 2
    )
    log(
        f"patient history: median {figures['history_query_median_ms']} ms "
        f"({len(store.patient_history(1))} visits for patient 1)"
    )
    size = db_bytes(store.engine)
    log(f"database: {size / 1e6:.0f} MB for {args.visits:,} visits and {args.events:,} events")
    store.close()
    figures["bytes_per_10k_visits"] = bytes_per_10k(workdir)
    log(
        f"size: {figures['bytes_per_10k_visits'] / 1e6:.2f} MB per 10,000 visits "
        "(visits, verifications, two audit events each)"
    )
    return figures


def postgres_figures(args: argparse.Namespace) -> dict[str, float]:
    from tests.support.postgres import PostgresServer, find_bin_dir  # noqa: PLC0415

    bin_dir = find_bin_dir()
    if bin_dir is None:
        log("PostgreSQL: no server binaries, skipped")
        return {}
    server = PostgresServer(bin_dir, durable=True).start()
    try:
        url = server.create_database("bench")
        store_db_password(password_key(resolve_url(url)), server.password)
        store = Store.open(url, terminal_id="bench-pc")
        rate = append_rate(store, args.appends)
        bulk_events(store, 100_000, datetime(2016, 11, 21, tzinfo=JST))
        t = time.perf_counter()
        checked = store.verify_chain().checked
        verify_1m = (time.perf_counter() - t) * 1_000_000 / checked
        store.close()
    finally:
        server.stop()
    log(
        f"PostgreSQL: append {rate:.1f} events/s; verify {checked:,} events, scaled to 1M: "
        f"{verify_1m:.2f} s"
    )
    return {"pg_append_per_s": round(rate, 1), "pg_verify_1m_s": round(verify_1m, 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="end with one JSON line of figures")
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--appends", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=50, help="query repetitions for the medians")
    parser.add_argument("--postgres", action="store_true", help="also measure PostgreSQL")
    parser.add_argument("--workdir", type=Path, help="keep the databases here (default: temp)")
    args = parser.parse_args()
    keyring.set_keyring(MemoryKeyring())  # benchmark secrets never touch the OS keyring
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="madoguchi-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        figures = sqlite_figures(args, workdir)
        if args.postgres:
            figures.update(postgres_figures(args))
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
