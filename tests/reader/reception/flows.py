"""Shared steps of the whole-desk flows (patients match the simulator's synthetic persons)."""

from __future__ import annotations

from datetime import date
from typing import Any

from policies.model import VerificationPath
from policies.records import NewPatient
from reader.reception import SessionUpdated, VisitRecorded, VisitRequest
from tests.reader.reception.conftest import Desk

#: demo-03 / simulator p03 (協会けんぽ 本人).
P03 = NewPatient(
    "C-0003",
    "見本 一郎",
    "ミホン イチロウ",
    date(1975, 11, 3),
    "male",
    insurer_number="01130012",
    insured_symbol="11223344",
    insured_number="25",
    insured_branch="00",
)
#: demo-01 / p01 (国保).
P01 = NewPatient("C-0001", "架空 太郎", "カクウ タロウ", date(1980, 4, 1), "male")
#: demo-24 / p24: the simulator answers this person with a terminal error.
P24 = NewPatient("C-0024", "試験 障害", "シケン ショウガイ", date(1987, 4, 24), "male")
#: demo-26 / p26: 医療扶助, 医療券 for another institution.
P26 = NewPatient("C-0026", "模擬 他院", "モギ タイン", date(1958, 2, 26), "male")
#: demo-40 / p40: the card's certificate expired on 2025-01-31.
P40 = NewPatient("C-0040", "模擬 期限", "モギ キゲン", None, "unknown")


def begin(d: Desk, patient: NewPatient | int = P03, **request: Any) -> SessionUpdated:
    """Begin a visit; returns its first SessionUpdated."""
    known = {s.visit_id for s in d.log.of(SessionUpdated)}
    mark = d.log.mark()
    if isinstance(patient, int):
        d.desk.begin_visit(VisitRequest(patient_id=patient, **request))
    else:
        d.desk.begin_visit(VisitRequest(new_patient=patient, **request))
    return d.log.wait(SessionUpdated, lambda s: s.visit_id not in known, after=mark)


def session(d: Desk, visit_id: int, predicate: Any = lambda s: True, **kw: Any) -> SessionUpdated:
    return d.log.wait(SessionUpdated, lambda s: s.visit_id == visit_id and predicate(s), **kw)


def option_for(s: SessionUpdated, path: VerificationPath, *, with_documents: Any = None) -> str:
    for option in s.options:
        if option.path is path and (
            with_documents is None or set(with_documents) <= set(option.documents)
        ):
            return option.id
    raise AssertionError(f"no {path} option offered: {[o.id for o in s.options]}")


def recorded(
    d: Desk, visit_id: int, *, follow_up: bool = False, timeout: float = 15.0
) -> VisitRecorded:
    return d.log.wait(
        VisitRecorded,
        lambda e: e.visit_id == visit_id and e.follow_up is follow_up,
        timeout=timeout,
    )


def shown_outcomes(d: Desk, visit_id: int) -> tuple[Any, Any, Any]:
    """The visit's outcome as the day's list, the visit details and the daily log show it."""
    from reader.reception import VisitDetails
    from storage.reports.from_store import daily_log

    d.desk.wait_idle()
    summary = next(
        v for v in d.store.visits_on(d.store.visit(visit_id).local_date) if v.visit.id == visit_id
    )
    listed = summary.latest.outcome if summary.latest is not None else None
    mark = d.log.mark()
    d.desk.show_visit(visit_id)
    details = d.log.wait(VisitDetails, lambda e: e.visit_id == visit_id, after=mark)
    detailed = details.attempts[-1].outcome if details.attempts else None
    ids = {str(a.verification_id) for a in details.attempts}
    rows = [r for r in daily_log(d.store, details.local_date).rows if r.record_id in ids]
    logged = rows[-1].outcome if rows else None
    return listed, detailed, logged
