"""A document's delivery, as the laptop whose outbox sends it says it (issue 17): four nullable
columns on `documents`, so every laptop's Documents tab shows "Sent 03/12/2026 14:02" for a letter
another laptop sent (the outbox itself stays on its laptop).

Revises: 0022_sync_decisions
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023_document_delivery"
down_revision = "0022_sync_decisions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as b:
        b.add_column(sa.Column("delivery_state", sa.String(16), nullable=True))
        b.add_column(sa.Column("delivery_label", sa.String(120), nullable=True))
        b.add_column(sa.Column("delivery_detail", sa.Text(), nullable=True))
        b.add_column(sa.Column("delivery_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents") as b:
        for c in ("delivery_at", "delivery_detail", "delivery_label", "delivery_state"):
            b.drop_column(c)
