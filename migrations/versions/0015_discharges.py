"""Discharges (issue 13): one row per discharge or freeze of a stay, the notifications made, and
placements flagged as at risk of breaking down.

Revises: 0014_outbox
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_discharges"
down_revision = "0014_outbox"
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


def upgrade() -> None:
    op.create_table(
        "discharges",
        *_tracked(),
        sa.Column("admission_id", sa.String(36), nullable=False),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("path", sa.String(12), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("ends_stay", sa.Boolean(), nullable=False),
        sa.Column("reason_code", sa.String(60), nullable=True),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("circumstances", sa.Text(), nullable=True),
        sa.Column("destination", sa.Text(), nullable=True),
        sa.Column("night_reason", sa.Text(), nullable=True),
        sa.Column("overdose_risk", sa.Boolean(), nullable=False),
        sa.Column("naloxone_supplied", sa.Boolean(), nullable=False),
        sa.Column("harm_reduction_advice", sa.Boolean(), nullable=False),
        sa.Column("ctp_consent", sa.Boolean(), nullable=True),
        sa.Column("ctp_referral_made", sa.Boolean(), nullable=False),
        sa.Column("homelessness_risk", sa.Boolean(), nullable=False),
        sa.Column("council_name", sa.String(120), nullable=True),
        sa.Column("council_referral_made", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("second_person_id", sa.String(36), nullable=True),
        sa.Column("second_how", sa.String(12), nullable=True),
        sa.Column("phone_agreed_at", sa.DateTime(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("summary_due_at", sa.DateTime(), nullable=False),
        sa.Column("summary_sent_at", sa.DateTime(), nullable=True),
        sa.Column("resumed_at", sa.DateTime(), nullable=True),
        sa.Column("reassessment_note", sa.Text(), nullable=True),
        sa.Column("summary_document_id", sa.String(36), nullable=True),
        sa.Column("risk_document_id", sa.String(36), nullable=True),
        sa.ForeignKeyConstraint(["admission_id"], ["admissions.id"], name=op.f("fk_discharges_admission_id_admissions")),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"], name=op.f("fk_discharges_resident_id_residents")),
        sa.ForeignKeyConstraint(["second_person_id"], ["accounts.id"],
                                name=op.f("fk_discharges_second_person_id_accounts")),
        sa.ForeignKeyConstraint(["summary_document_id"], ["documents.id"],
                                name=op.f("fk_discharges_summary_document_id_documents")),
        sa.ForeignKeyConstraint(["risk_document_id"], ["documents.id"],
                                name=op.f("fk_discharges_risk_document_id_documents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discharges")),
    )
    for col in ("admission_id", "resident_id", "occurred_at", "state", "summary_due_at"):
        op.create_index(op.f(f"ix_discharges_{col}"), "discharges", [col], unique=False)
    op.create_index("ux_discharges_one_per_stay", "discharges", ["admission_id"], unique=True,
                    sqlite_where=sa.text("ends_stay = 1"))
    op.create_table(
        "discharge_notifications",
        *_tracked(),
        sa.Column("discharge_id", sa.String(36), nullable=False),
        sa.Column("party", sa.String(40), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("by_id", sa.String(36), nullable=True),
        sa.Column("contact", sa.String(200), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["discharge_id"], ["discharges.id"],
                                name=op.f("fk_discharge_notifications_discharge_id_discharges")),
        sa.ForeignKeyConstraint(["by_id"], ["accounts.id"], name=op.f("fk_discharge_notifications_by_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discharge_notifications")),
    )
    op.create_index(op.f("ix_discharge_notifications_discharge_id"), "discharge_notifications", ["discharge_id"],
                    unique=False)


    op.create_table(
        "placement_risks",
        *_tracked(),
        sa.Column("admission_id", sa.String(36), nullable=False),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("letter_document_id", sa.String(36), nullable=True),
        sa.Column("cleared_at", sa.DateTime(), nullable=True),
        sa.Column("cleared_by", sa.String(36), nullable=True),
        sa.Column("cleared_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["admission_id"], ["admissions.id"],
                                name=op.f("fk_placement_risks_admission_id_admissions")),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"], name=op.f("fk_placement_risks_resident_id_residents")),
        sa.ForeignKeyConstraint(["letter_document_id"], ["documents.id"],
                                name=op.f("fk_placement_risks_letter_document_id_documents")),
        sa.ForeignKeyConstraint(["cleared_by"], ["accounts.id"], name=op.f("fk_placement_risks_cleared_by_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placement_risks")),
    )
    for col in ("admission_id", "resident_id"):
        op.create_index(op.f(f"ix_placement_risks_{col}"), "placement_risks", [col], unique=False)


def downgrade() -> None:
    op.drop_table("placement_risks")
    op.drop_table("discharge_notifications")
    op.drop_table("discharges")
