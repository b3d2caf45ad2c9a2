"""Caseload: referrals, residents, admissions, generated documents.

Revision ID: 0002_caseload
Revises: 0001_foundation
Create Date: 2026-11-24
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_caseload"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('residents',
    sa.Column('reference', sa.String(length=16), nullable=False),
    sa.Column('reference_no', sa.Integer(), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('preferred_name', sa.String(length=100), nullable=True),
    sa.Column('search_text', sa.String(length=400), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('age_override_reason', sa.Text(), nullable=True),
    sa.Column('nhs_number', sa.String(length=10), nullable=True),
    sa.Column('sex', sa.String(length=40), nullable=True),
    sa.Column('gender_identity', sa.String(length=60), nullable=True),
    sa.Column('ethnicity', sa.String(length=80), nullable=True),
    sa.Column('religion', sa.String(length=60), nullable=True),
    sa.Column('sexual_orientation', sa.String(length=60), nullable=True),
    sa.Column('disability', sa.String(length=120), nullable=True),
    sa.Column('pregnancy', sa.String(length=40), nullable=True),
    sa.Column('marital_status', sa.String(length=40), nullable=True),
    sa.Column('nationality', sa.String(length=60), nullable=True),
    sa.Column('postcode', sa.String(length=10), nullable=True),
    sa.Column('district', sa.String(length=80), nullable=True),
    sa.Column('district_in_lancashire', sa.Boolean(), nullable=True),
    sa.Column('gp_practice', sa.String(length=200), nullable=True),
    sa.Column('next_of_kin_name', sa.String(length=200), nullable=True),
    sa.Column('next_of_kin_relationship', sa.String(length=80), nullable=True),
    sa.Column('next_of_kin_phone', sa.String(length=50), nullable=True),
    sa.Column('next_of_kin_address', sa.Text(), nullable=True),
    sa.Column('primary_substance', sa.String(length=80), nullable=True),
    sa.Column('primary_route', sa.String(length=40), nullable=True),
    sa.Column('other_substances', sa.Text(), nullable=True),
    sa.Column('external_id', sa.String(length=64), nullable=True),
    sa.Column('key_worker_id', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('archived', sa.Boolean(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['key_worker_id'], ['accounts.id'], name=op.f('fk_residents_key_worker_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residents')),
    sa.UniqueConstraint('reference', name=op.f('uq_residents_reference')),
    sa.UniqueConstraint('reference_no', name=op.f('uq_residents_reference_no'))
    )
    op.create_index(op.f('ix_residents_external_id'), 'residents', ['external_id'], unique=False)
    op.create_index(op.f('ix_residents_key_worker_id'), 'residents', ['key_worker_id'], unique=False)
    op.create_index(op.f('ix_residents_search_text'), 'residents', ['search_text'], unique=False)
    op.create_table('referrals',
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('referrer_name', sa.String(length=200), nullable=False),
    sa.Column('referrer_organisation', sa.String(length=200), nullable=True),
    sa.Column('referrer_email', sa.String(length=200), nullable=True),
    sa.Column('referrer_phone', sa.String(length=50), nullable=True),
    sa.Column('community_treatment_provider', sa.String(length=200), nullable=True),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('assessment_summary', sa.Text(), nullable=True),
    sa.Column('external_id', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decision_due_on', sa.Date(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by', sa.String(length=36), nullable=True),
    sa.Column('decline_category', sa.String(length=64), nullable=True),
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.Column('resident_id', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('archived', sa.Boolean(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['decided_by'], ['accounts.id'], name=op.f('fk_referrals_decided_by_accounts')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_referrals_resident_id_residents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals'))
    )
    op.create_index(op.f('ix_referrals_decision_due_on'), 'referrals', ['decision_due_on'], unique=False)
    op.create_index(op.f('ix_referrals_external_id'), 'referrals', ['external_id'], unique=False)
    op.create_index(op.f('ix_referrals_received_at'), 'referrals', ['received_at'], unique=False)
    op.create_index(op.f('ix_referrals_resident_id'), 'referrals', ['resident_id'], unique=False)
    op.create_index(op.f('ix_referrals_status'), 'referrals', ['status'], unique=False)
    op.create_table('admissions',
    sa.Column('resident_id', sa.String(length=36), nullable=False),
    sa.Column('referral_id', sa.String(length=36), nullable=True),
    sa.Column('admitted_on', sa.Date(), nullable=False),
    sa.Column('setting', sa.String(length=32), nullable=False),
    sa.Column('strand', sa.String(length=16), nullable=False),
    sa.Column('planned_weeks', sa.Integer(), nullable=False),
    sa.Column('key_worker_id', sa.String(length=36), nullable=False),
    sa.Column('part_time', sa.Boolean(), nullable=False),
    sa.Column('part_time_notes', sa.Text(), nullable=True),
    sa.Column('discharged_on', sa.Date(), nullable=True),
    sa.Column('discharge_type', sa.String(length=16), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('archived', sa.Boolean(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['key_worker_id'], ['accounts.id'], name=op.f('fk_admissions_key_worker_id_accounts')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_admissions_referral_id_referrals')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_admissions_resident_id_residents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admissions'))
    )
    op.create_index(op.f('ix_admissions_admitted_on'), 'admissions', ['admitted_on'], unique=False)
    op.create_index(op.f('ix_admissions_discharged_on'), 'admissions', ['discharged_on'], unique=False)
    op.create_index(op.f('ix_admissions_key_worker_id'), 'admissions', ['key_worker_id'], unique=False)
    op.create_index(op.f('ix_admissions_resident_id'), 'admissions', ['resident_id'], unique=False)

    op.create_table('consents',
    sa.Column('resident_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('given', sa.Boolean(), nullable=False),
    sa.Column('parties', sa.Text(), nullable=True),
    sa.Column('recorded_on', sa.Date(), nullable=False),
    sa.Column('recorded_by', sa.String(length=36), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('superseded_by_id', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('archived', sa.Boolean(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['recorded_by'], ['accounts.id'], name=op.f('fk_consents_recorded_by_accounts')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_consents_resident_id_residents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents'))
    )
    op.create_index(op.f('ix_consents_resident_id'), 'consents', ['resident_id'], unique=False)
    op.create_table('medication_events',
    sa.Column('resident_id', sa.String(length=36), nullable=False),
    sa.Column('course_id', sa.String(length=36), nullable=False),
    sa.Column('event', sa.String(length=8), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('dose', sa.String(length=100), nullable=True),
    sa.Column('frequency', sa.String(length=100), nullable=True),
    sa.Column('prescriber', sa.String(length=200), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('archived', sa.Boolean(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_medication_events_resident_id_residents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medication_events'))
    )
    op.create_index(op.f('ix_medication_events_course_id'), 'medication_events', ['course_id'], unique=False)
    op.create_index(op.f('ix_medication_events_resident_id'), 'medication_events', ['resident_id'], unique=False)

    op.create_table('documents',
    sa.Column('resident_id', sa.String(length=36), nullable=True),
    sa.Column('referral_id', sa.String(length=36), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('subject_id', sa.String(length=36), nullable=True),
    sa.Column('mime_type', sa.String(length=60), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('archived', sa.Boolean(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_documents_referral_id_referrals')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_documents_resident_id_residents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents'))
    )
    op.create_index(op.f('ix_documents_kind'), 'documents', ['kind'], unique=False)
    op.create_index(op.f('ix_documents_referral_id'), 'documents', ['referral_id'], unique=False)
    op.create_index(op.f('ix_documents_resident_id'), 'documents', ['resident_id'], unique=False)
    op.create_index(op.f('ix_documents_subject_id'), 'documents', ['subject_id'], unique=False)


def downgrade() -> None:
    op.drop_table("documents")
    op.drop_table("medication_events")
    op.drop_table("consents")
    op.drop_table("admissions")
    op.drop_table("referrals")
    op.drop_table("residents")
