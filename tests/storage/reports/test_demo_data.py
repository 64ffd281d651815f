"""The demo history: deterministic, complete (every path and reason), simulated, chain intact."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from pathlib import Path

import pytest

from policies.model import FailureReason, VerificationPath
from storage.demo_data import (
    DEMO_PROFILE,
    DEMO_SETTING,
    DemoClock,
    DemoSpec,
    demo_card_patients,
    desk_demo,
    open_demo_store,
    prepare_desk_demo,
    seed_demo_history,
    seed_demo_patients,
)
from storage.engine import sqlite_url
from storage.store import Store
from tests.storage.reports.conftest import DemoDb

TINY = DemoSpec(end=date(2026, 11, 7), months=1, visits_per_day=(2, 4))


def projection(store: Store, first: date, last: date) -> list[tuple]:
    return [
        (
            r.time,
            r.path,
            r.outcome,
            r.failure_reason,
            tuple(d.kind for d in r.documents),
            r.chart_number,
            r.patient_name,
            r.staff_username,
            r.terminal_id,
            r.simulated,
        )
        for r in store.verifications_between(first, last)
    ]


def test_same_seed_same_history(tmp_path: Path) -> None:
    made = []
    for name in ("a", "b"):
        url = sqlite_url(tmp_path / name / "demo.sqlite3").render_as_string()
        (tmp_path / name).mkdir()
        store, history = open_demo_store(url, TINY, backup_dir=tmp_path / name / "backups")
        made.append((store, history))
    (a, ha), (b, hb) = made
    try:
        rows = projection(a, TINY.first_day, TINY.end)
        assert rows == projection(b, TINY.first_day, TINY.end)
        assert len(rows) == ha.verifications == hb.verifications
        assert ha.per_day == hb.per_day and ha.simulated == ha.verifications  # all simulated
        assert all(r[-1] for r in rows)
        assert a.facility_profile() == DEMO_PROFILE
        assert "seed 7" in (a.setting(DEMO_SETTING) or "")
        assert a.verify_chain().ok
        # the days' visits happen on those days, in opening hours
        assert {r[0].date() for r in rows} <= set(ha.days)
        assert all(8 <= r[0].hour < 19 for r in rows)
        # another seed is another history
        other = sqlite_url(tmp_path / "c.sqlite3").render_as_string()
        store_c, _ = open_demo_store(
            other,
            DemoSpec(end=TINY.end, months=1, visits_per_day=(2, 4), seed=8),
            backup_dir=tmp_path / "backups",
        )
        assert projection(store_c, TINY.first_day, TINY.end) != rows
        store_c.close()
    finally:
        a.close()
        b.close()


def test_history_covers_every_path_and_reason(demo_db: DemoDb) -> None:
    h = demo_db.history
    rows = demo_db.store.verifications_between(h.days[0], h.days[-1])
    assert len(rows) == h.verifications == sum(h.per_day.values())
    assert {r.path for r in rows} == set(VerificationPath)
    assert {r.failure_reason for r in rows} - {None} == set(FailureReason)
    assert 0 < sum(r.simulated for r in rows) < len(rows)  # a mixed history on request
    assert {r.terminal_id for r in rows} == set(h.spec.terminals)
    assert all(d.weekday() != 6 for d in h.days)  # closed on Sundays


def test_seeding_refuses_a_database_in_use(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "used.sqlite3").render_as_string()
    store = Store.open(url, terminal_id="x", backup_dir=tmp_path / "backups")
    try:
        store.create_first_admin("admin", "管理者", "admin-pass-1")
        with pytest.raises(ValueError, match="empty database"):
            seed_demo_history(store, DemoClock(TINY.start_moment()), TINY)
    finally:
        store.close()


def test_demo_patients_match_the_demo_cards_and_hold_no_individual_number(
    tmp_path: Path,
) -> None:
    """Issue 14 §9: the demo started with no patients, so the README's steps could not be
    followed; every demo card's person is on file (once), and nothing looks like a 個人番号."""
    url = sqlite_url(tmp_path / "demo.sqlite3").render_as_string()
    store = Store.open(url, terminal_id="x", backup_dir=tmp_path / "backups")
    try:
        admin = store.create_first_admin("admin", "管理者", "admin-pass-1")
        made = seed_demo_patients(store, admin)
        assert seed_demo_patients(store, admin) == []  # idempotent
        charts = {p.chart_number: p for p in made}
        assert sorted(charts) == [f"D-{i:04d}" for i in range(1, 41)]
        p03 = charts["D-0003"]  # demo-03: 見本 一郎, 協会けんぽ
        assert (p03.name, p03.kana) == ("見本 一郎", "ミホン イチロウ")
        assert p03.birth_date == date(1975, 11, 3)
        assert (p03.insurer_number, p03.insured_number) == ("01130012", "25")
        for p in made:
            values = [str(v) for v in dataclasses.astuple(p)]
            assert not any(re.fullmatch(r"\d{12}", v.replace(" ", "")) for v in values), p
    finally:
        store.close()


def test_the_desk_demo_is_prepared_once(tmp_path: Path) -> None:
    """``main.py --demo``'s first run: its account, its facility and the demo cards' patients;
    a later run changes nothing and runs with the facility as the database keeps it."""
    demo = desk_demo()
    assert demo.profile.medical_institution_code == "1312345678"
    url = sqlite_url(tmp_path / "desk-demo.sqlite3").render_as_string()
    with Store.open(url, terminal_id="x", backup_dir=tmp_path / "backups") as store:
        assert prepare_desk_demo(store) == demo.profile
        staff = store.authenticate(demo.username, demo.password)
        assert staff is not None and staff.is_admin
        charts = sorted(p.chart_number for p in store.find_patients(limit=500))
        assert charts == sorted(p.chart_number for p in demo_card_patients())
        renamed = dataclasses.replace(demo.profile, name="改名クリニック")
        store.set_facility_profile(staff, renamed)
        assert prepare_desk_demo(store) == renamed  # the database's, nothing created again
        assert len(store.find_patients(limit=500)) == len(charts)
