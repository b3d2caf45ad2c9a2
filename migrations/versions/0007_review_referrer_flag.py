"""The referrer flag on reviews: a mid-way or pre-discharge meeting held without the referrer
invited (contract 4.1.5.7) stays flagged until how it was put right is recorded.

Existing reviews are flagged as the service would have: a mid-way or pre-discharge meeting with no
referrer among its recorded invitations and no invitation letter to the referrer made in the six
weeks before it.

Revision ID: 0007_review_referrer_flag
Revises: 0006_letters
Create Date: 2026-12-02
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0007_review_referrer_flag"
down_revision = "0006_letters"
branch_labels = None
depends_on = None

LOOKBACK_DAYS = 42  # keyworker.reviews.INVITATION_LOOKBACK_DAYS when this was written


def upgrade() -> None:
    op.add_column("reviews", sa.Column("referrer_missing", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("reviews", sa.Column("referrer_followup", sa.Text(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT id, admission_id, held_on, invitations FROM reviews WHERE kind IN ('midway', 'pre_discharge')"))
    missing = []
    for review_id, admission_id, held_on, invitations in rows:
        if any(i.get("role") == "referrer" for i in json.loads(invitations or "[]")):
            continue
        held = held_on if isinstance(held_on, date) else date.fromisoformat(str(held_on)[:10])
        since = datetime.combine(held - timedelta(days=LOOKBACK_DAYS), datetime.min.time())
        letter = conn.execute(sa.text(
            "SELECT 1 FROM documents WHERE kind = 'review_invitation' AND subject_id = :a "
            "AND title LIKE 'Invitation to the referrer%' AND created_at >= :since LIMIT 1"),
            {"a": admission_id, "since": since.isoformat(sep=" ")}).first()
        if letter is None:
            missing.append({"id": review_id})
    if missing:
        conn.execute(sa.text("UPDATE reviews SET referrer_missing = 1 WHERE id = :id"), missing)
    op.create_index("ix_reviews_referrer_open", "reviews", ["admission_id"],
                    sqlite_where=sa.text("referrer_missing = 1 AND referrer_followup IS NULL "
                                         "AND superseded_by_id IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_reviews_referrer_open", table_name="reviews")
    with op.batch_alter_table("reviews") as b:
        b.drop_column("referrer_followup")
        b.drop_column("referrer_missing")
