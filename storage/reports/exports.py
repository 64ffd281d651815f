"""Printing from the database: build the input, render, write, record the export in the chain.

One function per printout, shared by ``main.py report …``, the sample generator and (later)
the desk's print buttons, so every path audits its exports the same way. Output targets are
checked before anything is queried or rendered, and each file is created exclusively as it is
written (:func:`storage.engine.new_file`), so one that appeared in between is refused as well,
never replaced. A refused or failed write leaves no file, not even a partial one, and records
nothing.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO

from policies.rulebook import RuleBook
from storage.engine import new_file
from storage.records import StaffInfo
from storage.reports import from_store
from storage.reports.csvout import (
    write_daily_csv,
    write_monthly_csv,
    write_subsidy_csv,
    write_threshold_csv,
    write_usage_trend_csv,
)
from storage.reports.daily import render_daily_log
from storage.reports.declaration import render_self_declaration_form
from storage.reports.errors import ReportInputError, ReportOutputError
from storage.reports.fonts import JapaneseFont, find_japanese_font
from storage.reports.model import (
    DailyLog,
    GenerationInfo,
    MonthlyUsage,
    PatientMasking,
    SelfDeclarationForm,
    SubsidySheet,
)
from storage.reports.monthly import render_monthly_report
from storage.reports.pdfkit import RenderResult
from storage.reports.subsidy import render_subsidy_sheet
from storage.store import AuditKind, Store


@dataclass(frozen=True, slots=True)
class Exported:
    """One file written and recorded in the audit chain."""

    what: str
    path: Path
    sha256: str
    #: Pages of a PDF, data rows of a CSV.
    count: int

    def summary(self) -> str:
        unit = "pages" if self.path.suffix.lower() == ".pdf" else "rows"
        return f"{self.what}: {self.path} ({self.count} {unit}, sha256 {self.sha256})"


#: What a report writer writes to: the new file, open for writing.
Writer = Callable[[IO[bytes]], int]


def _taken(p: Path) -> ReportOutputError:
    """The refusal of an existing file (perhaps a backup or another day's log): never replaced."""
    return ReportOutputError(f"{p} already exists (a report is written only to a new file)")


def output_path(path: str | os.PathLike[str]) -> Path:
    """``path`` if a new file can be written there; else :class:`ReportOutputError` saying why."""
    p = Path(path)
    if p.is_dir():
        raise ReportOutputError(f"{p} is a folder; give a file name")
    if p.exists():
        raise _taken(p)
    parent = p.parent
    if not parent.is_dir():
        raise ReportOutputError(f"cannot write {p}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise ReportOutputError(f"cannot write {p}: no permission to write in {parent}")
    return p


def output_targets(*paths: str | os.PathLike[str] | None) -> list[Path | None]:
    """Each given output as a writable path (None stays None), all different; checked before
    anything is queried or rendered."""
    out = [None if p is None else output_path(p) for p in paths]
    real = [p.resolve() for p in out if p is not None]
    if len(set(real)) != len(real):
        raise ReportOutputError("each output needs its own file name")
    return out


def write_recorded(
    store: Store,
    actor: StaffInfo | None,
    what: str,
    path: Path,
    writer: Writer,
) -> Exported:
    """Write the new file ``path`` with ``writer`` (pages or rows it wrote) and record its
    SHA-256 in the chain as ``what``, exported by ``actor``."""
    store.check_appending(AuditKind.EXPORTED)  # no file whose export cannot be recorded
    try:
        with new_file(path) as part, part.open("wb") as out:
            count = writer(out)
    except FileExistsError:  # it appeared since output_path looked: the creation refused it
        raise _taken(path) from None
    except OSError as exc:
        raise ReportOutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    store.record_export(actor, what, path, digest)
    return Exported(what, path, digest, count)


def unverified_tag(text: str, unverified: str | None) -> str:
    """The export's audit record says when what was printed did not verify."""
    return text + (" UNVERIFIED" if unverified else "")


def write_pdf_and_csv(
    store: Store,
    actor: StaffInfo | None,
    name: str,
    tag: str,
    *,
    pdf: Path,
    render: Callable[[IO[bytes]], RenderResult],
    csv: Path | None = None,
    write_csv: Writer | None = None,
) -> list[Exported]:
    """A report's PDF, recorded as ``name tag``, and with ``csv`` its CSV, as ``name_csv tag``."""
    done = [write_recorded(store, actor, f"{name} {tag}", pdf, lambda out: render(out).pages)]
    if csv is not None and write_csv is not None:
        done.append(write_recorded(store, actor, f"{name}_csv {tag}", csv, write_csv))
    return done


def report_font(font_path: str | os.PathLike[str] | None = None) -> JapaneseFont:
    """The configured font when given (no silent fallback), else the best system font."""
    return find_japanese_font(font_path) if font_path else find_japanese_font()


def export_daily(
    store: Store,
    day: date,
    pdf: str | os.PathLike[str],
    *,
    csv: str | os.PathLike[str] | None = None,
    masking: PatientMasking = PatientMasking.PARTIAL,
    font: JapaneseFont | None = None,
    now: datetime | None = None,
    generation: GenerationInfo | None = None,
    actor: StaffInfo | None = None,
    print_unverified: bool = False,
) -> tuple[DailyLog, list[Exported]]:
    """The daily log of ``day`` (and its CSV); a day without records prints with 0 rows.

    Records that do not verify raise :class:`RecordsUnverified` (nothing written) unless
    ``print_unverified``: the PDF then carries a red banner on every page, the CSV a first
    line saying so, and the audit record of the export says UNVERIFIED."""
    pdf_path, csv_path = output_targets(pdf, csv)
    assert pdf_path is not None
    font = font or report_font()
    masking = PatientMasking(masking)
    data = from_store.daily_log(
        store, day, now=now, generation=generation, print_unverified=print_unverified
    )
    tag = unverified_tag(f"{day.isoformat()} masking={masking.value}", data.unverified)
    return data, write_pdf_and_csv(
        store,
        actor,
        "daily_log",
        tag,
        pdf=pdf_path,
        render=lambda out: render_daily_log(data, out, masking=masking, font=font),
        csv=csv_path,
        write_csv=lambda out: write_daily_csv(data, out, masking=masking),
    )


def _siblings(csv: Path, *suffixes: str) -> list[Path]:
    return [csv.with_name(f"{csv.stem}_{s}{csv.suffix or '.csv'}") for s in suffixes]


def export_monthly(
    store: Store,
    rb: RuleBook,
    year: int,
    month: int,
    pdf: str | os.PathLike[str],
    *,
    as_of: date,
    csv: str | os.PathLike[str] | None = None,
    font: JapaneseFont | None = None,
    generation: GenerationInfo | None = None,
    actor: StaffInfo | None = None,
    print_unverified: bool = False,
) -> tuple[MonthlyUsage, list[Exported]]:
    """The monthly usage report; with ``csv`` also ``<csv>``, ``<stem>_trend`` and
    ``<stem>_thresholds`` (per-day counts, the monthly trend, the thresholds). Records that
    do not verify are refused or bannered as in :func:`export_daily`."""
    extra = _siblings(Path(csv), "trend", "thresholds") if csv is not None else []
    pdf_path, csv_path, *_ = output_targets(pdf, csv, *extra)
    assert pdf_path is not None
    font = font or report_font()
    data = from_store.monthly_usage(
        store,
        rb,
        year,
        month,
        as_of=as_of,
        generation=generation,
        print_unverified=print_unverified,
    )
    tag = unverified_tag(f"{year:04d}-{month:02d}", data.unverified)
    done = write_pdf_and_csv(
        store,
        actor,
        "monthly_usage",
        tag,
        pdf=pdf_path,
        render=lambda out: render_monthly_report(data, out, font=font),
        csv=csv_path,
        write_csv=lambda out: write_monthly_csv(data, out),
    )
    if csv_path is not None:  # and the trend and the thresholds beside it
        writers = (write_usage_trend_csv, write_threshold_csv)
        names = ("usage_trend_csv", "usage_thresholds_csv")
        for name, path, writer in zip(names, extra, writers, strict=True):
            done.append(
                write_recorded(
                    store, actor, f"{name} {tag}", path, lambda out, w=writer: w(data, out)
                )
            )
    return data, done


def export_subsidy(
    store: Store,
    rb: RuleBook,
    pdf: str | os.PathLike[str],
    *,
    as_of: date,
    costs: Mapping[str, int] | None = None,
    all_classes: bool = False,
    csv: str | os.PathLike[str] | None = None,
    font: JapaneseFont | None = None,
    generation: GenerationInfo | None = None,
    actor: StaffInfo | None = None,
    print_unverified: bool = False,
) -> tuple[SubsidySheet, list[Exported]]:
    """The subsidy sheet for the stored facility, deadlines relative to ``as_of``; records
    that do not verify are refused or bannered as in :func:`export_daily`."""
    pdf_path, csv_path = output_targets(pdf, csv)
    assert pdf_path is not None
    font = font or report_font()
    data = from_store.subsidy_sheet(
        store,
        rb,
        as_of,
        costs,
        all_classes=all_classes,
        generation=generation,
        print_unverified=print_unverified,
    )
    tag = unverified_tag(f"as_of={as_of.isoformat()}", data.unverified)
    return data, write_pdf_and_csv(
        store,
        actor,
        "subsidy_sheet",
        tag,
        pdf=pdf_path,
        render=lambda out: render_subsidy_sheet(data, out, font=font),
        csv=csv_path,
        write_csv=lambda out: write_subsidy_csv(data, out),
    )


def export_declaration(
    store: Store,
    rb: RuleBook,
    pdf: str | os.PathLike[str],
    *,
    on: date | None = None,
    patient_id: int | None = None,
    chart_number: str | None = None,
    font: JapaneseFont | None = None,
    actor: StaffInfo | None = None,
    print_unverified: bool = False,
    **known: object,
) -> tuple[SelfDeclarationForm, list[Exported]]:
    """A 申立書, blank or pre-filled for a patient on file, by id or chart number
    (:func:`from_store.self_declaration`); records that do not verify are refused or
    bannered as in :func:`export_daily`."""
    (pdf_path,) = output_targets(pdf)
    assert pdf_path is not None
    font = font or report_font()
    if chart_number is not None:
        found = [p for p in store.find_patients(chart_number) if p.chart_number == chart_number]
        if not found:
            raise ReportInputError(f"no patient with chart number {chart_number!r}")
        patient_id = found[0].id
    data = from_store.self_declaration(
        store, rb, on=on, patient_id=patient_id, print_unverified=print_unverified, **known
    )
    what = unverified_tag(
        "self_declaration_form" + (f" patient_id={patient_id}" if patient_id else ""),
        data.unverified,
    )
    done = [
        write_recorded(
            store,
            actor,
            what,
            pdf_path,
            lambda out: render_self_declaration_form(data, out, font=font).pages,
        )
    ]
    return data, done
