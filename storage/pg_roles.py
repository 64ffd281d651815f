"""Least privilege on PostgreSQL: an owner migrates, the reception PCs connect as a runtime role.

The password kept in every reception PC's keyring must not be enough to rewrite the evidence.
Whoever owns a table may ``ALTER TABLE … DISABLE TRIGGER``, drop it or grant themselves anything,
so the reception PCs connect as a *runtime role* that owns nothing and has no DDL; the *owner*
role owns the database and every table, runs the migrations, and its password stays with the
administrator: ``main.py db migrate --owner-url URL`` asks for it at the prompt and never stores
it. The runtime role is the user of the configured ``[database] url``.

After every migration, in the owner's connection, :func:`grant_runtime` re-states the runtime
role's privileges from :data:`RUNTIME_WRITES` (everything else is revoked), so a table a later
migration adds is denied until it is listed here — a deny-by-default list, not default privileges
that would hand every future table to the reception PCs. The runtime role may:

* SELECT every table and sequence (the store reads them; ``backup`` runs ``pg_dump``), and draw
  ids (sequence USAGE) only for the tables it inserts into;
* INSERT and UPDATE what the desk edits (staff, settings, facility profile, patients);
* only INSERT write-once evidence: visits, verification attempts, terminal results, audit events;
* INSERT the single ``db_meta`` and ``audit_head`` rows of a new database (CHECK id = 1), and
  UPDATE only the head's position columns: the chain advances the head in every append (and
  ``SELECT … FOR UPDATE`` on it orders writers, which PostgreSQL allows only with UPDATE). That is
  the smallest grant that keeps appends a plain statement; the database guard on ``audit_head``
  (it may only move to the newest event, never be deleted) decides which updates pass;
* DELETE only the ``row_binding_pending`` marker, which the first start after migration 0003
  removes once it has bound the older rows, and the ``login_guard`` counters a login clears.

It never has DELETE on the audit tables nor any privilege on the purge permits beyond reading
them: the retention purge is an administrator's operation run as the owner. The runtime role may
not be a superuser nor create roles or databases (checked); the database's CONNECT and TEMP
privileges and CREATE on the schema are revoked from PUBLIC.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.engine import URL

from storage.engine import make_engine, resolve_url, shown
from storage.errors import ConfigError
from storage.migrate import MigrationReport, migrate

#: What the runtime role may write, per table, beyond SELECT (see the module docstring).
RUNTIME_WRITES: dict[str, str] = {
    "alembic_version": "",
    "db_meta": "INSERT",
    "settings": "INSERT, UPDATE",
    "facility_profile": "INSERT, UPDATE",
    "staff": "INSERT, UPDATE",
    "patients": "INSERT, UPDATE",
    "visits": "INSERT",
    "terminal_results": "INSERT",
    "verification_attempts": "INSERT",
    "audit_events": "INSERT",
    "audit_head": "INSERT, UPDATE (seq, hash, occurred_at, mac)",
    "audit_checkpoints": "",
    "audit_purge_permits": "",
    "row_binding_pending": "DELETE",
    # Failed-login counters: a success or an unlock clears them (every change is an audited
    # login event, so a counter reset behind the app's back still leaves the failures on record).
    "login_guard": "INSERT, UPDATE, DELETE",
}


#: Each sequence of the schema with the table whose column owns it (serial ids).
_SEQUENCES_SQL = """
SELECT s.relname, t.relname FROM pg_class s
JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
JOIN pg_class t ON t.oid = d.refobjid
WHERE s.relkind = 'S' AND s.relnamespace = current_schema()::regnamespace
"""


def grant_runtime(conn: Connection, role: str) -> None:
    """As the owner: give ``role`` exactly its runtime privileges on this database's schema.

    ConfigError if the role is the owner itself, a superuser, may create objects in the schema,
    or a table has no entry in RUNTIME_WRITES (a new table must be classified first)."""
    q = conn.dialect.identifier_preparer.quote
    owner, schema, database = conn.execute(
        text("SELECT current_user, current_schema(), current_database()")
    ).one()
    flags = conn.execute(
        text("SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = :r"),
        {"r": role},
    ).first()
    if flags is None:
        raise ConfigError(f"the runtime role {role!r} does not exist: create it first (README)")
    if role == owner or any(flags):
        raise ConfigError(
            f"the runtime role {role!r} must be a plain login role that owns nothing, "
            f"not the owner {owner!r}, a superuser or a role that creates roles or databases"
        )
    tables = set(
        conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ).scalars()
    )
    unlisted = sorted(tables - RUNTIME_WRITES.keys())
    if unlisted:
        raise ConfigError(f"no runtime privileges defined for {', '.join(unlisted)}")
    r, s, db = q(role), q(schema), q(database)
    statements = [
        f"REVOKE ALL ON DATABASE {db} FROM PUBLIC",
        f"GRANT CONNECT ON DATABASE {db} TO {r}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM PUBLIC, {r}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM PUBLIC, {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} REVOKE ALL ON TABLES FROM PUBLIC, {r}",
        f"REVOKE CREATE ON SCHEMA {s} FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"GRANT SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
    ]
    statements += [
        f"GRANT {writes} ON {q(table)} TO {r}"
        for table, writes in sorted(RUNTIME_WRITES.items())
        if writes and table in tables
    ]
    statements += [
        f"GRANT USAGE ON SEQUENCE {q(sequence)} TO {r}"
        for sequence, table in conn.execute(text(_SEQUENCES_SQL))
        if "INSERT" in RUNTIME_WRITES[table]
    ]
    for statement in statements:
        conn.exec_driver_sql(statement)
    creates = conn.execute(
        text("SELECT has_schema_privilege(:r, current_schema(), 'CREATE')"), {"r": role}
    ).scalar()
    if creates:
        raise ConfigError(
            f"the runtime role {role!r} may create objects in schema {schema!r}: as the server "
            f"administrator run `ALTER SCHEMA {schema} OWNER TO {owner}` in the database (README)"
        )


def migrate_as_owner(
    runtime_url: str | URL | None, owner_url: str | URL, owner_password: str, backup_dir: Path
) -> MigrationReport:
    """``db migrate --owner-url``: migrate as the owner (backing up first), then re-grant the
    runtime role (the configured URL's user) its privileges, in one owner session.

    The owner URL must name the same server and database as the configured one."""
    runtime, owner = resolve_url(runtime_url), resolve_url(owner_url)
    if runtime.get_backend_name() != "postgresql" or owner.get_backend_name() != "postgresql":
        raise ConfigError("--owner-url is for PostgreSQL: SQLite has no roles")
    place = (runtime.host, runtime.port, runtime.database)
    if (owner.host, owner.port, owner.database) != place:
        raise ConfigError(f"--owner-url {shown(owner)} is not the database {shown(runtime)}")
    engine = make_engine(owner, password=owner_password, create=True)
    try:
        report = migrate(engine, backup_dir)
        with engine.begin() as conn:
            grant_runtime(conn, runtime.username or "")
    finally:
        engine.dispose()
    return report
