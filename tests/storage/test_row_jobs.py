"""storage.row_jobs: the row check's worker jobs answer for the check's own snapshot.

The jobs run in other processes, each with a snapshot of its own. On PostgreSQL they import
the check's (``pg_export_snapshot``); on SQLite a commit since the check's snapshot began
(``PRAGMA data_version``) sets their answers aside, and the check reads the rows itself.
"""

from __future__ import annotations

import pytest

from storage import workers
from storage.records import StaffInfo
from storage.row_jobs import SharedSnapshot
from storage.store import Store
from tests.storage.conftest import SQLITE_ONLY
from tests.storage.test_row_binding import populate


def test_a_commit_during_the_check_never_mixes_two_databases(
    store: Store, admin: StaffInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row changed behind the application's back after the check's snapshot began and
    before its row jobs read: the check answers for its own snapshot (where the row is as
    bound), never for a mix; the next check names the change."""
    populate(store, admin)
    run = workers.run
    answers: list[dict[str, object]] = []

    def with_a_commit(jobs: list[workers.Job]) -> list[dict[str, object]]:
        if jobs[0][0] == "rows":
            with store.engine.begin() as conn:  # another connection, committed
                conn.exec_driver_sql("UPDATE patients SET kana = 'ベツ' WHERE id = 1")
        got = run(jobs)
        if jobs[0][0] == "rows":
            answers.extend(got)
        return got

    monkeypatch.setattr(workers, "run", with_a_commit)
    assert store.verify_chain(workers=2, min_parallel=0, witness=False).ok
    counts = [a["count"] for a in answers]
    if store.dialect == "sqlite":
        assert sum(counts) == 1  # the jobs saw the change; their answer was set aside
    else:
        assert counts == [0, 0]  # the jobs read the check's snapshot
    monkeypatch.undo()
    after = store.verify_chain(workers=2, min_parallel=0)
    assert not after.ok and after.rows is not None
    assert [(p.table, p.row_id, p.field) for p in after.rows.problems] == [
        ("patients", "1", "kana")
    ]


@SQLITE_ONLY
def test_a_commit_by_any_connection_is_seen_and_none_is_made_up(
    store: Store, admin: StaffInfo
) -> None:
    path = store.engine.url.database
    assert path is not None
    with SharedSnapshot(path) as quiet:
        store.verify_chain()  # reads only
        assert quiet.held()
    with SharedSnapshot(path) as watched:
        store.set_setting(admin, "print_masking", "full")
        assert not watched.held()
    assert SharedSnapshot(None).held()  # PostgreSQL: the jobs import the snapshot
