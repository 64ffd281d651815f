"""A chain this PC's witness saw rolled back blocks the desk (a status, not a failing visit)
until an administrator records a decision; then visits are recorded again."""

from __future__ import annotations

from pathlib import Path

from policies import PolicyEngine
from reader.reception import DeskStatus, Problem, ReceptionDesk, SessionUpdated, VisitRequest
from resources.policies import shipped_rulebook
from storage.recorder import StoreRecorder
from storage.store import Store
from tests.reader.reception.conftest import ADMIN, MANDATED, EventLog, open_store
from tests.reader.reception.flows import P03
from tests.storage.test_witness import backed_up_then_moved_on, cut_tail_behind_witness, put_back


def blocked(s: DeskStatus) -> bool:
    return s.database.rolled_back is not None


def test_a_tail_cut_while_the_desk_runs_blocks_it_until_an_admin_decides(desk_factory) -> None:
    d = desk_factory()
    cut_tail_behind_witness(d.store)
    mark = d.log.mark()
    d.desk.begin_visit(VisitRequest(new_patient=P03))
    problem = d.log.wait(Problem, lambda p: p.code == "ChainRolledBack", after=mark)
    assert "administrator records a decision" in problem.message
    status = d.log.wait(DeskStatus, blocked, after=mark)
    assert status.database.ok  # reading goes on: only recording waits
    assert d.store.find_patients(P03.chart_number) == []

    mark = d.log.mark()
    d.desk.accept_restored_chain("   ")
    refused = d.log.wait(Problem, lambda p: p.code == "InvalidInput", after=mark)
    assert "reason" in refused.message and d.store.witness_problem is not None

    mark = d.log.mark()
    d.desk.accept_restored_chain("院長確認：切り詰めを確認し、このまま続ける")
    d.log.wait(DeskStatus, lambda s: not blocked(s), after=mark)
    assert d.store.witness_problem is None and d.store.verify_chain().ok
    d.desk.begin_visit(VisitRequest(new_patient=P03))
    d.log.wait(SessionUpdated, after=mark)
    assert [p.chart_number for p in d.store.find_patients(P03.chart_number)] == [P03.chart_number]


def test_a_desk_started_on_an_older_copy_shows_it_blocked_and_lets_an_admin_log_in(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'clinic.sqlite3'}"
    store, admin = open_store(url, tmp_path, MANDATED)
    put_back(backed_up_then_moved_on(store, admin, tmp_path), tmp_path / "clinic.sqlite3")
    store = Store.open(url, terminal_id="desk-test-pc", backup_dir=tmp_path / "backups")
    log = EventLog()
    desk = ReceptionDesk(
        engine=PolicyEngine(shipped_rulebook()),
        recorder=StoreRecorder(store, "older copy"),
        card_source=None,
    )
    desk.subscribe(log)
    try:
        with desk:
            status = log.wait(DeskStatus, blocked)
            assert "rolled back or truncated" in (status.database.rolled_back or "")
            desk.login(ADMIN[0], ADMIN[2])  # logins are still recorded: the admin can decide
            log.wait(DeskStatus, lambda s: s.staff is not None and blocked(s))
            desk.accept_restored_chain("バックアップから戻したことを院長が確認")
            log.wait(DeskStatus, lambda s: s.staff is not None and not blocked(s))
    finally:
        store.close()
    assert Store.open(url, terminal_id="desk-test-pc").witness_problem is None
