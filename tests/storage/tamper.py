"""The tamper corpus: every attack on every table of the evidence, tried by one attacker and
counted per table as tried / refused by the database / detected and named by ``verify``.

Row attacks, for each table bound to the chain: each column edited, a forged row (a genuine one
copied under a new key), a row deleted; an account's lock (held against the chain, not bound:
storage.login_locks) deleted, cleared, forged on another account. Chain attacks: each column of
an event edited, a forged event that extends the head, an event deleted, two events reordered,
the tail cut, an older head copied back (alone and after a tail cut), the head deleted, a forged
checkpoint, a forged purge permit (alone and with the events it would allow deleted). Replacing
the whole database with an older copy is the witness's case (tests/storage/test_witness.py); no
connection can try it.

``run_corpus`` runs each attack in its own transaction, asks ``verify`` on that transaction and
rolls it back. An attacker who disables triggers (SQLite, a PostgreSQL superuser) must be detected
every time; the PostgreSQL runtime role must be refused with a permission error, one of the
database's guards or a constraint it cannot switch off (a superuser can), or else detected. A
refusal of any other kind, or an attack neither refused nor named, is a miss.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from storage.binding import BOUND_COLUMNS
from storage.chain import VerifyResult
from storage.login_locks import account_scope
from storage.store import AuditKind, Store
from tests.storage.test_chain_tamper import COLUMNS, mutations, raw_row
from tests.storage.test_row_binding import _EXTRA, _KEYS, _UNIQUE, _changed, _ids, _problems

#: The database's own guards (trigger messages) a runtime-role attack may run into.
GUARDS = (
    "is append-only",
    "a new event must extend the current head",
    "audit_head only moves forward to the newest event",
    "a purge permit needs its checkpoint",
)
CHAIN_TABLES = ("audit_events", "audit_head", "audit_checkpoints", "audit_purge_permits")
HEAD_COLUMNS = ("seq", "hash", "occurred_at", "mac")

Attacker = Callable[[], AbstractContextManager[Connection]]


@dataclass(frozen=True)
class Attack:
    table: str
    name: str
    #: The SQL verb of its first statement, on ``table``: what the runtime role needs granted.
    verb: str
    run: Callable[[Connection], None]
    #: Whether verify's answer names this attack (table, id and field; or the broken event).
    named: Callable[[VerifyResult], bool]


@dataclass
class Tally:
    attacks: list[Attack] = field(default_factory=list)
    tried: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    detected: Counter[str] = field(default_factory=Counter)
    #: Each refused attack and how (SQLSTATE class name, the guard).
    refused_how: dict[Attack, str] = field(default_factory=dict)
    misses: list[tuple[str, str, str]] = field(default_factory=list)

    def summary(self, mode: str) -> str:
        """One JSON line: per table [tried, refused, detected], totals, how refused."""
        tables = {t: [self.tried[t], self.refused[t], self.detected[t]] for t in self.tried}
        totals = [sum(self.tried.values()), sum(self.refused.values())]
        totals.append(sum(self.detected.values()))
        return json.dumps(
            {
                "tamper_corpus": mode,
                "per_table_tried_refused_detected": tables,
                "total_tried_refused_detected": totals,
                "refused_by": dict(sorted(Counter(self.refused_how.values()).items())),
                "missed": len(self.misses),
            },
            ensure_ascii=False,
        )


def _execute(sql: str, params: dict[str, Any] | None = None) -> Callable[[Connection], None]:
    def run(conn: Connection) -> None:
        conn.execute(text(sql), params or {})

    return run


def row_attacks(conn: Connection) -> Iterator[Attack]:
    """Each column of the last row of every bound table edited; a forged row; a deleted row."""
    for table, columns in BOUND_COLUMNS.items():
        pk = _KEYS[table]
        target = _ids(conn, table)[-1]
        stored = (*columns, *_EXTRA.get(table, ()))
        for column in stored:

            def edit(
                c: Connection, table: str = table, column: str = column, target: Any = target
            ) -> None:
                where = f'WHERE "{_KEYS[table]}" = :i'
                value = c.execute(
                    text(f'SELECT "{column}" FROM {table} {where}'), {"i": target}
                ).scalar()
                expr, new = _changed(c, table, column, value)
                c.execute(
                    text(f'UPDATE {table} SET "{column}" = {expr} {where}'),
                    {"v": new, "i": target},
                )

            want = (table, str(target), None if column == pk else column)
            yield Attack(table, f"edit {column}", "UPDATE", edit, _names(want))
        forged = "forged" if table == "settings" else "99"
        copy = [f"'{forged}'" if c == pk else _UNIQUE.get(c, f'"{c}"') for c in stored]
        names = ", ".join(f'"{c}"' for c in stored)
        yield Attack(
            table,
            "forged row",
            "INSERT",
            _execute(
                f"INSERT INTO {table} ({names}) "
                f'SELECT {", ".join(copy)} FROM {table} WHERE "{pk}" = :i',
                {"i": target},
            ),
            _names((table, forged, None)),
        )
        yield Attack(
            table,
            "delete",
            "DELETE",
            _execute(f'DELETE FROM {table} WHERE "{pk}" = :i', {"i": target}),
            _names((table, str(target), None)),
        )


def lock_an_account(store: Store) -> None:
    """The state the lock limit of wrong passwords leaves (its event and its ``login_guard``
    row), without waiting out the growing delays."""
    with store.engine.connect() as conn:
        staff_id = conn.execute(text("SELECT MAX(id) FROM staff")).scalar_one()
    store.append_event(AuditKind.STAFF_LOCKED, None, {"staff_id": staff_id, "failures": 10})
    with store.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO login_guard (scope, failures, locked) VALUES (:s, 10, true)"),
            {"s": account_scope(staff_id)},
        )


def guard_attacks(conn: Connection) -> Iterator[Attack]:
    """The lock held against the chain (storage.login_locks): removed, cleared, forged."""
    first, last = conn.execute(text("SELECT MIN(id), MAX(id) FROM staff")).one()
    locked, other = account_scope(last), account_scope(first)
    where = {"s": locked}
    for name, verb, sql in (
        ("delete", "DELETE", "DELETE FROM login_guard WHERE scope = :s"),
        ("edit locked", "UPDATE", "UPDATE login_guard SET locked = false WHERE scope = :s"),
    ):
        yield Attack(
            "login_guard",
            name,
            verb,
            _execute(sql, where),
            _names(("login_guard", locked, "locked")),
        )
    yield Attack(
        "login_guard",
        "forged row",
        "INSERT",
        _execute(
            "INSERT INTO login_guard (scope, failures, locked) VALUES (:s, 10, true)", {"s": other}
        ),
        _names(("login_guard", other, "locked")),
    )


def _names(want: tuple[str, str, str | None]) -> Callable[[VerifyResult], bool]:
    return lambda result: not result.ok and want in set(_problems(result))


def _broken_at(seq: int) -> Callable[[VerifyResult], bool]:
    return lambda result: not result.ok and result.first_broken_seq == seq


def _says(words: str) -> Callable[[VerifyResult], bool]:
    return lambda result: not result.ok and words in (result.problem or "")


def chain_attacks(conn: Connection, old_head: tuple[Any, ...]) -> Iterator[Attack]:
    """The chain's own tables; ``old_head``: the head row as it was one append ago."""
    head = raw_row(conn, int(conn.execute(text("SELECT seq FROM audit_head")).scalar_one()))
    last = int(head["seq"])  # type: ignore[call-overload]
    mid = 2
    for column, value in mutations(raw_row(conn, mid)):
        yield Attack(
            "audit_events",
            f"edit {column}",
            "UPDATE",
            _execute(
                f"UPDATE audit_events SET {column} = :v WHERE seq = :s", {"v": value, "s": mid}
            ),
            _broken_at(mid),
        )
    forged = dict(head, seq=last + 1, prev_hash=head["hash"], hash=b"\xff" * 32, mac=b"\xee" * 32)
    columns = ", ".join(COLUMNS)
    yield Attack(
        "audit_events",
        "forged event",
        "INSERT",
        _execute(
            f"INSERT INTO audit_events ({columns}) VALUES ({', '.join(':' + c for c in COLUMNS)})",
            forged,
        ),
        _broken_at(last + 1),
    )
    yield Attack(
        "audit_events",
        "delete",
        "DELETE",
        _execute("DELETE FROM audit_events WHERE seq = :s", {"s": mid}),
        _broken_at(mid),
    )
    swap = "UPDATE audit_events SET seq = :to WHERE seq = :at"

    def reorder(c: Connection) -> None:
        for at, to in ((mid, -mid), (mid + 1, mid), (-mid, mid + 1)):
            c.execute(text(swap), {"at": at, "to": to})

    yield Attack("audit_events", "reorder", "UPDATE", reorder, _broken_at(mid))
    yield Attack(
        "audit_events",
        "cut tail",
        "DELETE",
        _execute("DELETE FROM audit_events WHERE seq >= :s", {"s": last - 1}),
        lambda result: not result.ok and result.first_broken_seq is not None,
    )
    old = dict(zip(HEAD_COLUMNS, old_head, strict=True))
    replay = (
        "UPDATE audit_head SET seq = :seq, hash = :hash, occurred_at = :occurred_at, mac = :mac"
    )
    yield Attack("audit_head", "old head replayed", "UPDATE", _execute(replay, old), _says(""))

    def cut_and_replay(c: Connection) -> None:
        c.execute(text(replay), old)
        c.execute(text("DELETE FROM audit_events WHERE seq > :s"), {"s": old["seq"]})

    yield Attack(
        "audit_head",
        "tail cut, old head replayed",
        "UPDATE",
        cut_and_replay,
        _says("rolled back or truncated"),
    )
    yield Attack("audit_head", "delete", "DELETE", _execute("DELETE FROM audit_head"), _says(""))
    event = raw_row(conn, mid)
    checkpoint = {"s": mid, "h": event["hash"], "t": event["occurred_at"], "m": b"\xee" * 32}
    forge_checkpoint = _execute(
        "INSERT INTO audit_checkpoints (up_to_seq, up_to_hash, up_to_time, created_at, mac) "
        "VALUES (:s, :h, :t, :t, :m)",
        checkpoint,
    )
    yield Attack("audit_checkpoints", "forged checkpoint", "INSERT", forge_checkpoint, _says(""))
    forge_permit = _execute("INSERT INTO audit_purge_permits (up_to_seq) VALUES (:s)", {"s": mid})
    yield Attack(
        "audit_purge_permits", "forged permit", "INSERT", forge_permit, _says("purge permit")
    )

    def forged_purge(c: Connection) -> None:
        forge_permit(c)
        forge_checkpoint(c)
        c.execute(text("DELETE FROM audit_events WHERE seq <= :s"), {"s": mid})

    yield Attack("audit_purge_permits", "forged purge", "INSERT", forged_purge, _says(""))


#: Integrity constraints only an owner or superuser can switch off: a foreign key the changed id
#: is still referenced by, the single-row CHECK of the facility profile.
CONSTRAINTS = psycopg.errors.ForeignKeyViolation | psycopg.errors.CheckViolation


def refusal(exc: DBAPIError) -> str | None:
    """How PostgreSQL refused a runtime-role attack: a missing privilege, one of the guards, or a
    constraint the role cannot switch off (None: some other error, a miss)."""
    orig = exc.orig
    if isinstance(orig, psycopg.errors.InsufficientPrivilege | CONSTRAINTS):
        return type(orig).__name__
    if isinstance(orig, psycopg.errors.RaiseException) and any(g in str(orig) for g in GUARDS):
        return f"{type(orig).__name__} ({next(g for g in GUARDS if g in str(orig))})"
    return None


def run_corpus(store: Store, attacker: Attacker, *, may_refuse: bool) -> Tally:
    """Every attack, each in its own rolled-back transaction of ``attacker()``."""
    lock_an_account(store)
    with store.engine.connect() as conn:
        old_head = tuple(
            conn.execute(text(f"SELECT {', '.join(HEAD_COLUMNS)} FROM audit_head")).one()
        )
    store.append_event("probe", None, {"corpus": "one more event after the old head"})
    with store.engine.connect() as conn:
        attacks = [*row_attacks(conn), *guard_attacks(conn), *chain_attacks(conn, old_head)]
    tally = Tally()
    for attack in attacks:
        tally.attacks.append(attack)
        tally.tried[attack.table] += 1
        with attacker() as conn:
            try:
                attack.run(conn)
            except DBAPIError as exc:
                how = refusal(exc) if may_refuse else None
                if how is None:
                    tally.misses.append((attack.table, attack.name, str(exc.orig)))
                else:
                    tally.refused[attack.table] += 1
                    tally.refused_how[attack] = how
                continue
            result = store.verify_chain(conn)
        if attack.named(result):
            tally.detected[attack.table] += 1
        else:
            tally.misses.append((attack.table, attack.name, str(result.problem)))
    return tally
