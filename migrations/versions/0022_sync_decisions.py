"""Synced decisions about sync conflicts (issue 17): `sync_decisions`, a Tracked table, so "not the
same person" made on one laptop closes the probable-duplicate conflict on every laptop.

Revises: 0021_sync
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_sync_decisions"
down_revision = "0021_sync"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_decisions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(36), nullable=True),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("conflict_id", sa.String(36), nullable=False),
        sa.Column("resident_a", sa.String(36), nullable=False),
        sa.Column("resident_b", sa.String(36), nullable=False),
        sa.ForeignKeyConstraint(["resident_a"], ["residents.id"], name=op.f("fk_sync_decisions_resident_a_residents")),
        sa.ForeignKeyConstraint(["resident_b"], ["residents.id"], name=op.f("fk_sync_decisions_resident_b_residents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_decisions")),
    )
    op.create_index("ix_sync_decisions_pair", "sync_decisions", ["resident_a", "resident_b"], unique=False)


def downgrade() -> None:
    op.drop_table("sync_decisions")
