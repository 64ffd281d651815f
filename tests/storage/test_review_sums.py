"""Review of the fast row check's answer for the tables bound once (visits, verifications):
the rows' digests held to every entry's as a multiset, by count and a keyed fingerprint.

The attacker writes the SQLite file but has no chain key. He may still know digests that are
not in this chain: a restore keeps the database's identity and key and sets the replaced
database aside, whose events bind rows (same ids, other values) the restored chain never
bound. A plain sum of digests modulo 2**128 falls to that: Wagner's k-tree algorithm finds
rows to swap for their set-aside versions that leave count and sum as they were. The
multiset also needs ids that are unique, and events that are the walked ones. A legitimate
database (purges re-binding rows) keeps the fast answer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from policies.dates import JST
from storage import binding, fast_rows, secrets
from storage.binding import BOUND_COLUMNS, ROW_KEY, RowBinder, check_payload
from storage.chain import AuditChain, NewEvent, canonical_payload
from storage.engine import write_connection
from storage.models import Visit, VisitKind
from storage.records import NewPatient, StaffInfo
from storage.secrets import load_chain_key, store_chain_key
from storage.store import Store
from tests.storage.conftest import ADMIN_PASSWORD, SQLITE_ONLY
from tests.storage.test_review_fastpath import (
    _attacker,
    _fast,
    _fast_check_agrees,
    _schema_edit,
    _verdicts,
)
from tests.storage.test_row_binding import populate

#: A fixed chain key: the digests, and so the attack found once offline, are the same each run.
KEY = bytes(range(32))
#: Visits of the day the restore set aside, and of the day after it, ids 1..POOL both days.
POOL = 2048
SET_ASIDE = datetime(2026, 11, 1, 9, 0, tzinfo=JST)
RESTORED = datetime(2026, 11, 2, 9, 0, tzinfo=JST)
#: Bit i-1 set: visit i swapped for its set-aside version. Found by Wagner's algorithm
#: (128 lists of the 2**16 subset sums of 16 visits' differences, about 2**23 additions).
SWAPPED = int(
    "550fea5e58f82b8a2a655085d004136f45da6e398a74f8ecc0fe0c6f1ce72977476463d6d61e2fffdb07cca2"
    "017cf248b942d6876e5a9f9cd54d9fc108b7653627498f1d7a20470bf2fe43712e8861d5301e9e2b3cfef177"
    "e3d186a458e01f30f23ea4d04087bc244b081b9ad6ccdd950c75a2b30f47a823568b1b393565026fe6268908"
    "2f8e97a0db2e0d29b714ec4dcf2477ac46926f8cf2d215020e45c7cbcbf28e6c8bbb9b6ffe8fdf8490a75776"
    "b8ae90b59f2b678a8a976e06bd8342ff5244c6c9ef8b9ba26d622d9d16a28adff9587739c7bb5b8104f8547b"
    "d1334854e1701a36e1093597eed79f1e9777aeb5bac74514b6745f997b3605225db397e0",
    16,
)


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path) -> Iterator[Store]:
    """conftest's store, created with :data:`KEY` as its chain key."""

    def fixed(database_uuid: str) -> bytes:
        store_chain_key(database_uuid, KEY)
        return KEY

    monkeypatch.setattr(secrets, "create_chain_key", fixed)
    s = Store.open(db_url, terminal_id="test-pc", backup_dir=tmp_path / "backups")
    yield s
    s.close()


def visits_of(store: Store, admin: StaffInfo, day: datetime, *, keep: bool) -> list[Any]:
    """Visits 1..POOL opened on ``day`` and bound as the application binds them (one event
    each); ``keep`` False: the transaction is rolled back, as a timeline a restore replaced.
    The rows as stored and their entries' digests, by id."""
    chain = AuditChain(load_chain_key(store.database_uuid))
    with write_connection(store.engine) as conn:
        conn.execute(
            insert(Visit),
            [
                {
                    "id": i,
                    "patient_id": 1,
                    "local_date": day.date(),
                    "kind": VisitKind.OUTPATIENT,
                    "terminal_id": store.terminal_id,
                    "staff_id": admin.id,
                    "opened_at": day + timedelta(seconds=i),
                }
                for i in range(1, POOL + 1)
            ],
        )
        entries = chain.binder.entries_between(conn, "visits", 1, POOL)
        chain.append_many(
            conn,
            [
                NewEvent("visit_opened", admin.username, store.terminal_id, {ROW_KEY: e})
                for e in entries
            ],
            at=day,
        )
        columns = ", ".join(BOUND_COLUMNS["visits"])
        rows = conn.exec_driver_sql(f"SELECT {columns} FROM visits ORDER BY id").all()
        if not keep:
            conn.rollback()
    return [(tuple(row), e.split(" ")[2]) for row, e in zip(rows, entries, strict=True)]


def restored(store: Store) -> tuple[StaffInfo, list[Any], list[Any]]:
    """A patient, then the set-aside day's visits (rolled back) and the restored day's."""
    admin = store.create_first_admin("admin", "管理者", ADMIN_PASSWORD)
    store.create_patient(admin, NewPatient("00001", "山田 太郎", "ヤマダ タロウ", date(1960, 4, 1)))
    set_aside = visits_of(store, admin, SET_ASIDE, keep=False)
    return admin, set_aside, visits_of(store, admin, RESTORED, keep=True)


def _sum(digests: list[str]) -> int:
    return sum(int.from_bytes(bytes.fromhex(d), "little") for d in digests) % 2**128


@SQLITE_ONLY
@pytest.mark.parametrize("workers", [1, 2])
def test_set_aside_rows_that_keep_the_sum_are_refused(
    store: Store, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """About a thousand visits swapped for their set-aside versions, chosen so that count and
    sum of the digests stay as they were: the fast check must not take a sum for the rows."""
    _, set_aside, current = restored(store)
    ids = [i for i in range(1, POOL + 1) if SWAPPED >> (i - 1) & 1]
    assert len(ids) > POOL // 4
    assert _sum([set_aside[i - 1][1] for i in ids]) == _sum([current[i - 1][1] for i in ids])
    db = _attacker(store)
    columns = ", ".join(f"{c} = ?" for c in BOUND_COLUMNS["visits"][1:])
    db.executemany(
        f"UPDATE visits SET {columns} WHERE id = ?",
        [(*set_aside[i - 1][0][1:], i) for i in ids],
    )
    db.close()
    shipped, exact = _verdicts(store, monkeypatch, workers)
    assert exact.rows is not None and exact.rows.count == len(ids)
    assert not shipped.ok, "the fast check took a sum of known digests for the rows"
    assert shipped.rows == exact.rows


@pytest.fixture
def populated(store: Store) -> Store:
    return populate(store, store.create_first_admin("admin", "管理者", ADMIN_PASSWORD))


def _replay_outside_the_chain(db: sqlite3.Connection, where: str) -> None:
    """Copy the event ``where`` picks with a NULL seq, NOT NULL dropped from the schema: the
    walk reads seq first..head, so the copy is never walked."""
    (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE name = 'audit_events'").fetchone()
    assert "seq BIGINT NOT NULL" in sql
    edit = "UPDATE sqlite_master SET sql = ? WHERE name = 'audit_events'"
    _schema_edit(db, (edit, (sql.replace("seq BIGINT NOT NULL", "seq BIGINT"),)))
    db.execute(
        "INSERT INTO audit_events SELECT NULL, occurred_at, kind, actor, terminal_id, payload, "
        f"randomblob(32), hash, mac FROM {where}"
    )


_COLUMNS = ", ".join(BOUND_COLUMNS["visits"])
#: Visits rebuilt (as v2) with visit 1 twice and a column named rowid holding each id.
ROWID_NAMED = {
    "column": (
        "CREATE TABLE v2 AS SELECT *, id AS rowid FROM visits; "
        "INSERT INTO v2 SELECT *, id FROM visits WHERE id = 1"
    ),
    "generated": (
        f"CREATE TABLE v2 ({_COLUMNS}, rowid INTEGER GENERATED ALWAYS AS (id)); "
        f"INSERT INTO v2 ({_COLUMNS}) SELECT {_COLUMNS} FROM visits; "
        f"INSERT INTO v2 ({_COLUMNS}) SELECT {_COLUMNS} FROM visits WHERE id = 1"
    ),
}


@SQLITE_ONLY
@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("rebuilt", list(ROWID_NAMED))
def test_a_visit_stored_twice_under_a_column_named_rowid(
    populated: Store, monkeypatch: pytest.MonkeyPatch, workers: int, rebuilt: str
) -> None:
    """Visit 1 stored twice, its event replayed outside the chain: as many visits as entries
    and the same digests. The table is rebuilt with a column named rowid holding each id (a
    generated one is not in table_info), so that ``id != rowid`` reads that column instead
    of the row's key: the ids must be held unique by the real rowid. (A set of digests
    refused it: two rows, one digest.)"""
    db = _attacker(populated)
    _replay_outside_the_chain(
        db, "audit_events WHERE kind = 'visit_opened' AND payload ->> '$.visit_id' = 1"
    )
    db.executescript(f"{ROWID_NAMED[rebuilt]}; DROP TABLE visits; ALTER TABLE v2 RENAME TO visits")
    (count,) = db.execute("SELECT count(*) FROM visits WHERE id = 1 AND rowid = 1").fetchone()
    assert count == 2
    db.close()
    assert _fast(populated) is None
    _fast_check_agrees(populated, monkeypatch, workers)


@SQLITE_ONLY
@pytest.mark.parametrize("workers", [1, 2])
def test_a_set_aside_visit_with_its_event_outside_the_chain(
    populated: Store, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """Visit 3 as a set-aside timeline holds it (here: bound in a transaction rolled back),
    stored with its event under a NULL seq: the walk never reads that event, but both row
    checks did, so neither named the forged visit. The events must be the walked ones."""
    columns = ", ".join(BOUND_COLUMNS["visits"][1:])
    with write_connection(populated.engine) as conn:
        conn.exec_driver_sql(f"INSERT INTO visits SELECT 3, {columns} FROM visits WHERE id = 2")
        chain = AuditChain(load_chain_key(populated.database_uuid))
        (entry,) = chain.binder.entries(conn, "visits", [3])
        chain.append_many(conn, [NewEvent("visit_opened", "admin", "pc", {ROW_KEY: entry})])
        event = conn.exec_driver_sql("SELECT * FROM audit_events ORDER BY seq DESC").first()
        conn.rollback()
    assert event is not None
    db = _attacker(populated)
    db.execute("CREATE TEMP TABLE aside AS SELECT * FROM audit_events WHERE 0")
    db.execute(f"INSERT INTO aside VALUES ({', '.join('?' * len(event))})", tuple(event))
    _replay_outside_the_chain(db, "aside")
    db.execute(f"INSERT INTO visits SELECT 3, {columns} FROM visits WHERE id = 2")
    db.close()
    shipped, exact = _verdicts(populated, monkeypatch, workers)
    assert not exact.ok
    assert not shipped.ok


@SQLITE_ONLY
def test_rows_rebound_at_purges_keep_the_fast_answer(
    populated: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two purges, the second deleting the first's batch events and re-binding their rows:
    every visit and verification still has exactly one entry, so the fast check answers by
    itself (a legitimate database never falls back to the slow paths on every verify)."""
    for year in (2040, 2060):
        report = populated.purge_expired(None, now=datetime(year, 1, 1, tzinfo=JST))
        assert report.deleted
    slow: list[str] = []

    def watched(name: str, original: Any) -> Any:
        def call(*args: Any) -> Any:
            slow.append(name)
            return original(*args)

        return call

    monkeypatch.setattr(fast_rows, "_latest_digests", watched("latest", fast_rows._latest_digests))
    monkeypatch.setattr(RowBinder, "_compare", watched("exact", RowBinder._compare))
    result = populated.verify_chain(workers=1)
    assert result.ok and result.anchor_seq is not None
    with populated.engine.connect() as conn:
        rows = [conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() for t in BOUND_COLUMNS]
    assert result.rows is not None and result.rows.checked == sum(rows)
    assert slow == []


@SQLITE_ONLY
def test_a_key_ending_in_quote_row_is_refused(populated: Store) -> None:
    """A key whose JSON text ends as ``row`` does (``a"row``, its quote escaped) puts the mark
    ``"row":"1 visits`` ahead of the event's own entry (keys are sorted), where the fast check
    would take another row's digest for it: refused at the top and below, like ``row``."""
    with populated.engine.connect() as conn:
        (entry,) = RowBinder(load_chain_key(populated.database_uuid)).entries(conn, "visits", [1])
    text = canonical_payload({'a"row': entry, ROW_KEY: "the event's own"})
    assert text.index(binding.SINGLE_MARK) < text.index(f'"{ROW_KEY}":"the')
    for payload in ({'a"row': entry}, {"d": {'a"row': entry}}, {"d": [{'"rows': [entry]}]}):
        with pytest.raises(ValueError, match="ends as a row binding key"):
            check_payload(payload)
    check_payload({"arrow": entry, "rows_seen": 2, ROW_KEY: entry})


def test_a_binding_key_made_by_the_sanitiser_is_refused(store: Store) -> None:
    """The sanitiser strips invisible characters from keys: ``ro\\u200bw`` below the top
    becomes ``row`` as written, so the payload is checked as it will be written."""
    admin = store.create_first_admin("admin", "管理者", ADMIN_PASSWORD)
    for payload in ({"d": {"ro\u200bw": "1 visits"}}, {'a"ro\u200bw': "1 visits"}):
        with pytest.raises(ValueError, match="row binding key"):
            store.append_event("noted", admin, payload)
