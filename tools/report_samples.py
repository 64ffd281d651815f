"""Regenerate docs/samples: printouts of the demo clinic, made from a demo database.

    python tools/report_samples.py [--out-dir docs/samples] [--months 6] [--visits 14-26]

A throwaway SQLite database is seeded through the Store API (storage.demo_data), then every
printout goes through the same export functions as ``main.py report …`` (adapters, renderers,
export recorded in that database's audit chain). The chain key lives in an in-memory keyring
for the run: the OS keyring is never touched. Chain hashes differ between runs (each database
gets a new identity); everything else is the same for the same options.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

import keyring

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from resources.policies import shipped_rulebook  # noqa: E402
from storage.demo_data import DemoSpec, open_demo_store  # noqa: E402
from storage.reports.exports import (  # noqa: E402
    export_daily,
    export_declaration,
    export_monthly,
    export_subsidy,
    report_font,
)
from storage.reports.model import GenerationInfo  # noqa: E402
from tests.keyring_backend import MemoryKeyring  # noqa: E402 - a throwaway keyring for the run

#: The subsidy sheet is dated while most programs were still open, to show both states.
SUBSIDY_AS_OF = date(2025, 12, 1)
SUBSIDY_COSTS = {"welfare-oqs-2025": 80_000, "home-visit-2025": 120_000}


def _visits(text: str) -> tuple[int, int]:
    lo, _, hi = text.partition("-")
    return int(lo), int(hi or lo)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "docs" / "samples")
    parser.add_argument("--months", type=int, default=6, help="history length (months)")
    parser.add_argument("--visits", type=_visits, default=(14, 26), metavar="LO-HI")
    parser.add_argument("--end", type=date.fromisoformat, default=date(2026, 11, 20))
    parser.add_argument("--png", action="store_true", help="also render page 1 of each PDF")
    args = parser.parse_args(argv)

    keyring.set_keyring(MemoryKeyring())  # the demo chain key lives for this run only
    out: Path = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    spec = DemoSpec(end=args.end, months=args.months, visits_per_day=args.visits)
    font = report_font()
    rulebook = shipped_rulebook()
    generation = GenerationInfo(app_version="0.1.0 (sample)")
    with tempfile.TemporaryDirectory(prefix="madoguchi-samples-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.sqlite3'}"
        store, history = open_demo_store(url, spec, backup_dir=Path(tmp) / "backups")
        print(f"demo history: {history.verifications} verifications on {len(history.days)} days")
        last_month = date(args.end.year, args.end.month, 1) - timedelta(days=1)
        done = []
        try:
            done += export_daily(
                store,
                args.end,
                out / "daily_log_sample.pdf",
                csv=out / "daily_log_sample.csv",
                font=font,
                generation=generation,
            )[1]
            done += export_monthly(
                store,
                rulebook,
                last_month.year,
                last_month.month,
                out / "monthly_usage_sample.pdf",
                as_of=args.end,
                csv=out / "monthly_usage_sample.csv",
                font=font,
                generation=generation,
            )[1]
            done += export_subsidy(
                store,
                rulebook,
                out / "subsidy_sheet_sample.pdf",
                as_of=SUBSIDY_AS_OF,
                costs=SUBSIDY_COSTS,
                csv=out / "subsidy_sheet_sample.csv",
                font=font,
                generation=generation,
            )[1]
            done += export_declaration(
                store, rulebook, out / "self_declaration_blank_sample.pdf", font=font
            )[1]
            done += export_declaration(
                store,
                rulebook,
                out / "self_declaration_prefilled_sample.pdf",
                on=args.end,
                chart_number="00001",
                reason="no_record",
                simulated=True,
                font=font,
            )[1]
        finally:
            store.close()
    for e in done:
        print(e.summary())
        if args.png and e.path.suffix == ".pdf":
            stem = e.path.with_suffix("")
            subprocess.run(
                ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(e.path),
                 str(stem)],
                check=True,
            )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
