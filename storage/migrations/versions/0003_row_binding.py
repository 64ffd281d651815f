"""Rows bound to the chain (storage.binding): rows written before this revision get bound once.

Binding needs the chain key, which lives in the OS keyring and not in the migration, so this
revision leaves a one-row marker in an existing database and ``Store.open`` binds, right after
migrating, every row that has no binding yet in events of kind ``rows_bound_at_migration``
(the payload says "bound at migration"), deleting the marker in the same transaction. A crash
in between leaves the marker for the next start. The marker cannot be used to bless forged
rows later: once the chain holds a migration binding, a marker is ignored (and recorded).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "row_binding_pending",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.CheckConstraint("id = 1", name="single_row"),
    )
    existing = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM db_meta")).scalar()
    if existing:
        op.execute("INSERT INTO row_binding_pending (id) VALUES (1)")
    op.execute("UPDATE db_meta SET schema_version = 3")


def downgrade() -> None:
    op.drop_table("row_binding_pending")
    op.execute("UPDATE db_meta SET schema_version = 2")
