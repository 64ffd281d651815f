"""Alembic from the first table on; models and migrations agree; a backup precedes migrating."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from storage.binding import BOUND_AT_MIGRATION
from storage.engine import make_engine
from storage.errors import BackupError
from storage.migrate import current_revision, downgrade, head_revision, migrate, upgrade
from storage.models import Base
from storage.store import AuditKind, Store


def test_upgrade_from_empty_creates_everything(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    assert current_revision(engine) is None
    report = migrate(engine, tmp_path / "backups")
    assert (report.from_revision, report.to_revision, report.backup) == (
        None,
        head_revision(),
        None,
    )
    assert not (tmp_path / "backups").exists()  # nothing to back up in an empty database
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables and "alembic_version" in tables
    with engine.connect() as conn:
        diffs = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert diffs == []
    assert migrate(engine, tmp_path / "backups").backup is None  # already current: no-op
    engine.dispose()


def test_downgrade_and_upgrade_again(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    downgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    assert "audit_checkpoints" not in inspect(engine).get_table_names()
    downgrade(engine, "base")
    assert inspect(engine).get_table_names() in ([], ["alembic_version"])
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_app_backs_up_before_migrating_and_audits_it(db_url: str, tmp_path: Path) -> None:
    store = Store.open(db_url, terminal_id="pc", backup_dir=tmp_path / "backups")
    store.append_event("marker", None, {"before": "migration"})
    uuid = store.database_uuid
    store.close()
    engine = make_engine(db_url)
    downgrade(engine, "0001")  # an older installation's database, with its data
    engine.dispose()

    store = Store.open(db_url, terminal_id="pc", backup_dir=tmp_path / "backups")
    report = store.migration
    assert report is not None and report.from_revision == "0001" and report.backup is not None
    assert report.backup.exists() and report.backup.parent == tmp_path / "backups"
    if store.dialect == "sqlite":
        with sqlite3.connect(report.backup) as backup:
            assert backup.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
            assert backup.execute("SELECT database_uuid FROM db_meta").fetchone() == (uuid,)
            kinds = [r[0] for r in backup.execute("SELECT kind FROM audit_events ORDER BY seq")]
            assert kinds[-1] == "marker"
    else:
        assert report.backup.read_bytes()[:5] == b"PGDMP"
    with store.engine.connect() as conn:
        last = conn.execute(
            text("SELECT kind, payload FROM audit_events ORDER BY seq DESC")
        ).first()
        version = conn.execute(text("SELECT schema_version FROM db_meta")).scalar_one()
    assert (
        last is not None and last[0] == AuditKind.SCHEMA_MIGRATED and str(report.backup) in last[1]
    )
    assert version == int(head_revision())
    assert store.verify_chain().ok
    store.close()


def test_failed_backup_means_no_migration(db_url: str, tmp_path: Path) -> None:
    store = Store.open(db_url, terminal_id="pc", backup_dir=tmp_path / "backups")
    store.close()
    engine = make_engine(db_url)
    downgrade(engine, "0001")
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the backup folder should be")
    with pytest.raises(BackupError, match="cannot write the backup"):
        migrate(engine, blocker)
    assert current_revision(engine) == "0001"
    engine.dispose()


def test_rows_from_before_row_binding_are_bound_once_at_migration(
    db_url: str, tmp_path: Path
) -> None:
    """A 0002 database's rows (written with no binding) are bound once when it is migrated;
    verify is meaningful from then on, and a marker put back later blesses nothing."""
    store = Store.open(db_url, terminal_id="pc", backup_dir=tmp_path / "backups")
    store.close()
    engine = make_engine(db_url)
    downgrade(engine, "0002")
    with engine.begin() as conn:  # what the 0002 application wrote: rows, no binding
        conn.execute(
            text(
                "INSERT INTO patients (id, chart_number, name, kana, sex, created_at, updated_at)"
                " VALUES (7, '00007', '古い 患者', 'フルイ', 'unknown', :t, :t)"
            ),
            {"t": datetime(2026, 1, 5, tzinfo=UTC)},
        )
    engine.dispose()

    store = Store.open(db_url, terminal_id="pc", backup_dir=tmp_path / "backups")
    with store.engine.connect() as conn:
        bound = conn.execute(
            text("SELECT payload FROM audit_events WHERE kind = :k"), {"k": BOUND_AT_MIGRATION}
        ).scalar_one()
    assert '"reason":"bound at migration' in bound and " patients " in bound
    assert store.verify_chain().ok
    # A forged row plus a marker put back: the marker is ignored (and recorded), the row caught.
    with store.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO patients (id, chart_number, name, kana, sex, created_at, updated_at)"
                " VALUES (8, '00008', '偽 患者', 'ニセ', 'unknown', :t, :t)"
            ),
            {"t": datetime(2026, 1, 5, tzinfo=UTC)},
        )
        conn.execute(text("INSERT INTO row_binding_pending (id) VALUES (1)"))
    store.close()
    store = Store.open(db_url, terminal_id="pc", backup_dir=tmp_path / "backups")
    result = store.verify_chain()
    assert not result.ok and result.problem is not None
    assert result.problem.startswith("patients id 8: row without a binding event")
    with store.engine.connect() as conn:
        kinds = [r[0] for r in conn.execute(text("SELECT kind FROM audit_events ORDER BY seq"))]
    assert kinds.count(BOUND_AT_MIGRATION) == 1 and kinds[-1] == AuditKind.BINDING_MARKER_IGNORED
    store.close()
