"""The store's audit area: the chain as the operator meets it — verification, the daily log's
printed head, a restored chain, the chain key export, backups and the retention purge.

Verification checks the chain (in worker processes when long) and then this PC's witness, so a
rollback or a replaced database fails it too. The purge is the one deliberate deletion from the
chain: refused unless the chain verifies and, on PostgreSQL, unless the owner runs it; it
re-binds the rows whose binding events it deletes and records itself, in one transaction.
"""

from __future__ import annotations

import dataclasses
import getpass
import json
import os
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.engine import URL

from storage import secrets
from storage.backup import BackupInfo, backup_to
from storage.binding import BOUND_COLUMNS, REBOUND_AT_PURGE, latest_entries
from storage.chain import ChainHead, ParallelVerify, VerifyResult, head_as_of_day
from storage.errors import RetentionRefused
from storage.models import AuditEvent, AuditPurgePermit
from storage.paper import PaperCheck, check_paper, parse_paper
from storage.records import PurgeReport, StaffInfo, StoredEvent
from storage.row_jobs import SharedSnapshot
from storage.store_core import AuditKind
from storage.store_settings import SettingsMixin
from storage.timeutil import to_tokyo, years_before
from storage.witness import decision


class AuditMixin(SettingsMixin):
    """Chain verification, key export, backup and the retention purge."""

    def chain_head(self, day: date) -> ChainHead | None:
        """The chain head as of the end of Tokyo day ``day`` (for the daily log)."""
        with self.reading() as conn:
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
        (default: the CPU count, at most 4). Inside :meth:`read_snapshot` the check is of that
        snapshot, what the block reads next included.
        """
        if conn is not None:
            return self._witnessed(conn, self._chain.verify(conn), witness)
        workers = workers or min(os.cpu_count() or 1, 4)
        path, parallel = self._sqlite_file(), None
        if workers > 1:
            url = self._engine.url  # the worker processes run elsewhere: the path made absolute
            bare = URL.create(
                url.drivername, url.username, None, url.host, url.port, path or url.database
            )
            parallel = ParallelVerify(
                bare.render_as_string(hide_password=False),
                url.password,
                workers,
                min_parallel,
                path,
            )
        pinned = getattr(self._pinned, "conn", None)
        if pinned is not None:  # this thread's snapshot, watched for its jobs since it began
            if parallel is not None:
                parallel = dataclasses.replace(parallel, shared=self._pinned.shared)
            return self._witnessed(pinned, self._chain.verify(pinned, parallel=parallel), witness)
        with SharedSnapshot(path if parallel else None) as shared, self._engine.connect() as own:
            if self.dialect == "postgresql":
                own.execution_options(isolation_level="REPEATABLE READ")
            with own.begin():
                if parallel is not None:
                    parallel = dataclasses.replace(parallel, shared=shared)
                return self._witnessed(own, self._chain.verify(own, parallel=parallel), witness)

    def _witnessed(self, conn: Connection, result: VerifyResult, witness: bool) -> VerifyResult:
        if not (witness and result.ok):
            return result
        problem = self._witness.check(conn)
        if problem is None:
            return result
        self.witness_problem = problem
        seq = self._witness.divergent_seq(result.head.seq if result.head else 0)
        return dataclasses.replace(
            result,
            ok=False,
            first_broken_seq=seq,
            checked=min(result.checked, seq - 1 - (result.anchor_seq or 0)),
            problem=problem,
        )

    def events(self, kind: str, since: datetime) -> list[StoredEvent]:
        """The events of ``kind`` that occurred at or after ``since``, oldest first (both the
        time and the kind are indexed: ix_audit_events_time, ix_audit_events_kind)."""
        ev = AuditEvent.__table__
        with self.reading() as conn:
            rows = conn.execute(
                select(ev.c.seq, ev.c.occurred_at, ev.c.payload)
                .where(ev.c.occurred_at >= since, ev.c.kind == kind)
                .order_by(ev.c.seq)
            ).all()
        return [StoredEvent(seq, to_tokyo(at), json.loads(text)) for seq, at, text in rows]

    def structure_problems(self) -> list[str]:
        """SQLite's check of the file's structure, every index against its table (``PRAGMA
        integrity_check``), as SQLite words the problems; [] when sound, and on PostgreSQL."""
        if self.dialect != "sqlite":
            return []
        with self.reading() as conn:
            found = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA integrity_check")]
        return [] if found == ["ok"] else found

    def check_paper(self, printed: str) -> PaperCheck:
        """Whether the chain still holds the head printed on a daily log (storage.paper)."""
        mark = parse_paper(printed)
        with self.reading() as conn:
            return check_paper(conn, mark)

    def accept_restored_chain(self, actor: StaffInfo, reason: str) -> ChainHead:
        """An administrator's recorded decision that the chain as it is (behind or diverging
        from what this PC saw) is the record from now on: an event with the problem, the mark
        this PC had and the reason (:func:`storage.witness.decision`), then the witness
        re-based on it and appending allowed again. InvalidInput without a problem or reason."""
        with self._write() as (s, conn):  # under the lock: two decisions cannot both pass
            payload = decision(self.witness_problem, self._witness.seen(), reason)
            self._require(s, actor, admin=True)
            head = self._append(conn, AuditKind.CHAIN_ROLLBACK_ACCEPTED, actor, payload)
        self._rebase_witness(head)
        return head

    def record_restore(self, actor: str | None, payload: Mapping[str, Any]) -> None:
        """The restore's event on the restored chain (its administrator authorised it, see
        storage.restore): the other recorded decision, so the witness follows it."""
        self._rebase_witness(self._audit_only(AuditKind.RESTORED, actor, payload))

    def _rebase_witness(self, head: ChainHead) -> None:
        self._witness.reset(head)
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
        self.check_appending(AuditKind.BACKUP_CREATED)  # no backup that cannot be recorded
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
