"""Benchmark: render the daily log of a 1,000-verification day (targets: ≤ 1.5 s, ≤ 200 MB peak).

The measurement runs in a fresh child process so that peak RSS covers everything a real print
run allocates (Python, reportlab, the embedded font, C-level buffers), which tracemalloc misses.
The time is the median of several renders after one warm-up render (font discovery and
registration happen once per process and are reported separately).

    python benchmarks/reports.py [--rows 1000] [--repeat 5] [--json]

With ``--json`` the last line is one JSON object: {"daily_1000_s": …, "peak_mb": …}.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _peak_rss_mb() -> float | None:
    try:
        import resource  # noqa: PLC0415 - POSIX only
    except ImportError:  # Windows: no resource module
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


def child(rows: int, repeat: int) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    # Imported in the child only: the parent stays light and its memory is not measured.
    from storage.reports import render_daily_log  # noqa: PLC0415
    from storage.reports.demo import demo_daily_log  # noqa: PLC0415
    from storage.reports.fonts import find_japanese_font  # noqa: PLC0415

    t0 = time.perf_counter()
    font = find_japanese_font()
    font_s = time.perf_counter() - t0
    data = demo_daily_log(rows=rows)
    times: list[float] = []
    pages = 0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "daily.pdf"
        t0 = time.perf_counter()
        render_daily_log(data, out, font=font)
        first_s = time.perf_counter() - t0
        for _ in range(repeat):
            t0 = time.perf_counter()
            pages = render_daily_log(data, out, font=font).pages
            times.append(time.perf_counter() - t0)
        size = out.stat().st_size
    return {
        "rows": rows,
        "pages": pages,
        "bytes": size,
        "font_s": round(font_s, 4),
        "first_s": round(first_s, 4),
        "median_s": round(statistics.median(times), 4),
        "min_s": round(min(times), 4),
        "peak_mb": None if (p := _peak_rss_mb()) is None else round(p, 1),
        "font": str(font.path),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="end with one JSON line of figures")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.rows, args.repeat)))
        return 0
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            "--rows",
            str(args.rows),
            "--repeat",
            str(args.repeat),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return proc.returncode
    fig = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"daily log, {fig['rows']} rows → {fig['pages']} pages, {fig['bytes']:,} bytes")
    print(f"  font discovery + registration: {fig['font_s']:.3f} s ({fig['font']})")
    print(f"  first render: {fig['first_s']:.3f} s")
    print(f"  render median of {args.repeat}: {fig['median_s']:.3f} s (min {fig['min_s']:.3f} s)")
    print(f"  peak RSS of the process: {fig['peak_mb']} MB")
    print("  targets: ≤ 1.5 s, ≤ 200 MB")
    if args.json:
        print(json.dumps({"daily_1000_s": fig["median_s"], "peak_mb": fig["peak_mb"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
