"""The Treatment Outcomes Profile (issue 14, part O2): TOP interviews per stay and their
substance use, one row per substance.

Revises: 0017_outcome_star
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_top"
down_revision = "0017_outcome_star"
branch_labels = None
depends_on = None


def _tracked() -> list[sa.Column]:
    return [
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(36), nullable=True),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default="0", nullable=False),
    ]


def _fk(table: str, col: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([col], [f"{target}.id"], name=op.f(f"fk_{table}_{col}_{target}"))


def upgrade() -> None:
    op.create_table(
        "tops",
        *_tracked(),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("admission_id", sa.String(36), nullable=False),
        sa.Column("stage", sa.String(24), nullable=False),
        sa.Column("interview_on", sa.Date(), nullable=False),
        sa.Column("completed_by", sa.String(36), nullable=False),
        *[sa.Column(c, sa.Integer(), nullable=False) for c in ("tobacco_days", "injecting_days")],
        *[sa.Column(c, sa.Boolean(), nullable=False) for c in ("shared_needles", "shared_other_equipment")],
        *[sa.Column(c, sa.Integer(), nullable=False) for c in ("shoplifting_days", "drug_selling_days")],
        *[sa.Column(c, sa.Boolean(), nullable=False) for c in ("vehicle_theft", "property_theft", "fraud",
                                                                 "assault")],
        *[sa.Column(c, sa.Integer(), nullable=False) for c in ("psychological_health", "physical_health",
                                                                 "quality_of_life", "paid_work_days",
                                                                 "education_days")],
        *[sa.Column(c, sa.Boolean(), nullable=False) for c in ("acute_housing_problem", "eviction_risk")],
        _fk("tops", "resident_id", "residents"),
        _fk("tops", "admission_id", "admissions"),
        _fk("tops", "completed_by", "accounts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tops")),
    )
    op.create_index(op.f("ix_tops_resident_id"), "tops", ["resident_id"], unique=False)
    op.create_index(op.f("ix_tops_interview_on"), "tops", ["interview_on"], unique=False)
    op.create_index("ix_tops_admission_stage", "tops", ["admission_id", "stage"], unique=False)
    op.create_table(
        "top_substances",
        *_tracked(),
        sa.Column("top_id", sa.String(36), nullable=False),
        sa.Column("substance", sa.String(16), nullable=False),
        sa.Column("other_name", sa.String(60), nullable=True),
        *[sa.Column(f"week{n}", sa.Integer(), nullable=True) for n in range(1, 5)],
        sa.Column("total_days", sa.Integer(), nullable=False),
        sa.Column("average_amount", sa.Float(), nullable=True),
        sa.Column("amount_unit", sa.String(8), nullable=True),
        _fk("top_substances", "top_id", "tops"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_top_substances")),
    )
    op.create_index(op.f("ix_top_substances_top_id"), "top_substances", ["top_id"], unique=False)


def downgrade() -> None:
    op.drop_table("top_substances")
    op.drop_table("tops")
