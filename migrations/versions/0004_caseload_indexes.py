"""Caseload indexes: search-as-you-type and the current-residents list without table scans.

Revision ID: 0004_caseload_indexes
Revises: 0003_care_plans
Create Date: 2026-11-24
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_caseload_indexes"
down_revision = "0003_care_plans"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_residents_caseload",
        "residents",
        [sa.text("family_name COLLATE NOCASE"), sa.text("given_name COLLATE NOCASE"), "reference_no", "archived",
         "search_text", "id"],
        unique=False,
    )
    op.create_index("ix_admissions_open", "admissions", ["discharged_on", "archived", "resident_id", "key_worker_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_admissions_open", table_name="admissions")
    op.drop_index("ix_residents_caseload", table_name="residents")
