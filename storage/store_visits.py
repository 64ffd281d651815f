"""The store's visit area: visits, the terminal's results kept verbatim, verification attempts,
and the listing queries the desk and the reports read.

Each write binds its row to its event (a terminal result by its SHA-256 as kept). The listings
(a day's visits, a patient's history) are Core statements prepared once at import whose rows
are sliced straight into the record dataclasses: the desk's hot path builds no ORM objects and
no statement per call, and JSON columns are parsed through small caches. A read that shows a
patient to a named staff member is audited (SEC-06: who saw what).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from sqlalchemy import Text, bindparam, func, select, type_coerce

from policies.model import DocumentKind
from storage.errors import InvalidInput, NotFound
from storage.models import Patient, Staff, TerminalResult, VerificationAttempt, Visit, VisitKind
from storage.records import (
    AttemptRecord,
    DocumentSeen,
    NewVerification,
    PatientRecord,
    StaffInfo,
    StoredVerification,
    TerminalResultRecord,
    VisitRecord,
    VisitSummary,
)
from storage.store_core import AuditKind
from storage.store_patients import PatientsMixin
from storage.timeutil import day_bounds_utc, to_tokyo

#: A terminal result larger than this is not an eligibility answer; refuse it whole.
MAX_TERMINAL_RESULT_BYTES = 8 * 1024 * 1024


_V = Visit.__table__
_P = Patient.__table__
_A = VerificationAttempt.__table__
_A_LATEST = VerificationAttempt.__table__.alias("latest")
#: Column order = the record dataclasses' field order (rows are sliced straight into them).
_VISIT_COLS = [_V.c[f] for f in VisitRecord.__dataclass_fields__]
_PATIENT_COLS = [_P.c[f] for f in PatientRecord.__dataclass_fields__]
#: JSON columns come back as raw text here and are parsed through small caches (hot path).
_ATTEMPT_COLS = [
    type_coerce(_A.c[f], Text) if f in ("documents", "rule_ids") else _A.c[f]
    for f in AttemptRecord.__dataclass_fields__
]
#: Visit + patient + latest attempt (an index seek on (visit_id, id)), built once.
_SUMMARY_BASE = (
    select(*_VISIT_COLS, *_PATIENT_COLS, *_ATTEMPT_COLS)
    .join_from(_V, _P, _P.c.id == _V.c.patient_id)
    .outerjoin(
        _A,
        _A.c.id
        == select(func.max(_A_LATEST.c.id))
        .where(_A_LATEST.c.visit_id == _V.c.id)
        .scalar_subquery(),
    )
)
_DAY_QUERY = _SUMMARY_BASE.where(_V.c.local_date == bindparam("day")).order_by(_V.c.id)
_HISTORY_QUERY = (
    _SUMMARY_BASE.where(_V.c.patient_id == bindparam("patient_id"))
    .order_by(_V.c.local_date.desc(), _V.c.id.desc())
    .limit(bindparam("limit"))
)


@dataclass(frozen=True, slots=True)
class VisitDetail:
    """One visit as the desk shows it once recorded (:meth:`Store.visit_detail`)."""

    visit: VisitRecord
    patient: PatientRecord
    #: Every verification attempt of the visit (follow-up queries included), in time order.
    attempts: tuple[StoredVerification, ...]

    @property
    def latest(self) -> StoredVerification | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def latest_result_id(self) -> int | None:
        """The newest attempt that kept a terminal answer (or pasted app text)."""
        return next(
            (a.terminal_result_id for a in reversed(self.attempts) if a.terminal_result_id), None
        )


def _visit(row: Visit) -> VisitRecord:
    return VisitRecord(
        row.id,
        row.patient_id,
        row.local_date,
        row.kind,
        row.terminal_id,
        row.staff_id,
        row.opened_at,
    )


def _documents(raw: list[dict[str, Any]] | str) -> tuple[DocumentSeen, ...]:
    if isinstance(raw, str):
        return _documents_from_text(raw)
    return tuple(
        DocumentSeen(DocumentKind(d["kind"]), MappingProxyType(dict(d.get("details", {}))))
        for d in raw
    )


@lru_cache(maxsize=4096)
def _documents_from_text(raw: str) -> tuple[DocumentSeen, ...]:
    """Most visits repeat a few document patterns; parsed once, shared read-only."""
    return _documents(json.loads(raw))


def _rule_ids(raw: list[str] | str) -> tuple[str, ...]:
    return _rule_ids_from_text(raw) if isinstance(raw, str) else tuple(raw)


@lru_cache(maxsize=4096)
def _rule_ids_from_text(raw: str) -> tuple[str, ...]:
    return tuple(json.loads(raw))


def _verification(row: VerificationAttempt) -> AttemptRecord:
    return AttemptRecord(
        row.id,
        row.visit_id,
        row.path,
        row.outcome,
        row.failure_reason,
        _documents(row.documents),
        tuple(row.rule_ids),
        row.terminal_result_id,
        row.simulated,
        row.staff_id,
        row.terminal_id,
        row.started_at,
        row.finished_at,
        row.note,
    )


class VisitsMixin(PatientsMixin):
    """Visits, terminal results, verifications and the listing queries."""

    def open_visit(
        self, actor: StaffInfo, patient_id: int, kind: VisitKind, *, local_date: date | None = None
    ) -> VisitRecord:
        with self._write() as (s, conn):
            self._require(s, actor)
            if s.get(Patient, patient_id) is None:
                raise NotFound(f"no patient {patient_id}")
            now = self._now()
            row = Visit(
                patient_id=patient_id,
                local_date=local_date or to_tokyo(now).date(),
                kind=VisitKind(kind),
                terminal_id=self.terminal_id,
                staff_id=actor.id,
                opened_at=now,
            )
            s.add(row)
            s.flush()
            self._bound(
                s,
                conn,
                AuditKind.VISIT_OPENED,
                actor,
                {
                    "visit_id": row.id,
                    "patient_id": patient_id,
                    "kind": row.kind.value,
                    "local_date": row.local_date.isoformat(),
                },
                "visits",
                row.id,
            )
            return _visit(row)

    def save_terminal_result(
        self,
        actor: StaffInfo | None,
        *,
        raw_xml: bytes,
        file_name: str,
        arbitrary_file_identifier: str | None,
        summary: Mapping[str, Any],
        simulated: bool,
        received_at: datetime | None = None,
    ) -> TerminalResultRecord:
        """Keep a result file verbatim; its SHA-256 goes into the chain with the event."""
        if len(raw_xml) > MAX_TERMINAL_RESULT_BYTES:
            raise InvalidInput(f"terminal result {file_name!r} is {len(raw_xml)} bytes: too large")
        with self._write() as (s, conn):
            if actor is not None:
                self._require(s, actor)
            row = TerminalResult(
                file_name=file_name,
                arbitrary_file_identifier=arbitrary_file_identifier,
                raw_xml=bytes(raw_xml),
                summary=dict(summary),
                simulated=simulated,
                terminal_id=self.terminal_id,
                received_at=received_at or self._now(),
            )
            # The digest is of the bytes as kept (a 12-digit run masked by the sanitiser).
            digest = row.sha256 = hashlib.sha256(row.raw_xml).hexdigest()
            s.add(row)
            s.flush()
            self._bound(
                s,
                conn,
                AuditKind.TERMINAL_RESULT_RECEIVED,
                actor,
                {
                    "terminal_result_id": row.id,
                    "file_name": file_name,
                    "arbitrary_file_identifier": arbitrary_file_identifier,
                    "sha256": digest,
                    "bytes": len(row.raw_xml),
                    "simulated": simulated,
                },
                "terminal_results",
                row.id,
            )
            return self._terminal_result(row)

    @staticmethod
    def _terminal_result(row: TerminalResult) -> TerminalResultRecord:
        return TerminalResultRecord(
            row.id,
            row.file_name,
            row.arbitrary_file_identifier,
            row.sha256,
            row.summary,
            row.simulated,
            row.terminal_id,
            row.received_at,
        )

    def terminal_result(self, result_id: int) -> tuple[TerminalResultRecord, bytes]:
        with self._read() as s:
            row = s.get(TerminalResult, result_id)
            if row is None:
                raise NotFound(f"no terminal result {result_id}")
            return self._terminal_result(row), row.raw_xml

    def record_verification(self, actor: StaffInfo, new: NewVerification) -> AttemptRecord:
        """The verification row and its audit event commit together or not at all."""
        documents = [
            {"kind": DocumentKind(d.kind).value, "details": dict(d.details)} for d in new.documents
        ]
        for name in ("started_at", "finished_at"):
            value = getattr(new, name)
            if value is not None and value.tzinfo is None:
                raise InvalidInput(f"{name}: naive datetime; pass a timezone-aware time")
        with self._write() as (s, conn):
            self._require(s, actor)
            visit = s.get(Visit, new.visit_id)
            if visit is None:
                raise NotFound(f"no visit {new.visit_id}")
            if (
                new.terminal_result_id is not None
                and s.get(TerminalResult, new.terminal_result_id) is None
            ):
                raise NotFound(f"no terminal result {new.terminal_result_id}")
            row = VerificationAttempt(
                visit_id=new.visit_id,
                path=new.path,
                failure_reason=new.failure_reason,
                outcome=new.outcome,
                documents=documents,
                rule_ids=list(new.rule_ids),
                terminal_result_id=new.terminal_result_id,
                simulated=new.simulated,
                staff_id=actor.id,
                terminal_id=self.terminal_id,
                started_at=new.started_at,
                finished_at=new.finished_at or self._now(),
                note=new.note,
            )
            s.add(row)
            s.flush()
            self._bound(
                s,
                conn,
                AuditKind.VERIFICATION_RECORDED,
                actor,
                {
                    "verification_id": row.id,
                    "visit_id": visit.id,
                    "patient_id": visit.patient_id,
                    "path": new.path.value,
                    "outcome": new.outcome.value,
                    "failure_reason": new.failure_reason.value if new.failure_reason else None,
                    "documents": [d["kind"] for d in documents],
                    "rule_ids": list(new.rule_ids),
                    "terminal_result_id": new.terminal_result_id,
                    "simulated": new.simulated,
                },
                "verification_attempts",
                row.id,
            )
            return _verification(row)

    # -- queries ---------------------------------------------------------------------------

    def _summaries(self, query: Any, params: dict[str, Any]) -> list[VisitSummary]:
        """Visits with patient and latest verification from one prepared Core query (the desk's
        hot path: no ORM objects, no statement building per call)."""
        nv, np_ = len(_VISIT_COLS), len(_PATIENT_COLS)
        with self.reading() as conn:
            rows = conn.execute(query, params).all()
        out = []
        for r in rows:
            a = r[nv + np_ :]
            attempt = None
            if a[0] is not None:
                attempt = AttemptRecord(
                    *a[:5],
                    _documents(a[5]),
                    _rule_ids(a[6]),
                    *a[7:],  # type: ignore[arg-type]
                )
            out.append(
                VisitSummary(VisitRecord(*r[:nv]), PatientRecord(*r[nv : nv + np_]), attempt)
            )
        return out

    def visits_on(self, day: date | None = None) -> list[VisitSummary]:
        """A Tokyo day's visits (default today) in order, each with its latest verification."""
        return self._summaries(_DAY_QUERY, {"day": day or to_tokyo(self._now()).date()})

    def patient_history(
        self, patient_id: int, *, limit: int = 100, actor: StaffInfo | None = None
    ) -> list[VisitSummary]:
        """Newest visits first. With ``actor`` the access is audited (SEC-06: who saw what)."""
        result = self._summaries(_HISTORY_QUERY, {"patient_id": patient_id, "limit": limit})
        if actor is not None:
            self._audit_only(AuditKind.PATIENT_VIEWED, actor, {"patient_id": patient_id})
        return result

    def verifications_between(self, first_day: date, last_day: date) -> list[StoredVerification]:
        """Verifications finished on Tokyo days first_day..last_day (inclusive), in time order."""
        start, _ = day_bounds_utc(first_day)
        _, end = day_bounds_utc(last_day)
        va = VerificationAttempt
        return self._verification_rows(va.finished_at >= start, va.finished_at < end)

    def _verification_rows(self, *where: Any) -> list[StoredVerification]:
        v, va, p, st = Visit, VerificationAttempt, Patient, Staff
        query = (
            select(
                va,
                v.kind,
                v.local_date,
                p.id,
                p.chart_number,
                p.name,
                p.kana,
                st.username,
                st.display_name,
            )
            .join(v, va.visit_id == v.id)
            .join(p, v.patient_id == p.id)
            .join(st, va.staff_id == st.id)
            .where(*where)
            .order_by(va.finished_at, va.id)
        )
        with self._read() as s:
            return [
                StoredVerification(
                    a.id,
                    a.finished_at,
                    a.started_at,
                    a.visit_id,
                    kind,
                    local_date,
                    pid,
                    chart,
                    name,
                    kana,
                    a.path,
                    a.outcome,
                    a.failure_reason,
                    _documents(a.documents),
                    tuple(a.rule_ids),
                    user,
                    display,
                    a.terminal_id,
                    a.simulated,
                    a.terminal_result_id,
                )
                for a, kind, local_date, pid, chart, name, kana, user, display in s.execute(query)
            ]

    def visit(self, visit_id: int) -> VisitRecord:
        with self._read() as s:
            row = s.get(Visit, visit_id)
            if row is None:
                raise NotFound(f"no visit {visit_id}")
            return _visit(row)

    def visit_detail(self, visit_id: int, *, actor: StaffInfo | None = None) -> VisitDetail:
        """A visit, its patient and every verification attempt in time order (the desk shows
        it for a recorded visit). With ``actor`` the access is audited (SEC-06)."""
        visit = self.visit(visit_id)
        detail = VisitDetail(
            visit,
            self.patient(visit.patient_id),
            tuple(self._verification_rows(VerificationAttempt.visit_id == visit_id)),
        )
        if actor is not None:
            self._audit_only(AuditKind.PATIENT_VIEWED, actor, {"patient_id": visit.patient_id})
        return detail
