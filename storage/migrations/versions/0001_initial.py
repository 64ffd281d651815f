"""Initial schema: identity, settings, staff, patients, visits, terminal results, verifications,
the audit chain and its append-only/linking triggers.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
ENUM = sa.String(64)
HASH = sa.LargeBinary(32)

SQLITE_TRIGGERS = [
    """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
    """CREATE TRIGGER audit_events_link BEFORE INSERT ON audit_events
    WHEN NOT (
      (NEW.seq = 1 AND NEW.prev_hash = zeroblob(32) AND NOT EXISTS (SELECT 1 FROM audit_events))
      OR EXISTS (SELECT 1 FROM audit_events e
                 WHERE e.seq = NEW.seq - 1 AND e.hash = NEW.prev_hash
                   AND e.seq = (SELECT MAX(seq) FROM audit_events))
    )
    BEGIN SELECT RAISE(ABORT, 'audit chain: a new event must extend the current head'); END""",
]

POSTGRES_TRIGGERS = [
    """CREATE FUNCTION madoguchi_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP;
    END $$""",
    """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION madoguchi_audit_append_only()""",
    """CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION madoguchi_audit_append_only()""",
    """CREATE FUNCTION madoguchi_audit_link() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE last_seq bigint; last_hash bytea;
    BEGIN
      SELECT seq, hash INTO last_seq, last_hash FROM audit_events ORDER BY seq DESC LIMIT 1;
      IF last_seq IS NULL THEN
        IF NEW.seq = 1 AND NEW.prev_hash = decode(repeat('00', 32), 'hex') THEN RETURN NEW; END IF;
      ELSIF NEW.seq = last_seq + 1 AND NEW.prev_hash = last_hash THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'audit chain: a new event must extend the current head (new %, head %)',
        NEW.seq, last_seq;
    END $$""",
    """CREATE TRIGGER audit_events_link BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION madoguchi_audit_link()""",
]


def upgrade() -> None:
    op.create_table(
        "db_meta",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("database_uuid", sa.String(36), nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("key_check", sa.String(64), nullable=False),
        sa.CheckConstraint("id = 1", name="single_row"),
        sa.UniqueConstraint("database_uuid"),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(64)),
    )
    op.create_table(
        "facility_profile",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("oqs_mode", ENUM, nullable=False),
        sa.Column("flows", sa.JSON, nullable=False),
        sa.Column("medical_institution_code", sa.String(10), nullable=False),
        sa.Column("prefecture_code", sa.String(2), nullable=False),
        sa.Column("municipality_code", sa.String(6), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint("id = 1", name="single_row"),
    )
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("role", ENUM, nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("must_change_password", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("chart_number", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kana", sa.String(200), nullable=False),
        sa.Column("birth_date", sa.Date),
        sa.Column("sex", ENUM, nullable=False),
        sa.Column("insurer_number", sa.String(8)),
        sa.Column("insured_symbol", sa.String(64)),
        sa.Column("insured_number", sa.String(64)),
        sa.Column("insured_branch", sa.String(2)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("chart_number"),
    )
    op.create_index("ix_patients_name", "patients", ["name"])
    op.create_index("ix_patients_kana", "patients", ["kana"])
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id"), nullable=False),
        sa.Column("local_date", sa.Date, nullable=False),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("terminal_id", sa.String(128), nullable=False),
        sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("opened_at", TS, nullable=False),
    )
    op.create_index("ix_visits_local_date", "visits", ["local_date", "id"])
    op.create_index("ix_visits_patient_date", "visits", ["patient_id", "local_date"])
    op.create_table(
        "terminal_results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("arbitrary_file_identifier", sa.String(128)),
        sa.Column("raw_xml", sa.LargeBinary, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("simulated", sa.Boolean, nullable=False),
        sa.Column("terminal_id", sa.String(128), nullable=False),
        sa.Column("received_at", TS, nullable=False),
    )
    op.create_index("ix_terminal_results_received_at", "terminal_results", ["received_at"])
    op.create_index(
        "ix_terminal_results_arbitrary_file_identifier",
        "terminal_results",
        ["arbitrary_file_identifier"],
    )
    op.create_table(
        "verification_attempts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("visit_id", sa.Integer, sa.ForeignKey("visits.id"), nullable=False),
        sa.Column("path", ENUM, nullable=False),
        sa.Column("failure_reason", ENUM),
        sa.Column("outcome", ENUM, nullable=False),
        sa.Column("documents", sa.JSON, nullable=False),
        sa.Column("rule_ids", sa.JSON, nullable=False),
        sa.Column("terminal_result_id", sa.Integer, sa.ForeignKey("terminal_results.id")),
        sa.Column("simulated", sa.Boolean, nullable=False),
        sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("terminal_id", sa.String(128), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=False),
        sa.Column("note", sa.Text),
    )
    op.create_index("ix_verification_attempts_visit", "verification_attempts", ["visit_id", "id"])
    op.create_index(
        "ix_verification_attempts_finished_at", "verification_attempts", ["finished_at", "id"]
    )
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(128)),
        sa.Column("terminal_id", sa.String(128)),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("prev_hash", HASH, nullable=False),
        sa.Column("hash", HASH, nullable=False),
        sa.Column("mac", HASH, nullable=False),
        sa.UniqueConstraint("prev_hash"),
    )
    op.create_index("ix_audit_events_time", "audit_events", ["occurred_at", "seq"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", HASH, nullable=False),
        sa.Column("occurred_at", TS),
        sa.Column("mac", HASH, nullable=False),
        sa.CheckConstraint("id = 1", name="single_row"),
    )
    triggers = SQLITE_TRIGGERS if op.get_bind().dialect.name == "sqlite" else POSTGRES_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE audit_events CASCADE")
        op.execute("DROP FUNCTION madoguchi_audit_link()")
        op.execute("DROP FUNCTION madoguchi_audit_append_only()")
    else:
        op.drop_table("audit_events")
    for table in (
        "audit_head",
        "verification_attempts",
        "terminal_results",
        "visits",
        "patients",
        "staff",
        "facility_profile",
        "settings",
        "db_meta",
    ):
        op.drop_table(table)
