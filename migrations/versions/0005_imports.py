"""Imports that can be resumed and undone: an `imports` row per run, and `import_id` on the
residents and referrals it created.

Revision ID: 0005_imports
Revises: 0004_caseload_indexes
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_imports"
down_revision = "0004_caseload_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(36), nullable=True),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("encoding", sa.String(20), nullable=False),
        sa.Column("valid_only", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("residents", sa.Integer(), nullable=False),
        sa.Column("referrals", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imports")),
    )
    op.create_index(op.f("ix_imports_status"), "imports", ["status"], unique=False)
    # Plain ADD COLUMN (no table rebuild): existing rows were not imported by a run.
    op.add_column("residents", sa.Column("import_id", sa.String(36), nullable=True))
    op.create_index(op.f("ix_residents_import_id"), "residents", ["import_id"], unique=False)
    op.add_column("referrals", sa.Column("import_id", sa.String(36), nullable=True))
    op.create_index(op.f("ix_referrals_import_id"), "referrals", ["import_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_referrals_import_id"), table_name="referrals")
    with op.batch_alter_table("referrals") as b:
        b.drop_column("import_id")
    op.drop_index(op.f("ix_residents_import_id"), table_name="residents")
    with op.batch_alter_table("residents") as b:
        b.drop_column("import_id")
    op.drop_index(op.f("ix_imports_status"), table_name="imports")
    op.drop_table("imports")
