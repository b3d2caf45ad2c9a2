"""Sync, the laptop side (issue 17, docs/SYNC.md): the op-log and its bookkeeping (sync_ops,
sync_state, sync_heads, sync_conflicts, sync_quarantine); care plan and risk assessment versions
may fork, so UNIQUE (parent, number) becomes a plain index; residents get an index on their date
of birth, for the probable-duplicate check when a resident arrives from another laptop.

The two version tables are rebuilt (SQLite cannot drop a constraint in place). keyworker.db.migrate
runs every migration with foreign keys off and checks them all before the commit, so the rows
that point at versions (reviews, parents) are kept as they are.

Revises: 0020_admissions_open_covering
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_sync"
down_revision = "0020_admissions_open_covering"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_ops",
        sa.Column("op_id", sa.String(36), nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("device_seq", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("base_seq", sa.Integer(), nullable=True),
        sa.Column("key_epoch", sa.Integer(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("unit_seq", sa.Integer(), nullable=True),
        sa.Column("acknowledged", sa.Boolean(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("op_id", name=op.f("pk_sync_ops")),
        sa.UniqueConstraint("device_id", "device_seq", name=op.f("uq_sync_ops_device_id")),
    )
    op.create_index("ix_sync_ops_entity", "sync_ops", ["entity_type", "entity_id"], unique=False)
    op.create_index("ix_sync_ops_open", "sync_ops", ["device_id", "device_seq"], unique=False,
                    sqlite_where=sa.text("acknowledged = 0"))
    op.create_table(
        "sync_state",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sync_state")),
    )
    op.create_table(
        "sync_heads",
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(36), nullable=False),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("unit_seq", sa.Integer(), nullable=False),
        sa.Column("op_id", sa.String(36), nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("actor_id", sa.String(36), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("entity_type", "entity_id", "field", name=op.f("pk_sync_heads")),
    )
    op.create_table(
        "sync_conflicts",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(36), nullable=False),
        sa.Column("field", sa.String(64), nullable=True),
        sa.Column("op_a", sa.String(36), nullable=False),
        sa.Column("op_b", sa.String(36), nullable=False),
        sa.Column("record_a", sa.String(36), nullable=True),
        sa.Column("record_b", sa.String(36), nullable=True),
        sa.Column("value_a", sa.Text(), nullable=True),
        sa.Column("value_b", sa.Text(), nullable=True),
        sa.Column("by_a", sa.String(36), nullable=True),
        sa.Column("by_b", sa.String(36), nullable=True),
        sa.Column("at_a", sa.DateTime(), nullable=True),
        sa.Column("at_b", sa.DateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(36), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_conflicts")),
    )
    op.create_index("ix_sync_conflicts_entity", "sync_conflicts", ["entity_type", "entity_id"], unique=False)
    op.create_index("ix_sync_conflicts_open", "sync_conflicts", ["kind"], unique=False,
                    sqlite_where=sa.text("resolved_at IS NULL"))
    op.create_table(
        "sync_quarantine",
        sa.Column("op_id", sa.String(36), nullable=False),
        sa.Column("unit_seq", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("device_seq", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("base_seq", sa.Integer(), nullable=True),
        sa.Column("key_epoch", sa.Integer(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("held_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("op_id", name=op.f("pk_sync_quarantine")),
    )
    # A fork holds two versions numbered N+1.
    with op.batch_alter_table("care_plan_versions") as b:
        b.drop_constraint("uq_care_plan_versions_plan_id", type_="unique")
        b.create_index("ix_care_plan_versions_plan_number", ["plan_id", "number"], unique=False)
    with op.batch_alter_table("risk_assessment_versions") as b:
        b.drop_constraint("uq_risk_assessment_versions_assessment_id", type_="unique")
        b.create_index("ix_risk_assessment_versions_assessment_number", ["assessment_id", "number"], unique=False)
    op.create_index(op.f("ix_residents_date_of_birth"), "residents", ["date_of_birth"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_residents_date_of_birth"), table_name="residents")
    with op.batch_alter_table("risk_assessment_versions") as b:
        b.drop_index("ix_risk_assessment_versions_assessment_number")
        b.create_unique_constraint("uq_risk_assessment_versions_assessment_id", ["assessment_id", "number"])
    with op.batch_alter_table("care_plan_versions") as b:
        b.drop_index("ix_care_plan_versions_plan_number")
        b.create_unique_constraint("uq_care_plan_versions_plan_id", ["plan_id", "number"])
    for t in ("sync_quarantine", "sync_conflicts", "sync_heads", "sync_state", "sync_ops"):
        op.drop_table(t)
