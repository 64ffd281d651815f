"""Schema migrations (Alembic, configured in code) and the backup that always precedes them.

On PostgreSQL only a role that may create objects in the schema (the owner) migrates; a reception
PC connected as the runtime role (storage.pg_roles) checks the version and stops if it differs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from storage.backup import backup_database
from storage.engine import WRITE_LOCK, shown
from storage.errors import SchemaOutdated

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


@dataclass(frozen=True, slots=True)
class MigrationReport:
    from_revision: str | None
    to_revision: str
    #: Where the pre-migration backup went (None: nothing to back up, or already current).
    backup: Path | None


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def schema_version(revision: str) -> int:
    """The integer kept in db_meta.schema_version for an Alembic revision id ("0002" → 2)."""
    return int(revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_empty(engine: Engine) -> bool:
    return not inspect(engine).get_table_names()


#: pg_advisory_xact_lock key for schema changes and a new database's identity ("MDGC" in ASCII).
PG_SCHEMA_LOCK = 0x4D444743


def _run(engine: Engine, action: Callable[[Config], None]) -> None:
    """Run an Alembic command in ONE transaction holding the database's lock, so terminals that
    start together migrate one after the other (the later one finds the schema current)."""
    cfg = _config()
    with engine.connect() as conn:
        conn.execution_options(**{WRITE_LOCK: True})
        conn.begin()
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_SCHEMA_LOCK})
        cfg.attributes["connection"] = conn
        action(cfg)
        conn.commit()


def upgrade(engine: Engine, revision: str = "head") -> None:
    _run(engine, lambda cfg: command.upgrade(cfg, revision))


def downgrade(engine: Engine, revision: str) -> None:
    _run(engine, lambda cfg: command.downgrade(cfg, revision))


def migrate(engine: Engine, backup_dir: Path) -> MigrationReport:
    """Bring the schema to head; an existing database is backed up to ``backup_dir`` first.

    A database with no tables is created from scratch (nothing to lose, so no backup). If the
    backup fails, nothing is migrated.
    """
    target = head_revision()
    before = current_revision(engine)
    if before == target:
        return MigrationReport(before, target, None)
    backup_path = None
    if not is_empty(engine):
        backup_path = backup_database(engine, backup_dir, label=f"pre-migrate-{before or 'none'}")
    upgrade(engine)
    return MigrationReport(before, target, backup_path)


def is_owner(engine: Engine) -> bool:
    """Whether this connection may change the schema: SQLite always; PostgreSQL only the owner
    role (one that may create in the schema), never the runtime role of storage.pg_roles."""
    if engine.dialect.name != "postgresql":
        return True
    with engine.connect() as conn:
        return bool(
            conn.execute(text("SELECT has_schema_privilege(current_schema(), 'CREATE')")).scalar()
        )


def migrate_or_check(engine: Engine, backup_dir: Path) -> MigrationReport:
    """What a start does: :func:`migrate` if this connection may, else SchemaOutdated unless the
    schema is already this version's."""
    if is_owner(engine):
        return migrate(engine, backup_dir)
    target, current = head_revision(), current_revision(engine)
    if current != target:
        raise SchemaOutdated(
            f"{shown(engine.url)} has schema {current or 'none'}, this version needs {target}: "
            "ask the administrator to run `main.py db migrate --owner-url URL`"
        )
    return MigrationReport(current, target, None)
