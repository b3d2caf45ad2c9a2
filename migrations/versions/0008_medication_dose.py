"""How each medicine is taken: the route (by mouth, under the tongue, injection, inhaled, patch,
other) and an explicit "as directed" in place of a dose and frequency. Both nullable: medication
recorded before this version shows as "not recorded".

Revision ID: 0008_medication_dose
Revises: 0007_review_referrer_flag
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_medication_dose"
down_revision = "0007_review_referrer_flag"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild): existing events simply have none recorded.
    op.add_column("medication_events", sa.Column("route", sa.String(20), nullable=True))
    op.add_column("medication_events", sa.Column("as_directed", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("medication_events") as b:
        b.drop_column("as_directed")
        b.drop_column("route")
