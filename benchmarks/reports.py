"""Benchmark: the daily log of a 1,000-verification day (targets: ≤ 1.5 s, ≤ 200 MB peak).

End to end, as a reprint runs: read the day from a real SQLite database (verifications, birth
dates, chain head, facility) and render the PDF. The day is seeded first through the Store API
(storage.demo_data, in its own process); the measurement runs in a fresh child process so that
peak RSS covers everything a real print run allocates (Python, SQLAlchemy, reportlab, the
embedded font), which tracemalloc misses. Times are medians of several runs after one warm-up
(font discovery and registration happen once per process and are reported separately), with
the query and the render-only time shown too.

    python benchmarks/reports.py [--rows 1000] [--repeat 5] [--json]

With ``--json`` the last line is one JSON object: {"daily_1000_s": …, "peak_mb": …}
(daily_1000_s = query + render, end to end).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: A Monday opening a month: with a one-month history, the only open day.
DAY = date(2026, 11, 2)


def _peak_rss_mb() -> float | None:
    try:
        import resource  # noqa: PLC0415 - POSIX only
    except ImportError:  # Windows: no resource module
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


def seed(url: str, rows: int, workdir: Path) -> dict[str, object]:
    """Write one day of ``rows`` visits through the Store API (not measured)."""
    sys.path.insert(0, str(ROOT))
    from storage.demo_data import DemoSpec, open_demo_store  # noqa: PLC0415

    spec = DemoSpec(end=DAY, months=1, visits_per_day=(rows, rows))
    t0 = time.perf_counter()
    store, history = open_demo_store(url, spec, backup_dir=workdir / "backups")
    store.close()
    return {"seeded": history.per_day.get(DAY, 0), "seed_s": round(time.perf_counter() - t0, 1)}


def child(url: str, repeat: int) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    # Imported in the child only: the parent stays light and its memory is not measured.
    from storage.reports import render_daily_log  # noqa: PLC0415
    from storage.reports.fonts import find_japanese_font  # noqa: PLC0415
    from storage.reports.from_store import daily_log  # noqa: PLC0415
    from storage.store import Store  # noqa: PLC0415

    t0 = time.perf_counter()
    font = find_japanese_font()
    font_s = time.perf_counter() - t0
    store = Store.open(url, terminal_id="bench")
    totals: list[float] = []
    queries: list[float] = []
    renders: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "daily.pdf"
        t0 = time.perf_counter()
        data = daily_log(store, DAY)
        result = render_daily_log(data, out, font=font)
        first_s = time.perf_counter() - t0
        for _ in range(repeat):
            t0 = time.perf_counter()
            data = daily_log(store, DAY)
            t1 = time.perf_counter()
            result = render_daily_log(data, out, font=font)
            t2 = time.perf_counter()
            totals.append(t2 - t0)
            queries.append(t1 - t0)
            renders.append(t2 - t1)
        size = out.stat().st_size
    store.close()
    return {
        "rows": len(data.rows),
        "pages": result.pages,
        "bytes": size,
        "font_s": round(font_s, 4),
        "first_s": round(first_s, 4),
        "median_s": round(statistics.median(totals), 4),
        "min_s": round(min(totals), 4),
        "query_s": round(statistics.median(queries), 4),
        "render_s": round(statistics.median(renders), 4),
        "peak_mb": None if (p := _peak_rss_mb()) is None else round(p, 1),
        "font": str(font.path),
    }


def _run(args: list[str], env: dict[str, str]) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False, env=env
    )
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        raise SystemExit(proc.returncode)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="end with one JSON line of figures")
    parser.add_argument("--seed-db", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.seed_db:
        print(json.dumps(seed(args.seed_db, args.rows, Path(args.seed_db.split("///")[-1]).parent)))
        return 0
    if args.child:
        print(json.dumps(child(args.child, args.repeat)))
        return 0
    with tempfile.TemporaryDirectory(prefix="madoguchi-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        # A throwaway keyring file shared by the two children: never the OS keyring.
        env = dict(
            os.environ,
            PYTHONPATH=str(ROOT),
            PYTHON_KEYRING_BACKEND="tests.keyring_backend.FileKeyring",
            MADOGUCHI_TEST_KEYRING_FILE=str(Path(tmp) / "keyring.json"),
            MADOGUCHI_DATA_DIR=tmp,
        )
        seeded = _run(["--seed-db", url, "--rows", str(args.rows)], env)
        fig = _run(["--child", url, "--repeat", str(args.repeat)], env)
    print(
        f"daily log from SQLite, {fig['rows']} rows → {fig['pages']} pages, {fig['bytes']:,} bytes"
        f" (day seeded through the Store API in {seeded['seed_s']} s)"
    )
    print(f"  font discovery + registration: {fig['font_s']:.3f} s ({fig['font']})")
    print(f"  first query + render: {fig['first_s']:.3f} s")
    print(
        f"  query + render, median of {args.repeat}: {fig['median_s']:.3f} s "
        f"(min {fig['min_s']:.3f} s) = query {fig['query_s']:.3f} s"
        f" + render {fig['render_s']:.3f} s"
    )
    print(f"  peak RSS of the process: {fig['peak_mb']} MB")
    print("  targets: ≤ 1.5 s, ≤ 200 MB")
    if args.json:
        print(json.dumps({"daily_1000_s": fig["median_s"], "peak_mb": fig["peak_mb"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
