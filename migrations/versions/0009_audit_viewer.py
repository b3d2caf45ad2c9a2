"""The audit viewer filters the trail by person and by date, newest first: an index on each, so a
unit with hundreds of thousands of entries answers a page without reading the whole table.
(SQLite keys each index entry by the row's seq, so both serve "newest first" too.)

Revision ID: 0009_audit_viewer
Revises: 0008_medication_dose
Create Date: 2026-12-02
"""
from __future__ import annotations

from alembic import op

revision = "0009_audit_viewer"
down_revision = "0008_medication_dose"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Indexes only: the table and its no-update/no-delete triggers are untouched.
    op.create_index("ix_audit_log_actor_id", "audit_log", ["actor_id"])
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_at", "audit_log")
    op.drop_index("ix_audit_log_actor_id", "audit_log")
