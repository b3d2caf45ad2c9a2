"""Incidents, safeguarding referrals (children, adults, MARAC) and domestic abuse risk checklists.

Revision ID: 0011_incidents
Revises: 0010_risk
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_incidents"
down_revision = "0010_risk"
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
        "incidents",
        *_tracked(),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("people_involved", sa.Text(), nullable=True),
        sa.Column("actions_taken", sa.Text(), nullable=True),
        sa.Column("domestic_abuse", sa.Boolean(), nullable=False),
        sa.Column("police_involved", sa.Boolean(), nullable=False),
        sa.Column("police_reference", sa.String(64), nullable=True),
        sa.Column("safeguarding_referral", sa.Boolean(), nullable=False),
        sa.Column("safeguarding_to", sa.String(200), nullable=True),
        sa.Column("safeguarding_reference", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"], name=op.f("fk_incidents_resident_id_residents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_index(op.f("ix_incidents_resident_id"), "incidents", ["resident_id"], unique=False)
    op.create_index(op.f("ix_incidents_occurred_at"), "incidents", ["occurred_at"], unique=False)
    op.create_index(op.f("ix_incidents_kind"), "incidents", ["kind"], unique=False)
    op.create_table(
        "da_checklists",
        *_tracked(),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("yes_count", sa.Integer(), nullable=False),
        sa.Column("visible_level", sa.String(10), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("judgement_reason", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"],
                                name=op.f("fk_da_checklists_resident_id_residents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_da_checklists")),
    )
    op.create_index(op.f("ix_da_checklists_resident_id"), "da_checklists", ["resident_id"], unique=False)
    op.create_table(
        "safeguarding_referrals",
        *_tracked(),
        sa.Column("resident_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("referred_on", sa.Date(), nullable=False),
        sa.Column("agency", sa.String(200), nullable=False),
        sa.Column("made_by", sa.String(200), nullable=False),
        sa.Column("reference", sa.String(64), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("incident_id", sa.String(36), nullable=True),
        sa.Column("checklist_id", sa.String(36), nullable=True),
        sa.Column("risk_assessment_id", sa.String(36), nullable=True),
        sa.Column("grounds", sa.String(24), nullable=True),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"],
                                name=op.f("fk_safeguarding_referrals_resident_id_residents")),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"],
                                name=op.f("fk_safeguarding_referrals_incident_id_incidents")),
        sa.ForeignKeyConstraint(["checklist_id"], ["da_checklists.id"],
                                name=op.f("fk_safeguarding_referrals_checklist_id_da_checklists")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safeguarding_referrals")),
    )
    op.create_index(op.f("ix_safeguarding_referrals_resident_id"), "safeguarding_referrals", ["resident_id"])
    op.create_index(op.f("ix_safeguarding_referrals_incident_id"), "safeguarding_referrals", ["incident_id"])
    op.create_index(op.f("ix_safeguarding_referrals_checklist_id"), "safeguarding_referrals", ["checklist_id"])


def downgrade() -> None:
    op.drop_table("safeguarding_referrals")
    op.drop_table("da_checklists")
    op.drop_table("incidents")
