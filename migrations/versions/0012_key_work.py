"""Daily key work: pre-admission assessments, key-work sessions, group sessions and their registers.

Revision ID: 0012_key_work
Revises: 0011_incidents
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_key_work"
down_revision = "0011_incidents"
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


def _corrected() -> list[sa.Column]:
    return [
        sa.Column("supersedes_id", sa.String(36), nullable=True),
        sa.Column("superseded_by_id", sa.String(36), nullable=True),
        sa.Column("correction_reason", sa.Text(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "pre_admission_assessments",
        *_tracked(),
        *_corrected(),
        sa.Column("referral_id", sa.String(36), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("assessed_by", sa.String(200), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("domains", sa.Text(), nullable=False),
        sa.Column("motivation", sa.Text(), nullable=False),
        sa.Column("outcomes", sa.Text(), nullable=True),
        sa.Column("checklist", sa.Text(), nullable=False),
        sa.Column("safeguarding_concern", sa.Text(), nullable=True),
        sa.Column("safeguarding_reported_to", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"],
                                name=op.f("fk_pre_admission_assessments_referral_id_referrals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pre_admission_assessments")),
    )
    op.create_index(op.f("ix_pre_admission_assessments_referral_id"), "pre_admission_assessments", ["referral_id"])
    op.create_table(
        "key_work_sessions",
        *_tracked(),
        *_corrected(),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("admission_id", sa.String(36), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("start_time", sa.String(5), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("intervention", sa.String(200), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("outcome_reason", sa.Text(), nullable=True),
        sa.Column("goals", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("follow_ups", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"],
                                name=op.f("fk_key_work_sessions_resident_id_residents")),
        sa.ForeignKeyConstraint(["admission_id"], ["admissions.id"],
                                name=op.f("fk_key_work_sessions_admission_id_admissions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_work_sessions")),
    )
    op.create_index(op.f("ix_key_work_sessions_resident_id"), "key_work_sessions", ["resident_id"])
    op.create_index(op.f("ix_key_work_sessions_held_on"), "key_work_sessions", ["held_on"])
    op.create_index("ix_key_work_sessions_admission_day", "key_work_sessions", ["admission_id", "held_on"])
    op.create_table(
        "group_sessions",
        *_tracked(),
        *_corrected(),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("start_time", sa.String(5), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("facilitators", sa.String(400), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_sessions")),
    )
    op.create_index(op.f("ix_group_sessions_held_on"), "group_sessions", ["held_on"])
    op.create_table(
        "group_attendance",
        *_tracked(),
        sa.Column("group_id", sa.String(36), nullable=False),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("admission_id", sa.String(36), nullable=False),
        sa.Column("attendance", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["group_id"], ["group_sessions.id"],
                                name=op.f("fk_group_attendance_group_id_group_sessions")),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"],
                                name=op.f("fk_group_attendance_resident_id_residents")),
        sa.ForeignKeyConstraint(["admission_id"], ["admissions.id"],
                                name=op.f("fk_group_attendance_admission_id_admissions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_attendance")),
    )
    op.create_index(op.f("ix_group_attendance_group_id"), "group_attendance", ["group_id"])
    op.create_index(op.f("ix_group_attendance_resident_id"), "group_attendance", ["resident_id"])
    op.create_index(op.f("ix_group_attendance_admission_id"), "group_attendance", ["admission_id"])


def downgrade() -> None:
    op.drop_table("group_attendance")
    op.drop_table("group_sessions")
    op.drop_table("key_work_sessions")
    op.drop_table("pre_admission_assessments")
