"""Account locks held against the chain: the chain, not the ``login_guard`` row, says who is locked.

A guard row counts consecutive failed logins (the growing delay) and carries the lock. Its
counters change with every failed login, too often and too many rows at a time to bind each
change to an event the way storage.binding binds stored facts; the lock, the one state that
keeps a guesser out, changes only with its own event (``staff_locked`` when the count reaches
the limit, ``staff_unlocked`` when an administrator clears it). So the latest of those two
events of an account is authoritative: a login is refused while either the row or the chain
says locked, and ``audit verify`` names every account where they differ — a lock deleted or
cleared behind the application's back, or a lock set without its event. After a retention
purge an account may have no lock event left; its row is then trusted as it is. A login finds
the lock events through the kind index (fast on a long chain); ``audit verify`` reads every
event, so an index corrupted behind SQLite's back cannot hide a lock from it.

The delay counters stay unbound: deleting them only shortens a wait of seconds, never opens an
account the chain says is locked.
"""

from __future__ import annotations

import json

from sqlalchemy import Connection, text

from storage.binding import RowProblem

#: The events that set and clear an account's lock (storage.store.AuditKind uses these).
STAFF_LOCKED = "staff_locked"
STAFF_UNLOCKED = "staff_unlocked"
#: A guard row's scope for an account (the other scope is ``pc:NAME``).
ACCOUNT_SCOPE = "account:"


def account_scope(staff_id: int) -> str:
    return f"{ACCOUNT_SCOPE}{staff_id}"


def latest_lock_events(
    conn: Connection, *, every_event: bool = False
) -> dict[int, tuple[int, bool]]:
    """staff id → (seq, locked) of the account's latest lock or unlock event; found through
    the kind index, or with ``every_event`` by reading every event (SQLite: no index)."""
    latest: dict[int, tuple[int, bool]] = {}
    scan = " NOT INDEXED" if every_event and conn.dialect.name == "sqlite" else ""
    rows = conn.execute(
        text(
            f"SELECT seq, kind, payload FROM audit_events{scan} "  # noqa: S608 (no input)
            "WHERE kind IN (:l, :u) ORDER BY seq"
        ),
        {"l": STAFF_LOCKED, "u": STAFF_UNLOCKED},
    )
    for seq, kind, payload in rows:
        staff_id = json.loads(payload).get("staff_id")
        if isinstance(staff_id, int):
            latest[staff_id] = (seq, kind == STAFF_LOCKED)
    return latest


def locked_by_chain(conn: Connection, staff_id: int) -> bool:
    """Whether the chain's latest lock event of the account locked it."""
    return latest_lock_events(conn).get(staff_id, (0, False))[1]


def lock_problems(conn: Connection) -> list[RowProblem]:
    """Accounts whose ``login_guard`` lock differs from their latest lock event (read from
    every event: ``audit verify`` never trusts an index for it)."""
    events = latest_lock_events(conn, every_event=True)
    rows = conn.execute(
        text("SELECT scope, locked FROM login_guard WHERE scope LIKE :p"),
        {"p": f"{ACCOUNT_SCOPE}%"},
    )
    stored = {scope: bool(locked) for scope, locked in rows}
    problems = [
        RowProblem(
            "login_guard",
            account_scope(staff_id),
            "locked",
            f"account locked by event {seq} is not locked (lock removed behind the "
            "application's back)",
            seq,
        )
        for staff_id, (seq, locked) in sorted(events.items())
        if locked and not stored.get(account_scope(staff_id), False)
    ]
    for scope, locked in sorted(stored.items()):
        tail = scope.removeprefix(ACCOUNT_SCOPE)
        event = events.get(int(tail)) if tail.isdecimal() else None
        if locked and event is not None and not event[1]:
            why = f"locked although event {event[0]} unlocked it"
        elif locked and event is None and not _purged(conn):
            why = "locked without a staff_locked event"
        else:
            continue
        problems.append(
            RowProblem(
                "login_guard",
                scope,
                "locked",
                f"{why} (set behind the application's back)",
                None if event is None else event[0],
            )
        )
    return problems


def _purged(conn: Connection) -> bool:
    """Whether a retention purge has deleted the chain's oldest events (a checkpoint exists)."""
    return conn.execute(text("SELECT COUNT(*) FROM audit_checkpoints")).scalar_one() > 0
