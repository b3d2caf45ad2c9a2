"""Care plans, plan versions and reviews (issue 4).

Revision ID: 0003_care_plans
Revises: 0002_caseload
Create Date: 2026-11-24
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_care_plans"
down_revision = "0002_caseload"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('care_plans',
    sa.Column('resident_id', sa.String(length=36), nullable=False),
    sa.Column('admission_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('completed_by', sa.String(length=36), nullable=True),
    sa.Column('current_version_id', sa.String(length=36), nullable=True),
    sa.Column('agreed_on', sa.Date(), nullable=True),
    sa.Column('agreement_method', sa.String(length=16), nullable=True),
    sa.Column('agreement_note', sa.Text(), nullable=True),
    sa.Column('agreement_version_id', sa.String(length=36), nullable=True),
    sa.Column('agreement_recorded_by', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('archived', sa.Boolean(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['admission_id'], ['admissions.id'], name=op.f('fk_care_plans_admission_id_admissions')),
    sa.ForeignKeyConstraint(['agreement_recorded_by'], ['accounts.id'], name=op.f('fk_care_plans_agreement_recorded_by_accounts')),
    sa.ForeignKeyConstraint(['completed_by'], ['accounts.id'], name=op.f('fk_care_plans_completed_by_accounts')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_care_plans_resident_id_residents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_plans')),
    sa.UniqueConstraint('admission_id', name=op.f('uq_care_plans_admission_id'))
    )
    op.create_index(op.f('ix_care_plans_resident_id'), 'care_plans', ['resident_id'], unique=False)
    op.create_index(op.f('ix_care_plans_status'), 'care_plans', ['status'], unique=False)
    op.create_table('care_plan_versions',
    sa.Column('plan_id', sa.String(length=36), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('parent_version_id', sa.String(length=36), nullable=True),
    sa.Column('frozen', sa.Boolean(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('review_id', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('archived', sa.Boolean(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['parent_version_id'], ['care_plan_versions.id'], name=op.f('fk_care_plan_versions_parent_version_id_care_plan_versions')),
    sa.ForeignKeyConstraint(['plan_id'], ['care_plans.id'], name=op.f('fk_care_plan_versions_plan_id_care_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_plan_versions')),
    sa.UniqueConstraint('plan_id', 'number', name=op.f('uq_care_plan_versions_plan_id'))
    )
    op.create_index(op.f('ix_care_plan_versions_plan_id'), 'care_plan_versions', ['plan_id'], unique=False)
    op.create_table('reviews',
    sa.Column('resident_id', sa.String(length=36), nullable=False),
    sa.Column('admission_id', sa.String(length=36), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('next_review_on', sa.Date(), nullable=False),
    sa.Column('next_review_reason', sa.Text(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('attendees', sa.Text(), nullable=False),
    sa.Column('invitations', sa.Text(), nullable=False),
    sa.Column('goal_progress', sa.Text(), nullable=False),
    sa.Column('resident_view', sa.Text(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('plan_version_id', sa.String(length=36), nullable=True),
    sa.Column('supersedes_id', sa.String(length=36), nullable=True),
    sa.Column('superseded_by_id', sa.String(length=36), nullable=True),
    sa.Column('correction_reason', sa.Text(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('archived', sa.Boolean(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['admission_id'], ['admissions.id'], name=op.f('fk_reviews_admission_id_admissions')),
    sa.ForeignKeyConstraint(['plan_version_id'], ['care_plan_versions.id'], name=op.f('fk_reviews_plan_version_id_care_plan_versions')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_reviews_resident_id_residents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews'))
    )
    op.create_index('ix_reviews_admission_current', 'reviews',
                    ['admission_id', 'superseded_by_id', 'held_on', 'created_at', 'next_review_on', 'kind'], unique=False)
    op.create_index(op.f('ix_reviews_resident_id'), 'reviews', ['resident_id'], unique=False)


def downgrade() -> None:
    op.drop_table("reviews")
    op.drop_table("care_plan_versions")
    op.drop_table("care_plans")
