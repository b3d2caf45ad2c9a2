"""The planned discharge (issue 13): the discharge plan and letter, the 3- and 6-month follow-ups
and their contact attempts, and the printable summary on each discharge.

Revises: 0015_discharges
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_planned_discharge"
down_revision = "0015_discharges"
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
    with op.batch_alter_table("discharges") as b:
        b.add_column(sa.Column("letter_document_id", sa.String(36), nullable=True))
        b.create_foreign_key(op.f("fk_discharges_letter_document_id_documents"), "documents",
                             ["letter_document_id"], ["id"])
    op.create_table(
        "discharge_plans",
        *_tracked(),
        sa.Column("admission_id", sa.String(36), nullable=False),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("meeting_on", sa.Date(), nullable=True),
        sa.Column("attendees", sa.Text(), nullable=False),
        sa.Column("referrer_invited", sa.Boolean(), nullable=False),
        sa.Column("planned_date", sa.Date(), nullable=True),
        sa.Column("route", sa.String(40), nullable=True),
        sa.Column("reason_code", sa.String(60), nullable=True),
        sa.Column("aftercare", sa.Text(), nullable=False),
        sa.Column("recommendations", sa.Text(), nullable=True),
        sa.Column("goals_achieved", sa.Text(), nullable=True),
        sa.Column("medication_on_discharge", sa.Text(), nullable=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("discharge_id", sa.String(36), nullable=True),
        sa.Column("letter_document_id", sa.String(36), nullable=True),
        sa.Column("key_worker_signed_by", sa.String(36), nullable=True),
        sa.Column("senior_signed_by", sa.String(36), nullable=True),
        sa.Column("senior_signed_at", sa.DateTime(), nullable=True),
        _fk("discharge_plans", "admission_id", "admissions"),
        _fk("discharge_plans", "resident_id", "residents"),
        _fk("discharge_plans", "discharge_id", "discharges"),
        _fk("discharge_plans", "letter_document_id", "documents"),
        _fk("discharge_plans", "key_worker_signed_by", "accounts"),
        _fk("discharge_plans", "senior_signed_by", "accounts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discharge_plans")),
        sa.UniqueConstraint("admission_id", name=op.f("uq_discharge_plans_admission_id")),
    )
    for col in ("resident_id", "state"):
        op.create_index(op.f(f"ix_discharge_plans_{col}"), "discharge_plans", [col], unique=False)
    op.create_table(
        "follow_ups",
        *_tracked(),
        sa.Column("discharge_id", sa.String(36), nullable=False),
        sa.Column("admission_id", sa.String(36), nullable=False),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        _fk("follow_ups", "discharge_id", "discharges"),
        _fk("follow_ups", "admission_id", "admissions"),
        _fk("follow_ups", "resident_id", "residents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
    )
    for col in ("discharge_id", "admission_id", "resident_id", "due_on", "status"):
        op.create_index(op.f(f"ix_follow_ups_{col}"), "follow_ups", [col], unique=False)
    op.create_table(
        "follow_up_attempts",
        *_tracked(),
        sa.Column("follow_up_id", sa.String(36), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("reached", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        _fk("follow_up_attempts", "follow_up_id", "follow_ups"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_attempts")),
    )
    op.create_index(op.f("ix_follow_up_attempts_follow_up_id"), "follow_up_attempts", ["follow_up_id"], unique=False)


def downgrade() -> None:
    op.drop_table("follow_up_attempts")
    op.drop_table("follow_ups")
    op.drop_table("discharge_plans")
    with op.batch_alter_table("discharges") as b:
        b.drop_constraint(op.f("fk_discharges_letter_document_id_documents"), type_="foreignkey")
        b.drop_column("letter_document_id")
