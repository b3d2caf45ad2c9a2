"""Risk assessments (issue 10): one per admission with its versions, and the prompts for a new
assessment raised by other areas (an incident, a relapse).

Revision ID: 0010_risk
Revises: 0009_audit_viewer
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_risk"
down_revision = "0009_audit_viewer"
branch_labels = None
depends_on = None


def _tracked() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default="0", nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "risk_assessments",
        sa.Column("resident_id", sa.String(length=36), nullable=False),
        sa.Column("admission_id", sa.String(length=36), nullable=False),
        sa.Column("current_version_id", sa.String(length=36), nullable=True),
        sa.Column("overall_level", sa.String(length=8), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=False),
        *_tracked(),
        sa.ForeignKeyConstraint(["admission_id"], ["admissions.id"],
                                name=op.f("fk_risk_assessments_admission_id_admissions")),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"],
                                name=op.f("fk_risk_assessments_resident_id_residents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_assessments")),
        sa.UniqueConstraint("admission_id", name=op.f("uq_risk_assessments_admission_id")),
    )
    op.create_index(op.f("ix_risk_assessments_resident_id"), "risk_assessments", ["resident_id"])
    op.create_index("ix_risk_assessments_review_on", "risk_assessments", ["review_on", "admission_id"])
    op.create_table(
        "risk_assessment_versions",
        sa.Column("assessment_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("parent_version_id", sa.String(length=36), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        *_tracked(),
        sa.ForeignKeyConstraint(["assessment_id"], ["risk_assessments.id"],
                                name=op.f("fk_risk_assessment_versions_assessment_id_risk_assessments")),
        sa.ForeignKeyConstraint(["parent_version_id"], ["risk_assessment_versions.id"],
                                name=op.f("fk_risk_assessment_versions_parent_version_id_risk_assessment_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_assessment_versions")),
        sa.UniqueConstraint("assessment_id", "number", name=op.f("uq_risk_assessment_versions_assessment_id")),
    )
    op.create_index(op.f("ix_risk_assessment_versions_assessment_id"), "risk_assessment_versions",
                    ["assessment_id"])
    op.create_table(
        "risk_review_prompts",
        sa.Column("resident_id", sa.String(length=36), nullable=False),
        sa.Column("admission_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("answered_by_version_id", sa.String(length=36), nullable=True),
        *_tracked(),
        sa.ForeignKeyConstraint(["admission_id"], ["admissions.id"],
                                name=op.f("fk_risk_review_prompts_admission_id_admissions")),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"],
                                name=op.f("fk_risk_review_prompts_resident_id_residents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_review_prompts")),
    )
    op.create_index(op.f("ix_risk_review_prompts_resident_id"), "risk_review_prompts", ["resident_id"])
    op.create_index("ix_risk_review_prompts_open", "risk_review_prompts", ["admission_id"],
                    sqlite_where=sa.text("answered_by_version_id IS NULL"))


def downgrade() -> None:
    op.drop_table("risk_review_prompts")
    op.drop_table("risk_assessment_versions")
    op.drop_table("risk_assessments")
