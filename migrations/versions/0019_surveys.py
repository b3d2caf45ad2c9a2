"""Satisfaction surveys (issue 14, part Q1; contract 11.1.12): a survey per resident and per carer
or family member, with 1–5 ratings and comments.

Revises: 0018_top
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_surveys"
down_revision = "0018_top"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(36), nullable=True),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("admission_id", sa.String(36), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("respondent", sa.String(12), nullable=False),
        sa.Column("respondent_name", sa.String(200), nullable=True),
        sa.Column("relationship", sa.String(60), nullable=True),
        *[sa.Column(c, sa.Integer(), nullable=True) for c in ("listened", "respected", "goals", "recommend",
                                                              "overall")],
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("completed_by", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"], name=op.f("fk_surveys_resident_id_residents")),
        sa.ForeignKeyConstraint(["admission_id"], ["admissions.id"], name=op.f("fk_surveys_admission_id_admissions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
    )
    op.create_index(op.f("ix_surveys_resident_id"), "surveys", ["resident_id"], unique=False)
    op.create_index(op.f("ix_surveys_taken_on"), "surveys", ["taken_on"], unique=False)
    op.create_index("ix_surveys_resident_respondent", "surveys", ["resident_id", "respondent", "taken_on"],
                    unique=False)


def downgrade() -> None:
    op.drop_table("surveys")
