"""Least privilege on PostgreSQL: the owner migrates, the reception PCs' runtime role cannot
rewrite the evidence (storage.pg_roles), on a real server started by the tests."""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import ProgrammingError

from policies.dates import JST
from policies.model import Outcome, VerificationPath
from storage.engine import make_engine, password_key, resolve_url
from storage.errors import ConfigError, RetentionRefused, SchemaOutdated
from storage.migrate import current_revision, head_revision, upgrade
from storage.models import VisitKind
from storage.pg_roles import RUNTIME_WRITES, grant_runtime, migrate_as_owner
from storage.records import NewPatient, NewVerification
from storage.secrets import store_db_password
from storage.store import Store
from tests.storage.conftest import run_main
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.postgres


@dataclass(frozen=True)
class Roles:
    server: PostgresServer
    owner: str
    owner_password: str
    app: str
    app_password: str
    database: str

    def url(self, role: str) -> str:
        s = self.server
        return f"postgresql+psycopg://{role}@{s.host}:{s.port}/{self.database}"

    def engine(self, role: str, password: str) -> Engine:
        return create_engine(resolve_url(self.url(role)).set(password=password))


@pytest.fixture
def roles(postgres_server: PostgresServer) -> Roles:
    """The README's administrator steps on a fresh database (role names unique per test)."""
    tag = secrets.token_hex(4)
    r = Roles(
        postgres_server,
        f"madoguchi_owner_{tag}",
        secrets.token_urlsafe(12),
        f"madoguchi_app_{tag}",
        secrets.token_urlsafe(12),
        f"madoguchi_{tag}",
    )
    postgres_server.psql(
        f"CREATE ROLE {r.owner} LOGIN PASSWORD '{r.owner_password}';"
        f"CREATE ROLE {r.app} LOGIN PASSWORD '{r.app_password}';"
    )
    postgres_server.psql(
        f"CREATE DATABASE {r.database} OWNER {r.owner} TEMPLATE template0 ENCODING 'UTF8'"
    )
    postgres_server.psql(
        f"ALTER SCHEMA public OWNER TO {r.owner}; REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        database=r.database,
    )
    store_db_password(password_key(resolve_url(r.url(r.app))), r.app_password)
    return r


@pytest.fixture
def runtime_store(roles: Roles, tmp_path: Path) -> Iterator[Store]:
    """Migrated and granted by the owner, opened (and initialised) by the runtime role."""
    migrate_as_owner(roles.url(roles.app), roles.url(roles.owner), roles.owner_password, tmp_path)
    store = Store.open(roles.url(roles.app), terminal_id="受付1", backup_dir=tmp_path)
    yield store
    store.close()


def test_runtime_role_runs_the_desk_and_owns_nothing(runtime_store: Store, tmp_path: Path) -> None:
    store = runtime_store
    admin = store.create_first_admin("admin", "管理者", "admin-pass-1")
    patient = store.create_patient(
        admin, NewPatient("C001", "山田 太郎", "ヤマダ タロウ", date(1950, 4, 1))
    )
    store.update_patient(admin, patient.id, kana="ヤマダ タロー")
    visit = store.open_visit(admin, patient.id, VisitKind.OUTPATIENT)
    result = store.save_terminal_result(
        None,
        raw_xml=b"<XmlMsg/>",
        file_name="r.xml",
        arbitrary_file_identifier="REQ-1",
        summary={},
        simulated=True,
    )
    store.record_verification(
        admin,
        NewVerification(
            visit.id,
            VerificationPath.MYNA_FACE_READER,
            Outcome.CONFIRMED,
            datetime.now(JST) - timedelta(seconds=5),
            terminal_result_id=result.id,
        ),
    )
    store.set_retention_years(admin, 6)
    assert store.backup(tmp_path / "madoguchi.dump").size > 0  # pg_dump reads every table
    assert store.authenticate("admin", "admin-pass-1") is not None
    verified = store.verify_chain()
    assert verified.ok, verified.problem
    assert verified.checked >= 6
    with store.engine.connect() as conn:
        owned = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_class WHERE relowner = "
            "(SELECT oid FROM pg_roles WHERE rolname = current_user)"
        ).scalar()
    assert owned == 0


ATTACKS = [
    "ALTER TABLE audit_events DISABLE TRIGGER USER",
    "ALTER TABLE audit_head DISABLE TRIGGER ALL",
    "UPDATE audit_events SET kind = 'x' WHERE seq = 1",
    "DELETE FROM audit_events WHERE seq = 1",
    "TRUNCATE audit_events",
    "DELETE FROM audit_head",
    "UPDATE audit_head SET id = 2",
    "INSERT INTO audit_purge_permits (up_to_seq) VALUES (999)",
    "UPDATE audit_purge_permits SET up_to_seq = 999",
    "DELETE FROM audit_purge_permits",
    "INSERT INTO audit_checkpoints (up_to_seq, up_to_hash, up_to_time, created_at, mac) "
    "VALUES (1, '\\x00', now(), now(), '\\x00')",
    "DELETE FROM audit_checkpoints",
    "UPDATE visits SET kind = 'online'",
    "DELETE FROM visits",
    "UPDATE verification_attempts SET path = 'documents'",
    "UPDATE terminal_results SET raw_xml = '\\x00'",
    "DELETE FROM patients",
    "UPDATE db_meta SET key_check = 'x'",
    "CREATE TABLE forged (id int)",
    "CREATE TEMP TABLE forged (id int)",
    "CREATE FUNCTION forged() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "DROP TABLE audit_events",
    "DROP FUNCTION madoguchi_audit_append_only() CASCADE",
    "ALTER TABLE audit_events OWNER TO CURRENT_USER",
    "SET ROLE {owner}",
    "SELECT nextval('audit_purge_permits_id_seq')",
]


@pytest.mark.parametrize("statement", ATTACKS)
def test_runtime_role_cannot_rewrite_the_evidence(
    runtime_store: Store, roles: Roles, statement: str
) -> None:
    engine = roles.engine(roles.app, roles.app_password)
    try:
        with pytest.raises(ProgrammingError) as caught, engine.begin() as conn:
            conn.exec_driver_sql(statement.format(owner=roles.owner))
        assert isinstance(caught.value.orig, psycopg.errors.InsufficientPrivilege), caught.value
    finally:
        engine.dispose()
    assert runtime_store.verify_chain().ok


def test_retention_purge_runs_as_the_owner_only(
    runtime_store: Store, roles: Roles, tmp_path: Path
) -> None:
    admin = runtime_store.create_first_admin("admin", "管理者", "admin-pass-1")
    later = datetime.now(JST) + timedelta(days=366 * 7)
    with pytest.raises(RetentionRefused, match="only the owner role"):
        runtime_store.purge_expired(admin, now=later)
    owner = make_engine(roles.url(roles.owner), password=roles.owner_password)
    with Store.open(terminal_id="管理PC", backup_dir=tmp_path, engine=owner) as owner_store:
        purged = owner_store.purge_expired(admin, now=later)
    assert purged.deleted > 0
    result = runtime_store.verify_chain()
    assert result.ok, result.problem
    assert result.anchor_seq == purged.anchor_seq


def test_every_table_is_classified(runtime_store: Store) -> None:
    with runtime_store.engine.connect() as conn:
        tables = set(
            conn.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            ).scalars()
        )
    assert tables == set(RUNTIME_WRITES)


def test_runtime_role_does_not_migrate_and_names_the_fix(roles: Roles, tmp_path: Path) -> None:
    owner = make_engine(roles.url(roles.owner), password=roles.owner_password)
    try:
        upgrade(owner, "0002")
        with owner.begin() as conn:
            grant_runtime(conn, roles.app)
        with pytest.raises(
            SchemaOutdated, match=r"ask the administrator to run `main\.py db migrate"
        ):
            Store.open(roles.url(roles.app), terminal_id="受付1", backup_dir=tmp_path)
        assert current_revision(owner) == "0002"
        proc = run_main("audit", "verify", "--db", roles.url(roles.app))
        assert proc.returncode == 2
        assert proc.stderr.startswith("error: ") and "ask the administrator" in proc.stderr
        assert current_revision(owner) == "0002"
    finally:
        owner.dispose()


def test_owner_url_must_be_another_role_on_the_same_database(roles: Roles, tmp_path: Path) -> None:
    app, owner = roles.url(roles.app), roles.url(roles.owner)
    with pytest.raises(ConfigError, match="not the database"):
        migrate_as_owner(app, owner.replace(roles.database, "postgres"), "x", tmp_path)
    with pytest.raises(ConfigError, match="must be a plain login role"):
        migrate_as_owner(owner, owner, roles.owner_password, tmp_path)
    with pytest.raises(ConfigError, match="SQLite has no roles"):
        migrate_as_owner(str(tmp_path / "db.sqlite3"), owner, "x", tmp_path)


def db_migrate(roles: Roles, *args: str) -> subprocess.CompletedProcess[str]:
    """``main.py db migrate --db RUNTIME_URL ARGS`` with the owner's password on stdin."""
    url = roles.url(roles.app)
    return run_main("db", "migrate", "--db", url, *args, stdin=roles.owner_password + "\n")


def test_db_migrate_owner_url_on_the_command_line(roles: Roles, tmp_path: Path) -> None:
    """The owner's password comes from the prompt (stdin here), never argv or the keyring;
    without --owner-url the runtime role is refused in one line."""
    refused = db_migrate(roles)
    assert refused.returncode == 2
    assert "runtime role" in refused.stderr and "--owner-url" in refused.stderr
    assert "Traceback" not in refused.stderr
    proc = db_migrate(roles, "--owner-url", roles.url(roles.owner), "--backup-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert f"-> {head_revision()}" in proc.stdout
    assert roles.owner_password not in Path(os.environ["MADOGUCHI_TEST_KEYRING_FILE"]).read_text()
    with Store.open(roles.url(roles.app), terminal_id="受付1", create=False) as store:
        assert store.verify_chain().ok
