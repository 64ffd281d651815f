"""Fast seeding of one very busy day for tests (the Store API takes ~10 ms per visit).

Rows are bulk-inserted with the same models the Store uses, and the events the Store would
write (``patient_created``, ``visit_opened``, ``verification_recorded``, each binding its row with
the same binder) are appended with the same chain code in the same transaction, so the audit
chain and its rows still verify and the head is real. Only for tests: the app writes through Store.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, insert, select

from policies.dates import JST
from policies.model import DocumentKind, FailureReason, Outcome, Sex, VerificationPath
from storage.binding import ROW_KEY
from storage.chain import AuditChain, NewEvent
from storage.engine import write_connection
from storage.models import Patient, VerificationAttempt, Visit, VisitKind
from storage.records import StaffInfo
from storage.secrets import load_chain_key
from storage.store import Store

PATHS = list(VerificationPath)
OUTCOMES = [Outcome.CONFIRMED] * 8 + [Outcome.PROVISIONAL, Outcome.ABANDONED]


def bulk_day(store: Store, actor: StaffInfo, day: date, n: int, *, seed: int = 3) -> None:
    """``n`` visits with one verification each between 08:30 and 18:30 of ``day``."""
    rng = random.Random(seed)
    chain = AuditChain(load_chain_key(store.database_uuid))
    start = datetime.combine(day, time(8, 30), JST)
    with write_connection(store.engine) as conn:
        first_patient = (conn.execute(select(func.max(Patient.id))).scalar() or 0) + 1
        first_visit = (conn.execute(select(func.max(Visit.id))).scalar() or 0) + 1
        first_attempt = (conn.execute(select(func.max(VerificationAttempt.id))).scalar() or 0) + 1
        patients, visits, attempts = [], [], []
        for i in range(n):
            at = start + timedelta(seconds=int(36_000 * i / n))
            path = PATHS[i % len(PATHS)]
            outcome = OUTCOMES[i % len(OUTCOMES)]
            reason = None if i % 3 else rng.choice(list(FailureReason))
            pid, vid, aid = first_patient + i, first_visit + i, first_attempt + i
            patients.append(
                {
                    "id": pid,
                    "chart_number": f"B{pid:06d}",
                    "name": f"負荷 {i}",
                    "kana": f"フカ {i}",
                    "birth_date": date(1950, 1, 1) + timedelta(days=i * 7),
                    "sex": Sex.UNKNOWN,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            visits.append(
                {
                    "id": vid,
                    "patient_id": pid,
                    "local_date": day,
                    "kind": VisitKind.OUTPATIENT,
                    "terminal_id": store.terminal_id,
                    "staff_id": actor.id,
                    "opened_at": at,
                }
            )
            attempts.append(
                {
                    "id": aid,
                    "visit_id": vid,
                    "path": path,
                    "outcome": outcome,
                    "failure_reason": reason,
                    "documents": [{"kind": DocumentKind.MYNA_CARD.value, "details": {}}],
                    "rule_ids": [],
                    "terminal_result_id": None,
                    "simulated": i % 10 == 0,
                    "staff_id": actor.id,
                    "terminal_id": store.terminal_id,
                    "started_at": at,
                    "finished_at": at + timedelta(seconds=15),
                    "note": None,
                }
            )
        conn.execute(insert(Patient), patients)
        conn.execute(insert(Visit), visits)
        conn.execute(insert(VerificationAttempt), attempts)
        events = [
            NewEvent(kind, actor.username, store.terminal_id, {key: first + i, ROW_KEY: entry})
            for kind, table, key, first in (
                ("patient_created", "patients", "patient_id", first_patient),
                ("visit_opened", "visits", "visit_id", first_visit),
                (
                    "verification_recorded",
                    "verification_attempts",
                    "verification_id",
                    first_attempt,
                ),
            )
            for i, entry in enumerate(
                chain.binder.entries_between(conn, table, first, first + n - 1)
            )
        ]
        chain.append_many(conn, events, at=datetime.combine(day, time(18, 45), JST))
