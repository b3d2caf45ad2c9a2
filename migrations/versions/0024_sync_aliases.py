"""Sync bookkeeping for one-per-stay clashes (issue 17): `sync_aliases`. When two laptops each start
the care plan (or the risk assessment) of one stay offline, the later row in hub order becomes an
alias of the earlier: every later op that names it is applied to the earlier one. Not Tracked: it
never moves as an op (every laptop derives the same rows from the same ops).

Revises: 0023_document_delivery
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024_sync_aliases"
down_revision = "0023_document_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_aliases",
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("alias_id", sa.String(36), nullable=False),
        sa.Column("target_id", sa.String(36), nullable=False),
        sa.Column("op_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("entity_type", "alias_id", name=op.f("pk_sync_aliases")),
    )
    op.create_index("ix_sync_aliases_target", "sync_aliases", ["entity_type", "target_id"], unique=False)


def downgrade() -> None:
    op.drop_table("sync_aliases")
