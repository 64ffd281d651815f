"""Adapters from the store (and the rule book) to the report inputs.

Only the Store's public queries are used, plus one read of patients' birth dates that the
verification query does not carry. Nothing here reads the clock unless the caller leaves
``now`` out, so a past day's log is a pure function of the database.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import select

from policies.dates import add_months, end_of_month
from policies.engine import PolicyEngine
from policies.model import FacilityProfile, Outcome, PatientContext, VerificationPath
from policies.rulebook import RuleBook
from storage.models import Patient, TerminalResult
from storage.records import StoredVerification
from storage.reports import from_policies
from storage.reports.errors import RecordsUnverified
from storage.reports.from_policies import declaration_basis, usage_thresholds
from storage.reports.model import (
    ChainHead,
    DailyLog,
    DayPathCount,
    Facility,
    GenerationInfo,
    MonthlyUsage,
    MonthTotal,
    PatientDisplay,
    SelfDeclarationForm,
    SubsidySheet,
    VerificationRow,
)
from storage.reports.text import unverified_detail
from storage.reports.usage import MYNA_CARD_PATHS, UsageRate
from storage.store import Store
from storage.timeutil import now_tokyo, to_tokyo

P = ParamSpec("P")
R = TypeVar("R")
#: Parameters per IN (...) list: well under SQLite's and PostgreSQL's limits.
_CHUNK = 900
#: Key of the kept answer's summary listing its unmapped elements (written by the reader's
#: ``result_summary``; storage reads the JSON, never the reader).
UNMAPPED_SUMMARY_KEY = "unmapped"


def facility_of(profile: FacilityProfile | None) -> Facility:
    """The stored facility profile as printed; an unset profile prints as 未設定."""
    if profile is None:
        return Facility("", "", None, None)
    return Facility(profile.name, profile.medical_institution_code, profile.kind, profile.oqs_mode)


def in_one_snapshot(
    build: Callable[Concatenate[Store, P], R],
) -> Callable[Concatenate[Store, P], R]:
    """A printout's builder whose check (:func:`verified`) and every read see one snapshot
    (``Store.read_snapshot``): nothing committed in between — an edit behind the
    application's back included — can show in a printout as verified."""

    @functools.wraps(build)
    def built(store: Store, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with store.read_snapshot():
            return build(store, *args, **kwargs)

    return built


def verified(store: Store, what: str, *, print_unverified: bool) -> str | None:
    """Verify what a printout would show before it is built: the whole chain, every bound row
    against its event (storage.binding) and this PC's witness (storage.witness). None when it
    all verifies; else :class:`RecordsUnverified` naming what failed, or with
    ``print_unverified`` where, in Japanese as the window says it (``text.unverified_detail``),
    for the red banner on every page and the CSV's first line.

    Every printout and export calls this, so a report never shows a record the chain does not
    vouch for without saying so on its face."""
    check = store.verify_chain()
    if check.ok:
        return None
    if not print_unverified:
        raise RecordsUnverified(
            f"the audit records do not verify ({check.problem}); the {what} was not printed",
            check,
        )
    return unverified_detail(check)


def _birth_dates(store: Store, patient_ids: Iterable[int]) -> dict[int, date | None]:
    """Birth dates for the masking levels (the verification rows carry no birth date)."""
    ids = sorted(set(patient_ids))
    out: dict[int, date | None] = {}
    table = Patient.__table__
    with store.reading() as conn:
        for i in range(0, len(ids), _CHUNK):
            query = select(table.c.id, table.c.birth_date).where(
                table.c.id.in_(ids[i : i + _CHUNK])
            )
            out.update((pid, born) for pid, born in conn.execute(query))
    return out


def _unmapped(store: Store, result_ids: Iterable[int]) -> dict[int, tuple[str, ...] | None]:
    """The unmapped element paths the reader noted in each kept answer's summary (None for a
    summary written before they were noted)."""
    ids = sorted(set(result_ids))
    out: dict[int, tuple[str, ...] | None] = {}
    table = TerminalResult.__table__
    with store.reading() as conn:
        for i in range(0, len(ids), _CHUNK):
            query = select(table.c.id, table.c.summary).where(table.c.id.in_(ids[i : i + _CHUNK]))
            for rid, summary in conn.execute(query):
                paths = (summary or {}).get(UNMAPPED_SUMMARY_KEY)
                out[rid] = None if paths is None else tuple(str(p) for p in paths)
    return out


def _row(
    r: StoredVerification,
    births: dict[int, date | None],
    unmapped: dict[int, tuple[str, ...] | None],
) -> VerificationRow:
    return VerificationRow(
        at=r.time,
        patient=PatientDisplay(
            r.chart_number, r.patient_name, r.patient_kana, births.get(r.patient_id)
        ),
        path=r.path,
        outcome=r.outcome,
        staff=r.staff_display_name or r.staff_username,
        terminal_id=r.terminal_id,
        failure_reason=r.failure_reason,
        documents=tuple(d.kind for d in r.documents),
        simulated=r.simulated,
        record_id=str(r.verification_id),
        unmapped_elements=None
        if r.terminal_result_id is None
        else unmapped.get(r.terminal_result_id),
    )


@in_one_snapshot
def daily_log(
    store: Store,
    day: date,
    *,
    now: datetime | None = None,
    generation: GenerationInfo | None = None,
    print_unverified: bool = False,
) -> DailyLog:
    """The verifications finished on Tokyo day ``day``, in time order, and the chain head.

    What is printed is verified first (the whole chain and every bound row, storage.binding):
    if it does not verify, :class:`RecordsUnverified` names what failed, or with
    ``print_unverified`` the log carries it (a red banner on every page).

    The rows are read first and the head second, so the printed head always covers every
    printed row. A day with no verifications gives a log with 0 rows (still printable).
    ``now`` (default: the clock) only decides whether the day is over, i.e. whether the head
    is final; for a past day the result depends on the database alone.
    """
    unverified = verified(store, "daily log", print_unverified=print_unverified)
    stored = store.verifications_between(day, day)
    births = _birth_dates(store, (r.patient_id for r in stored))
    unmapped = _unmapped(store, (r.terminal_result_id for r in stored if r.terminal_result_id))
    head = store.chain_head(day)
    moment = to_tokyo(now) if now is not None else now_tokyo()
    return DailyLog(
        facility=facility_of(store.facility_profile()),
        day=day,
        rows=tuple(_row(r, births, unmapped) for r in stored),
        chain_head=None
        if head is None
        else ChainHead(seq=head.seq, hash_hex=head.hash, at=head.occurred_at),
        generation=generation or GenerationInfo(),
        day_closed=moment.date() > day,
        unverified=unverified,
    )


@dataclass(slots=True)
class _MonthCounts:
    by_day_path: Counter[tuple[date, VerificationPath]] = field(default_factory=Counter)
    myna: int = 0
    total: int = 0
    simulated: int = 0


def _count(rows: Iterable[StoredVerification]) -> dict[tuple[int, int], _MonthCounts]:
    """Per calendar month: day × path counts (ABANDONED excluded, as the rate's population)."""
    months: dict[tuple[int, int], _MonthCounts] = {}
    for r in rows:
        day = r.time.date()
        m = months.setdefault((day.year, day.month), _MonthCounts())
        m.simulated += r.simulated
        if r.outcome is Outcome.ABANDONED:
            continue
        m.by_day_path[(day, r.path)] += 1
        m.myna += r.path in MYNA_CARD_PATHS
        m.total += 1
    return months


@in_one_snapshot
def monthly_usage(
    store: Store,
    rb: RuleBook,
    year: int,
    month: int,
    *,
    as_of: date,
    history_months: int = 11,
    generation: GenerationInfo | None = None,
    print_unverified: bool = False,
) -> MonthlyUsage:
    """Counts of the month by day and path, the trend of up to ``history_months`` earlier
    months (from the first month with records), and the policy thresholds it counts for;
    verified first, as the daily log (:func:`verified`)."""
    unverified = verified(store, "monthly report", print_unverified=print_unverified)
    first = date(year, month, 1)
    start = add_months(first, -history_months)
    months = _count(store.verifications_between(start, end_of_month(first)))
    current = months.get((year, month)) or _MonthCounts()
    history = []
    for k in range(history_months, 0, -1):
        m = add_months(first, -k)
        counts = months.get((m.year, m.month))
        if counts is None and not history:
            continue  # before the first month with records
        history.append(
            MonthTotal(m.year, m.month, counts.myna if counts else 0, counts.total if counts else 0)
        )
    facility = facility_of(store.facility_profile())
    thresholds, notes = usage_thresholds(
        rb, year, month, facility.kind, UsageRate(current.myna, current.total)
    )
    return MonthlyUsage(
        facility=facility,
        year=year,
        month=month,
        day_counts=tuple(
            DayPathCount(day, path, n) for (day, path), n in sorted(current.by_day_path.items())
        ),
        thresholds=thresholds,
        history=tuple(history),
        simulated_count=current.simulated,
        as_of=as_of,
        generation=generation or GenerationInfo(),
        notes=notes,
        unverified=unverified,
    )


@in_one_snapshot
def self_declaration(
    store: Store,
    rb: RuleBook,
    *,
    on: date | None,
    patient_id: int | None = None,
    print_unverified: bool = False,
    **known: object,
) -> SelfDeclarationForm:
    """A 申立書 pre-filled with what the desk knows: the facility, the patient on file (name,
    kana, birth date, sex, chart number) and the FAIL-03 share for the patient's age when the
    birth date and the date are known (``on`` None leaves the date blank for the patient).
    ``known`` adds or overrides fields (insurance kind, insurer name, reason, …). Verified
    first, as the daily log (:func:`verified`).
    """
    unverified = verified(store, "申立書", print_unverified=print_unverified)
    fields: dict[str, object] = {}
    if patient_id is not None:
        p = store.patient(patient_id)
        fields = {
            "name": p.name,
            "kana": p.kana,
            "birth_date": p.birth_date,
            "sex": p.sex,
            "chart_no": p.chart_number,
        }
        if p.birth_date is not None and on is not None:
            engine = PolicyEngine(rb)
            fields["burden_percent"] = engine.declaration_burden(
                PatientContext(birth_date=p.birth_date), on
            )
    fields.update(known)
    return SelfDeclarationForm(
        facility=facility_of(store.facility_profile()),
        basis=declaration_basis(rb),
        declared_on=on,
        unverified=unverified,
        **fields,  # type: ignore[arg-type]
    )


@in_one_snapshot
def subsidy_sheet(
    store: Store,
    rb: RuleBook,
    as_of: date,
    costs: Mapping[str, int] | None = None,
    *,
    all_classes: bool = False,
    generation: GenerationInfo | None = None,
    print_unverified: bool = False,
) -> SubsidySheet:
    """The subsidy sheet for the stored facility (:func:`from_policies.subsidy_sheet`),
    verified first, as the daily log (:func:`verified`)."""
    unverified = verified(store, "subsidy sheet", print_unverified=print_unverified)
    sheet = from_policies.subsidy_sheet(
        rb,
        facility_of(store.facility_profile()),
        as_of,
        costs,
        all_classes=all_classes,
        generation=generation,
    )
    return dataclasses.replace(sheet, unverified=unverified)
