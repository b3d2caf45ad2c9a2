"""Outcome Star readings (issue 14): a reading per resident per stay, its scores per area.

Revises: 0016_planned_discharge
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_outcome_star"
down_revision = "0016_planned_discharge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "star_readings",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(36), nullable=True),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("admission_id", sa.String(36), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("stage", sa.String(12), nullable=False),
        sa.Column("definition_id", sa.String(60), nullable=False),
        sa.Column("definition_version", sa.String(20), nullable=False),
        sa.Column("completed_by", sa.String(200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("supersedes_id", sa.String(36), nullable=True),
        sa.Column("superseded_by_id", sa.String(36), nullable=True),
        sa.Column("correction_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"], name=op.f("fk_star_readings_resident_id_residents")),
        sa.ForeignKeyConstraint(["admission_id"], ["admissions.id"],
                                name=op.f("fk_star_readings_admission_id_admissions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_star_readings")),
    )
    for col in ("resident_id", "admission_id", "taken_on"):
        op.create_index(op.f(f"ix_star_readings_{col}"), "star_readings", [col], unique=False)
    op.create_table(
        "star_scores",
        sa.Column("reading_id", sa.String(36), nullable=False),
        sa.Column("area_key", sa.String(60), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["reading_id"], ["star_readings.id"],
                                name=op.f("fk_star_scores_reading_id_star_readings")),
        sa.PrimaryKeyConstraint("reading_id", "area_key", name=op.f("pk_star_scores")),
    )
    op.create_index("ix_star_scores_area_key", "star_scores", ["area_key", "reading_id", "score"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_star_scores_area_key", table_name="star_scores")
    op.drop_table("star_scores")
    for col in ("taken_on", "admission_id", "resident_id"):
        op.drop_index(op.f(f"ix_star_readings_{col}"), table_name="star_readings")
    op.drop_table("star_readings")
