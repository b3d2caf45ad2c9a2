"""The outbox: destinations, each kind's default destination, items waiting to leave the laptop
and their delivery attempts.

Revises: 0013_case_notes
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_outbox"
down_revision = "0013_case_notes"
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
        "outbox_destinations",
        *_tracked(),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("transport", sa.String(8), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("last_reached_at", sa.DateTime(), nullable=True),
        sa.Column("last_unreachable_at", sa.DateTime(), nullable=True),
        sa.Column("last_unreachable_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_destinations")),
    )
    op.create_table(
        "outbox_routes",
        *_tracked(),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("destination_id", sa.String(36), nullable=False),
        sa.ForeignKeyConstraint(["destination_id"], ["outbox_destinations.id"],
                                name=op.f("fk_outbox_routes_destination_id_outbox_destinations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_routes")),
        sa.UniqueConstraint("kind", name=op.f("uq_outbox_routes_kind")),
    )
    op.create_table(
        "outbox_items",
        *_tracked(),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("resident_id", sa.String(36), nullable=True),
        sa.Column("referral_id", sa.String(36), nullable=True),
        sa.Column("document_id", sa.String(36), nullable=True),
        sa.Column("recipient_name", sa.String(200), nullable=True),
        sa.Column("recipient_email", sa.String(200), nullable=True),
        sa.Column("recipient_role", sa.String(40), nullable=True),
        sa.Column("destination_id", sa.String(36), nullable=True),
        sa.Column("idempotency_key", sa.String(80), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("mime_type", sa.String(60), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("leased_by", sa.String(64), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("receipt", sa.String(200), nullable=True),
        sa.Column("password_protect", sa.Boolean(), nullable=False),
        sa.Column("cancelled_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"], name=op.f("fk_outbox_items_resident_id_residents")),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"], name=op.f("fk_outbox_items_referral_id_referrals")),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_outbox_items_document_id_documents")),
        sa.ForeignKeyConstraint(["destination_id"], ["outbox_destinations.id"],
                                name=op.f("fk_outbox_items_destination_id_outbox_destinations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_items")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_items_idempotency_key")),
    )
    for col in ("kind", "resident_id", "referral_id", "document_id", "destination_id"):
        op.create_index(op.f(f"ix_outbox_items_{col}"), "outbox_items", [col], unique=False)
    op.create_index("ix_outbox_items_due", "outbox_items", ["status", "next_attempt_at"], unique=False)
    op.create_table(
        "outbox_attempts",
        *_tracked(),
        sa.Column("item_id", sa.String(36), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("receipt", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["outbox_items.id"], name=op.f("fk_outbox_attempts_item_id_outbox_items")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_attempts")),
    )
    op.create_index(op.f("ix_outbox_attempts_item_id"), "outbox_attempts", ["item_id"], unique=False)


def downgrade() -> None:
    op.drop_table("outbox_attempts")
    op.drop_table("outbox_items")
    op.drop_table("outbox_routes")
    op.drop_table("outbox_destinations")
