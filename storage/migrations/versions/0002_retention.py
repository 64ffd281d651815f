"""Retention: signed checkpoints and the one, explicit exception to append-only (purge permits).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQLITE_UP = [
    "DROP TRIGGER audit_events_no_delete",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    WHEN NOT EXISTS (SELECT 1 FROM audit_purge_permits p WHERE OLD.seq <= p.up_to_seq)
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only (retention purge excepted)'); END""",
    """CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
    BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END""",
    """CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
    BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER audit_checkpoints_no_update",
    "DROP TRIGGER audit_checkpoints_no_delete",
    "DROP TRIGGER audit_events_no_delete",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
]

POSTGRES_UP = [
    """CREATE OR REPLACE FUNCTION madoguchi_audit_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_events' AND EXISTS (
           SELECT 1 FROM audit_purge_permits p WHERE OLD.seq <= p.up_to_seq) THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP;
    END $$""",
    """CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION madoguchi_audit_append_only()""",
    """CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION madoguchi_audit_append_only()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER audit_checkpoints_append_only ON audit_checkpoints",
    "DROP TRIGGER audit_checkpoints_no_truncate ON audit_checkpoints",
    """CREATE OR REPLACE FUNCTION madoguchi_audit_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP;
    END $$""",
]


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("up_to_seq", sa.BigInteger, nullable=False),
        sa.Column("up_to_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("up_to_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mac", sa.LargeBinary(32), nullable=False),
        sa.UniqueConstraint("up_to_seq"),
    )
    op.create_table(
        "audit_purge_permits",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("up_to_seq", sa.BigInteger, nullable=False),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_UP if sqlite else POSTGRES_UP:
        op.execute(statement)
    op.execute("UPDATE db_meta SET schema_version = 2")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_DOWN if sqlite else POSTGRES_DOWN:
        op.execute(statement)
    op.drop_table("audit_purge_permits")
    op.drop_table("audit_checkpoints")
    op.execute("UPDATE db_meta SET schema_version = 1")
