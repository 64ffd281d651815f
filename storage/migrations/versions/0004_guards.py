"""Guards: login throttling state; the chain head and purge permits checked by the database.

* ``login_guard``: consecutive failed logins per account and per PC (delay, lock).
* ``audit_head`` may only move forward to the newest event, with that event's hash, and is never
  deleted: an older signed head row copied back is refused.
* Deleting events needs a purge permit AND a signed checkpoint at the permit's seq (written by the
  purge just before; a forged checkpoint fails verification), and a permit can only be issued for
  such a checkpoint below the newest event: a forged permit alone cannot cut the tail.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_PERMIT_OK = """EXISTS (SELECT 1 FROM audit_purge_permits p
                JOIN audit_checkpoints c ON c.up_to_seq = p.up_to_seq
                WHERE OLD.seq <= p.up_to_seq)"""

SQLITE_UP = [
    "DROP TRIGGER audit_events_no_delete",
    f"""CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    WHEN NOT {_PERMIT_OK}
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only (retention purge excepted)'); END""",
    """CREATE TRIGGER audit_purge_permits_checkpointed BEFORE INSERT ON audit_purge_permits
    WHEN NOT EXISTS (SELECT 1 FROM audit_checkpoints c WHERE c.up_to_seq = NEW.up_to_seq)
      OR NEW.up_to_seq >= (SELECT MAX(seq) FROM audit_events)
    BEGIN SELECT RAISE(ABORT, 'a purge permit needs its checkpoint and keeps the newest event');
    END""",
    """CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head
    WHEN NOT (NEW.seq >= OLD.seq AND NEW.id = OLD.id
              AND NEW.seq = (SELECT MAX(seq) FROM audit_events)
              AND NEW.hash = (SELECT hash FROM audit_events WHERE seq = NEW.seq))
    BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward to the newest event'); END""",
    """CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
    BEGIN SELECT RAISE(ABORT, 'audit_head cannot be deleted'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER audit_head_no_delete",
    "DROP TRIGGER audit_head_forward",
    "DROP TRIGGER audit_purge_permits_checkpointed",
    "DROP TRIGGER audit_events_no_delete",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    WHEN NOT EXISTS (SELECT 1 FROM audit_purge_permits p WHERE OLD.seq <= p.up_to_seq)
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only (retention purge excepted)'); END""",
]

POSTGRES_UP = [
    f"""CREATE OR REPLACE FUNCTION madoguchi_audit_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_events' AND {_PERMIT_OK} THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP;
    END $$""",
    """CREATE FUNCTION madoguchi_audit_permit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM audit_checkpoints c WHERE c.up_to_seq = NEW.up_to_seq)
         AND NEW.up_to_seq < (SELECT MAX(seq) FROM audit_events) THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'a purge permit needs its checkpoint and keeps the newest event';
    END $$""",
    """CREATE TRIGGER audit_purge_permits_checkpointed BEFORE INSERT ON audit_purge_permits
    FOR EACH ROW EXECUTE FUNCTION madoguchi_audit_permit()""",
    """CREATE FUNCTION madoguchi_audit_head() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE last_seq bigint; last_hash bytea;
    BEGIN
      IF TG_OP = 'UPDATE' THEN
        SELECT seq, hash INTO last_seq, last_hash FROM audit_events ORDER BY seq DESC LIMIT 1;
        IF NEW.id = OLD.id AND NEW.seq >= OLD.seq AND NEW.seq = last_seq
           AND NEW.hash = last_hash THEN
          RETURN NEW;
        END IF;
      END IF;
      RAISE EXCEPTION 'audit_head only moves forward to the newest event (% refused)', TG_OP;
    END $$""",
    """CREATE TRIGGER audit_head_forward BEFORE UPDATE OR DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION madoguchi_audit_head()""",
    """CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION madoguchi_audit_head()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER audit_head_no_truncate ON audit_head",
    "DROP TRIGGER audit_head_forward ON audit_head",
    "DROP FUNCTION madoguchi_audit_head()",
    "DROP TRIGGER audit_purge_permits_checkpointed ON audit_purge_permits",
    "DROP FUNCTION madoguchi_audit_permit()",
    """CREATE OR REPLACE FUNCTION madoguchi_audit_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_events' AND EXISTS (
           SELECT 1 FROM audit_purge_permits p WHERE OLD.seq <= p.up_to_seq) THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP;
    END $$""",
]


def upgrade() -> None:
    op.create_table(
        "login_guard",
        sa.Column("scope", sa.String(200), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked", sa.Boolean, nullable=False),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_UP if sqlite else POSTGRES_UP:
        op.execute(statement)
    op.execute("UPDATE db_meta SET schema_version = 4")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_DOWN if sqlite else POSTGRES_DOWN:
        op.execute(statement)
    op.drop_table("login_guard")
    op.execute("UPDATE db_meta SET schema_version = 3")
