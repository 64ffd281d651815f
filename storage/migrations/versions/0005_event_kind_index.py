"""An index on the events' kind: a login reads the account's latest lock event from the chain
(``storage.login_locks``), and ``Store.events`` reads the kept 一括照会 numbers; without it each
scanned every event, which grows with the chain (a login on a 1M-event chain scanned 1M rows).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_events_kind", "audit_events", ["kind", "seq"])
    op.execute("UPDATE db_meta SET schema_version = 5")


def downgrade() -> None:
    op.drop_index("ix_audit_events_kind", table_name="audit_events")
    op.execute("UPDATE db_meta SET schema_version = 4")
