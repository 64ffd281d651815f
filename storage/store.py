"""The store: the one service the desk, the reports and the command line call (plain Python).

Every state-changing call writes its rows AND its audit event in one transaction that holds the
database write lock, so an event exists exactly when its cause was committed. Audit payloads
carry ids, codes and field NAMES, never names or numbers of patients: the chain cannot be
corrected later, so personal data stays in the correctable tables.

How it is composed: one transaction boundary, one class per area over it. ``storage.store_core``
holds the boundary (``_write``, ``_read``, ``_append``, ``_bound``, ``_audit_only``,
``_require``) and opening; each area is a class over that core in a module of its own — staff
and login (``store_staff``), facility profile and settings (``store_settings``), patients
(``store_patients``), visits, terminal results, verifications and the listing queries
(``store_visits``), the audit chain, backup and retention (``store_audit``) — and
:class:`Store` is their union. Every write path of every area goes through the core's one
``_write()`` and its lock, so a row, its binding (``storage.binding``) and its chain event still
commit together; an area that needs another subclasses it (visits show patients, the purge
reads the retention setting). Mixins rather than service objects: callers keep one object and
find ``store.create_patient(...)`` where they always did, and the areas share the engine, chain,
witness and clock without passing them around. Callers import from here, never from the area
modules. What stands apart from the class already does (chain, binding, witness, sanitise,
records, recorder, restore).
"""

from __future__ import annotations

import dataclasses
import getpass
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection, Engine, Text, bindparam, delete, func, select, type_coerce
from sqlalchemy.engine import URL

from policies.model import DocumentKind
from storage import secrets
from storage.backup import BackupInfo, backup_to
from storage.binding import BOUND_COLUMNS, REBOUND_AT_PURGE, latest_entries
from storage.chain import AuditChain, ChainHead, ParallelVerify, VerifyResult, head_as_of_day
from storage.errors import ChainKeyMissing, InvalidInput, NotFound, RetentionRefused, WrongChainKey
from storage.models import (
    AuditEvent,
    AuditHead,
    AuditPurgePermit,
    Patient,
    Staff,
    TerminalResult,
    VerificationAttempt,
    Visit,
    VisitKind,
)
from storage.paper import PaperCheck, check_paper, parse_paper
from storage.records import (
    AttemptRecord,
    DocumentSeen,
    NewVerification,
    PatientRecord,
    PurgeReport,
    StaffInfo,
    StoredVerification,
    TerminalResultRecord,
    VisitRecord,
    VisitSummary,
)
from storage.store_core import SYSTEM_ACTOR, AuditKind
from storage.store_patients import PatientsMixin
from storage.store_settings import (
    DEFAULT_RETENTION_YEARS,
    MIN_RETENTION_YEARS,
    RETENTION_KEY,
    SettingsMixin,
)
from storage.store_staff import StaffMixin
from storage.timeutil import day_bounds_utc, to_tokyo, years_before

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


class Store(StaffMixin, PatientsMixin, SettingsMixin):
    """Open with :meth:`open`; one instance per process, safe to share between threads."""

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
        with self._engine.connect() as conn:
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

    def chain_head(self, day: date) -> ChainHead | None:
        """The chain head as of the end of Tokyo day ``day`` (for the daily log)."""
        with self._engine.connect() as conn:
            return head_as_of_day(conn, day)

    def verify_chain(
        self,
        conn: Connection | None = None,
        *,
        workers: int | None = None,
        min_parallel: int = 200_000,
        witness: bool = True,
    ) -> VerifyResult:
        """Verify the whole chain (on ``conn`` to see that connection's uncommitted state),
        then, with ``witness``, that it still holds what this PC has seen (storage.witness).

        Chains of ``min_parallel`` events or more are checked by ``workers`` processes
        (default: the CPU count, at most 4).
        """
        if conn is not None:
            return self._witnessed(conn, self._chain.verify(conn), witness)
        workers = workers or min(os.cpu_count() or 1, 4)
        parallel = None
        if workers > 1:
            url = self._engine.url
            bare = URL.create(url.drivername, url.username, None, url.host, url.port, url.database)
            parallel = ParallelVerify(
                bare.render_as_string(hide_password=False),
                url.password,
                workers,
                min_parallel,
            )
        with self._engine.connect() as own:
            if self.dialect == "postgresql":
                own.execution_options(isolation_level="REPEATABLE READ")
            with own.begin():
                return self._witnessed(own, self._chain.verify(own, parallel=parallel), witness)

    def _witnessed(self, conn: Connection, result: VerifyResult, witness: bool) -> VerifyResult:
        if not (witness and result.ok):
            return result
        problem = self._witness.check(conn)
        if problem is None:
            return result
        self.witness_problem = problem
        return dataclasses.replace(
            result,
            ok=False,
            first_broken_seq=(result.head.seq if result.head else 0) + 1,
            problem=problem,
        )

    def check_paper(self, printed: str) -> PaperCheck:
        """Whether the chain still holds the head printed on a daily log (storage.paper)."""
        mark = parse_paper(printed)
        with self._engine.connect() as conn:
            return check_paper(conn, mark)

    def accept_restored_chain(self) -> None:
        """After a recorded restore (the one deliberate step back): this PC's witness mark
        follows the restored chain's head from now on."""
        with self._engine.connect() as conn:
            seq, hash_ = conn.execute(select(AuditHead.seq, AuditHead.hash)).one()
        self._witness.reset(ChainHead(seq, bytes(hash_).hex(), None))
        self.witness_problem = None

    def record_export(
        self, actor: StaffInfo | None, what: str, path: Path, sha256: str | None = None
    ) -> None:
        """Audit an export (daily log, monthly report, CSV) made by another part."""
        self._audit_only(
            AuditKind.EXPORTED, actor, {"what": what, "file": str(path), "sha256": sha256}
        )

    def export_chain_key(self, actor: StaffInfo | None) -> str:
        """The key as text for another terminal (see secrets.EXPORT_WARNING); audited."""
        if actor is not None:
            with self._read() as s:
                self._require(s, actor, admin=True)
        self._audit_only(AuditKind.CHAIN_KEY_EXPORTED, actor, {"os_user": _os_user()})
        return secrets.export_text(self.database_uuid, self._key)

    # -- backup and retention ------------------------------------------------------------------

    def backup(self, out: Path, actor: StaffInfo | None = None) -> BackupInfo:
        info = backup_to(self._engine, out)
        self._audit_only(
            AuditKind.BACKUP_CREATED,
            actor,
            {
                "file": str(info.path),
                "bytes": info.size,
                "sha256": info.sha256,
                "os_user": _os_user(),
            },
        )
        return info

    def _rebind_before(self, conn: Connection, limit: int) -> list[str]:
        """Entries for the rows whose latest binding is in events up to ``limit`` (a purge is
        about to delete them); refused if such a row no longer matches that binding."""
        latest = latest_entries(conn)
        out = []
        for table in BOUND_COLUMNS:
            bound = latest.get(table, {})
            for entry in self._chain.binder.entries(conn, table):
                row_id = entry.split(" ", 4)[4]
                seq, digest, _ = bound.get(row_id, (limit + 1, "", ""))
                if seq > limit:
                    continue
                if entry.split(" ", 3)[2] != digest:
                    raise RetentionRefused(
                        f"{table} id {row_id} changed since its binding in event {seq}; "
                        "nothing was deleted"
                    )
                out.append(entry)
        return out

    def purge_expired(self, actor: StaffInfo | None, *, now: datetime | None = None) -> PurgeReport:
        """Delete the oldest audit events older than the retention period (never a younger one).

        Refused unless the whole chain verifies, and on PostgreSQL unless run as the owner role
        (storage.pg_roles). Deletes a prefix that ends before the first event younger than the
        cutoff, never the last event, leaves a signed checkpoint at the deleted prefix's last
        event, and records itself in the chain — all in one transaction.
        """
        from storage.migrate import is_owner  # noqa: PLC0415

        if not is_owner(self._engine):
            raise RetentionRefused(
                "the retention purge deletes audit events: on PostgreSQL only the owner role may, "
                "not the reception PCs' runtime role; nothing was deleted"
            )
        years = self.retention_years()
        cutoff = years_before(now or self._now(), years)
        result = self.verify_chain()
        if not result.ok:
            raise RetentionRefused(
                f"the audit chain is broken at event {result.first_broken_seq} "
                f"({result.problem}); nothing was deleted"
            )
        ev = AuditEvent
        with self._write() as (s, conn):
            if actor is not None:
                self._require(s, actor, admin=True)
            first_young = s.scalar(select(func.min(ev.seq)).where(ev.occurred_at >= cutoff))
            last = s.scalar(select(func.max(ev.seq)))
            first = s.scalar(select(func.min(ev.seq)))
            limit = (last if first_young is None else first_young) - 1
            if last is None or first is None or limit < first:
                self._append(
                    conn,
                    AuditKind.RETENTION_PURGED,
                    actor,
                    {"years": years, "cutoff": cutoff.isoformat(), "deleted": 0},
                )
                return PurgeReport(cutoff, 0, None)
            anchor = s.execute(select(ev.hash, ev.occurred_at).where(ev.seq == limit)).one()
            rebound = self._rebind_before(conn, limit)
            self._chain.checkpoint(conn, limit, anchor[0], anchor[1])
            s.add(AuditPurgePermit(up_to_seq=limit))
            s.flush()
            deleted = conn.execute(
                delete(AuditEvent.__table__).where(AuditEvent.__table__.c.seq <= limit)
            ).rowcount
            conn.execute(delete(AuditPurgePermit.__table__))
            reason = f"re-bound at retention purge: their binding events up to {limit} deleted"
            self._append_batches(conn, REBOUND_AT_PURGE, rebound, reason)
            self._append(
                conn,
                AuditKind.RETENTION_PURGED,
                actor,
                {
                    "years": years,
                    "cutoff": cutoff.isoformat(),
                    "deleted": deleted,
                    "anchor_seq": limit,
                    "anchor_hash": bytes(anchor[0]).hex(),
                },
            )
            return PurgeReport(cutoff, deleted, limit)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def import_chain_key(
    engine: Engine,
    export: str,
    *,
    terminal_id: str,
    authorize: Callable[[Store], StaffInfo] | None = None,
) -> str:
    """Store an exported chain key in this PC's keyring after checking it fits this database.

    ``authorize`` logs the importing staff member in on the store the checked key opens (this
    PC has no key yet) before the key is kept; the import is recorded under them."""
    database_uuid, key = secrets.parse_export(export)
    meta = Store._read_meta(engine)
    if meta is None:
        raise NotFound("this database has no identity yet: open it once on the first PC")
    if meta[0] != database_uuid:
        raise WrongChainKey(
            f"the exported key belongs to database {database_uuid}, this database is {meta[0]}"
        )
    if not AuditChain(key).key_matches(meta[1], database_uuid):
        raise WrongChainKey("the exported key does not match this database's key check")
    store = Store(engine, key=key, database_uuid=database_uuid, terminal_id=terminal_id)
    actor = authorize(store) if authorize is not None else None
    secrets.store_chain_key(database_uuid, key)
    store.append_event(AuditKind.CHAIN_KEY_IMPORTED, actor, {"os_user": _os_user()})
    return database_uuid


__all__ = [
    "DEFAULT_RETENTION_YEARS",
    "MAX_TERMINAL_RESULT_BYTES",
    "MIN_RETENTION_YEARS",
    "RETENTION_KEY",
    "SYSTEM_ACTOR",
    "AuditKind",
    "ChainKeyMissing",
    "Store",
    "VisitDetail",
    "import_chain_key",
]
