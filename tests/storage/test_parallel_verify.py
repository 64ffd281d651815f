"""Verify in worker processes gives exactly the sequential answer (the 1M-event path)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from storage import workers
from storage.chain import AuditChain, NewEvent
from storage.engine import write_connection
from storage.secrets import load_chain_key
from storage.store import Store
from tests.storage.test_chain_tamper import attacker

EVENTS = 3_000


def both(store: Store) -> tuple[int | None, int | None]:
    sequential = store.verify_chain(workers=1)
    parallel = store.verify_chain(workers=3, min_parallel=0)
    assert (parallel.ok, parallel.problem) == (sequential.ok, sequential.problem)
    assert parallel.checked == sequential.checked
    return sequential.first_broken_seq, parallel.first_broken_seq


def test_parallel_verify_matches_sequential(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ranges are walked by child processes: this process's fall-back is made to fail."""

    def not_here(name: str, args: dict[str, Any]) -> None:
        raise AssertionError(f"the {name} job ran in the parent process")

    monkeypatch.setattr(workers, "call", not_here)
    chain = AuditChain(load_chain_key(store.database_uuid))
    with write_connection(store.engine) as conn:
        chain.append_many(conn, [NewEvent("bulk", "a", "pc", {"i": i}) for i in range(EVENTS)])
    assert both(store) == (None, None)
    assert store.verify_chain(workers=3, min_parallel=0).checked == EVENTS + 1
    # Ranges are about 1..1000, 1001..2000, 2001..3001: break things in the later ranges first.
    with attacker(store) as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'b' WHERE seq = 2500"))
        conn.commit()
    assert both(store) == (2500, 2500)
    with attacker(store) as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 1001"))  # a range boundary
        conn.commit()
    assert both(store) == (1001, 1001)
    with attacker(store) as conn:
        conn.execute(text("UPDATE audit_events SET hash = mac WHERE seq = 1000"))
        conn.commit()
    assert both(store) == (1000, 1000)
