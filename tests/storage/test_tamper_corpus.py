"""The tamper corpus (tests/storage/tamper.py) run by each attacker, its counts printed as one
JSON line per run for the closing note: on SQLite and on PostgreSQL as a superuser with triggers,
foreign keys and CHECKs off, every attack is detected and named; on PostgreSQL as the runtime role
the reception PCs use, every attack is refused by a privilege or a guard, or else detected."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Connection

from storage.pg_roles import RUNTIME_WRITES
from storage.store import Store
from tests.storage.tamper import CHAIN_TABLES, Tally, run_corpus
from tests.storage.test_pg_roles import roles, runtime_store  # noqa: F401 (fixtures)
from tests.storage.test_row_binding import populate, populated, row_attacker  # noqa: F401


def report(tally: Tally, mode: str, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(f"\n{tally.summary(mode)}")
    missed = "\n".join(f"{table}: {attack}: {why[:300]}" for table, attack, why in tally.misses)
    assert not tally.misses, missed
    assert {*CHAIN_TABLES, "login_guard"} <= set(tally.tried)


def test_every_attack_is_detected_and_named(
    populated: Store,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    tally = run_corpus(populated, lambda: row_attacker(populated), may_refuse=False)
    mode = "sqlite" if populated.dialect == "sqlite" else "postgresql superuser"
    report(tally, mode, capsys)
    assert sum(tally.detected.values()) == sum(tally.tried.values())
    assert populated.verify_chain().ok


@pytest.mark.postgres
def test_the_runtime_role_is_refused_or_detected(
    runtime_store: Store,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    admin = runtime_store.create_first_admin("admin", "管理者", "admin-pass-1")
    store = populate(runtime_store, admin)

    @contextmanager
    def runtime_role() -> Iterator[Connection]:
        with store.engine.connect() as conn:  # the store's own role: the runtime role
            conn.begin()
            assert conn.exec_driver_sql("SELECT current_user").scalar() != "postgres"
            try:
                yield conn
            finally:
                conn.rollback()

    tally = run_corpus(store, runtime_role, may_refuse=True)
    report(tally, "postgresql runtime role", capsys)
    # What the role is not granted is refused for want of the privilege, whatever the attack.
    for attack in tally.attacks:
        if attack.verb not in RUNTIME_WRITES[attack.table]:
            assert tally.refused_how.get(attack) == "InsufficientPrivilege", attack
    assert tally.detected["patients"]  # granted UPDATE: an edit passes the database, not verify
    assert store.verify_chain().ok
