"""The witness the database cannot rewrite: the newest chain event each PC has seen, kept in its
OS keyring (beside the chain key), so a rolled-back or truncated database is caught.

Inside the database a consistent older state verifies: a copy of the file from last week, or a
tail cut with an older signed head copied back (the database's own guards stop the latter only
while its triggers stand). So every PC keeps, per database identity, the highest ``(seq, hash)``
it has appended, MACed with the chain key, and advances it after each committed write. A
database whose head is behind that mark, or whose event at that seq has another hash (another
copy, a forked history), is reported — when the store opens (``Store.witness_problem``), at the
first write that finds it, and by ``audit verify``. The mark only moves forward, so concurrent
writers (threads, PCs) cannot move it back.

**Appending waits for a decision.** Writing on would bury the evidence under new events and
make the chain look whole again, so while the problem stands the store refuses every append
(:class:`storage.errors.ChainRolledBack`) except logins and logouts (an administrator must log
in to decide, and every try stays on record), the schema migration that opening did, and the
two recorded decisions that re-base the mark on the chain as it is: a restore of a verified
backup, or an administrator's acceptance with a reason (``Store.accept_restored_chain``;
:func:`decision` builds its event). The witness is per PC: each PC that saw the lost events
needs its own decision.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection, text

from storage import sanitise, secrets
from storage.chain import ChainHead
from storage.errors import ChainRolledBack, InvalidInput

#: Longest reason an administrator may give for accepting a rolled-back chain.
MAX_REASON_CHARS = 500


@dataclass(frozen=True, slots=True)
class WitnessMark:
    seq: int
    #: SHA-256 of event ``seq``, hex.
    hash: str


class Witness:
    """This PC's mark for one database (identity ``database_uuid``, MACed with its chain key)."""

    def __init__(self, database_uuid: str, key: bytes) -> None:
        self._uuid = database_uuid
        self._key = key
        self._lock = threading.Lock()
        self._cached: WitnessMark | None = None

    def _mac(self, seq: int, hash_: str) -> str:
        message = json.dumps(["witness", 1, self._uuid, seq, hash_]).encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def mark(self) -> WitnessMark | None:
        """The stored mark; ValueError if it is there but altered (not made with this key)."""
        raw = secrets.load_witness(self._uuid)
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            seq, hash_, mac = int(data["seq"]), str(data["hash"]), str(data["mac"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError("the witness in the OS keyring is unreadable") from exc
        if not hmac.compare_digest(mac, self._mac(seq, hash_)):
            raise ValueError("the witness in the OS keyring was altered (MAC mismatch)")
        return WitnessMark(seq, hash_)

    def seen(self) -> WitnessMark | None:
        """The stored mark as evidence: None if there is none or it was altered."""
        try:
            return self.mark()
        except ValueError:
            return None

    def _store(self, head: ChainHead) -> None:
        payload = {"seq": head.seq, "hash": head.hash, "mac": self._mac(head.seq, head.hash)}
        secrets.store_witness(self._uuid, json.dumps(payload))
        self._cached = WitnessMark(head.seq, head.hash)

    def still_holds(self, conn: Connection, head_seq: int, head_hash: bytes) -> str | None:
        """Inside a write, given the head it locked: whether the event at the last mark is
        still the one this PC saw; the problem if not. Usually the head IS the mark (no query);
        after other PCs' appends one indexed read."""
        try:
            current = self._cached or self.mark()
        except ValueError as exc:
            return str(exc)  # keep the altered mark as evidence
        if current is None:
            return None
        if head_seq == current.seq:
            stored: object = head_hash
        elif head_seq < current.seq:
            return f"rolled back or truncated: this PC has seen event {current.seq}"
        else:
            stored = conn.execute(
                text("SELECT hash FROM audit_events WHERE seq = :s"), {"s": current.seq}
            ).scalar()
        if isinstance(stored, bytes | memoryview) and bytes(stored).hex() != current.hash:
            return f"event {current.seq} differs from what this PC saw"
        return None

    def advance(self, head: ChainHead) -> None:
        """After ``head`` is committed (never before: a write killed before its commit must not
        leave a mark of an event that does not exist): move the mark there if newer."""
        with self._lock:
            try:
                current = self._cached or self.mark()
            except ValueError:
                return
            if current is None or head.seq > current.seq:
                self._store(head)

    def reset(self, head: ChainHead) -> None:
        """Set the mark to ``head`` even if older: only after a recorded decision (a restore or
        an administrator's acceptance, whose event ``head`` is)."""
        with self._lock:
            self._store(head)

    def divergent_seq(self, head_seq: int) -> int:
        """The first event where the chain (head ``head_seq``) and what this PC saw part: the
        marked event when the chain still reaches it (it differs or is missing), else the
        first event this PC saw that the chain no longer has."""
        mark = self.seen()
        return mark.seq if mark is not None and mark.seq <= head_seq else head_seq + 1

    def check(self, conn: Connection) -> str | None:
        """What is wrong with the database's chain as this PC saw it, or None."""
        try:
            mark = self.mark()
        except ValueError as exc:
            return str(exc)
        if mark is None:
            return None
        head = conn.execute(text("SELECT seq FROM audit_head WHERE id = 1")).scalar()
        if head is None or head < mark.seq:
            return (
                f"rolled back or truncated: this PC has seen event {mark.seq}, the database's "
                f"chain ends at event {head or 0}"
            )
        state = event_state(conn, mark.seq, mark.hash)
        if state is EventState.MISSING:
            return f"event {mark.seq}, seen by this PC, is missing (truncated?)"
        if state is EventState.DIFFERENT:
            return (
                f"event {mark.seq} differs from what this PC saw: the database was replaced by "
                "another copy or its history rewritten"
            )
        return None


class EventState(StrEnum):
    """What the chain holds at a seq someone outside the database wrote down."""

    HELD = "held"
    #: Deleted by a retention purge: a signed checkpoint covers it.
    PURGED = "purged"
    MISSING = "missing"
    DIFFERENT = "different"


def event_state(conn: Connection, seq: int, hash_hex: str) -> EventState:
    """Whether event ``seq`` is still in the chain with hash ``hash_hex`` (witness, paper)."""
    stored = conn.execute(text("SELECT hash FROM audit_events WHERE seq = :s"), {"s": seq}).scalar()
    if stored is None:
        purged = conn.execute(text("SELECT MAX(up_to_seq) FROM audit_checkpoints")).scalar()
        return EventState.PURGED if purged is not None and seq <= purged else EventState.MISSING
    return EventState.HELD if bytes(stored).hex() == hash_hex else EventState.DIFFERENT


def refusal(problem: str) -> ChainRolledBack:
    """The error every refused append raises while ``problem`` stands."""
    return ChainRolledBack(
        f"the audit chain is not as this PC saw it ({problem}): nothing more is recorded until "
        "an administrator records a decision (main.py audit accept-restored --reason TEXT, or "
        "the window's 管理者の確認) or restores a verified backup"
    )


def decision(problem: str | None, mark: WitnessMark | None, reason: str) -> dict[str, object]:
    """The payload of an administrator's acceptance: the problem, what this PC had seen and the
    reason (sanitised: one line, no controls, 12-digit runs masked); InvalidInput if there is
    nothing to accept or no reason."""
    if problem is None:
        raise InvalidInput(
            "the audit chain is as this PC saw it: there is no rolled-back chain to accept"
        )
    text = " ".join(sanitise.clean_text(reason).split())
    if not text:
        raise InvalidInput("give the reason for accepting the chain as it is (it is recorded)")
    if len(text) > MAX_REASON_CHARS:
        raise InvalidInput(f"the reason is longer than {MAX_REASON_CHARS} characters")
    return {
        "problem": problem,
        "seen_seq": mark.seq if mark else None,
        "seen_hash": mark.hash if mark else None,
        "reason": text,
    }
