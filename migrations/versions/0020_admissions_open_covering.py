"""Reviews due reads the current stays from their index alone: `ix_admissions_open` also holds the
stay's id, admission date and planned length, so the first Reviews due after sign-in no longer
decrypts a table page per current stay (docs/BENCHMARKS.md).

Revises: 0019_surveys
Create Date: 2026-12-03
"""
from __future__ import annotations

from alembic import op

revision = "0020_admissions_open_covering"
down_revision = "0019_surveys"
branch_labels = None
depends_on = None

OLD = ["discharged_on", "archived", "resident_id", "key_worker_id"]
NEW = OLD + ["id", "admitted_on", "planned_weeks"]


def upgrade() -> None:
    op.drop_index("ix_admissions_open", table_name="admissions")
    op.create_index("ix_admissions_open", "admissions", NEW)


def downgrade() -> None:
    op.drop_index("ix_admissions_open", table_name="admissions")
    op.create_index("ix_admissions_open", "admissions", OLD)
