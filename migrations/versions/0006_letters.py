"""Letters a unit can send: the signatory's job title on accounts, and the referrer's postal
address and own reference on referrals. The unit profile itself lives in settings rows
(keyworker/unit_profile.py), so it needs no table.

Revision ID: 0006_letters
Revises: 0005_imports
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_letters"
down_revision = "0005_imports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild): existing rows simply have none recorded yet.
    op.add_column("accounts", sa.Column("job_title", sa.String(100), nullable=True))
    op.add_column("referrals", sa.Column("referrer_address", sa.Text(), nullable=True))
    op.add_column("referrals", sa.Column("referrer_reference", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("referrals") as b:
        b.drop_column("referrer_reference")
        b.drop_column("referrer_address")
    with op.batch_alter_table("accounts") as b:
        b.drop_column("job_title")
